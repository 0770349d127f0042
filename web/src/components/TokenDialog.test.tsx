import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { TokenDialog } from "./TokenDialog";

describe("token dialog", () => {
  it("is a labelled modal with a password field, focused", () => {
    render(<TokenDialog message={null} onSubmit={vi.fn()} onCancel={vi.fn()} />);
    const dialog = screen.getByRole("dialog", { name: "API 토큰" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const field = screen.getByLabelText("토큰") as HTMLInputElement;
    expect(field.type).toBe("password");
    expect(document.activeElement).toBe(field);
  });

  it("submits the trimmed token, and not an empty one", () => {
    const onSubmit = vi.fn();
    render(<TokenDialog message={null} onSubmit={onSubmit} onCancel={vi.fn()} />);
    const ok = screen.getByRole("button", { name: "확인" }) as HTMLButtonElement;
    expect(ok.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("토큰"), { target: { value: "  abc-0123456789-xyz \n" } });
    expect(ok.disabled).toBe(false);
    fireEvent.click(ok);
    expect(onSubmit).toHaveBeenCalledWith("abc-0123456789-xyz");
  });

  it("shows why it asks again, and cancels with the button or Escape", () => {
    const onCancel = vi.fn();
    render(<TokenDialog message="API 토큰이 맞지 않습니다" onSubmit={vi.fn()} onCancel={onCancel} />);
    expect(screen.getByRole("alert").textContent).toBe("API 토큰이 맞지 않습니다");
    fireEvent.click(screen.getByRole("button", { name: "취소" }));
    fireEvent.keyDown(window, { key: "Escape" });
    expect(onCancel).toHaveBeenCalledTimes(2);
  });
});
