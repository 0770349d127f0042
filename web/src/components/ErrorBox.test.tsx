import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { renderPage } from "../test/render";
import { ErrorBox } from "./ErrorBox";

describe("API errors on screen", () => {
  it("shows the server's detail, without a pointless retry for a 4xx", () => {
    const err = new ApiError("http", 404, "종목 999999가 없습니다", null);
    renderPage(<ErrorBox error={err} onRetry={vi.fn()} />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("불러오지 못했습니다");
    expect(alert.textContent).toContain("종목 999999가 없습니다");
    expect(within(alert).queryByRole("button", { name: "다시 시도" })).toBeNull();
  });

  it("explains an unreachable server and offers a retry", () => {
    const onRetry = vi.fn();
    renderPage(<ErrorBox error={new ApiError("network", 0, null, null)} onRetry={onRetry} />);
    expect(screen.getByRole("alert").textContent).toContain("서버에 연결할 수 없습니다");
    fireEvent.click(screen.getByRole("button", { name: "다시 시도" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it("falls back to the status when the server sent no detail", () => {
    renderPage(<ErrorBox error={new ApiError("http", 502, null, null)} />);
    expect(screen.getByRole("alert").textContent).toContain("서버가 502 오류로 응답했습니다.");
  });

  it("offers the token dialog, with the server's message, on a 401", async () => {
    const err = new ApiError("http", 401, "API 토큰이 맞지 않습니다 — 데이터 디렉터리의 api-token 파일에 있는 토큰을 그대로 넣으세요", null);
    renderPage(<ErrorBox error={err} />);
    fireEvent.click(screen.getByRole("button", { name: "토큰 입력" }));
    const dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    expect(within(dialog).getByRole("alert").textContent).toContain("API 토큰이 맞지 않습니다");
  });
});
