// lightweight-charts in jsdom: it builds its panes and series fine, but jsdom has no 2D
// canvas and says so on every draw. A context that draws nothing keeps the output quiet.

import { vi } from "vitest";

const noop = () => undefined;

function fakeContext(): CanvasRenderingContext2D {
  const target = {
    measureText: (text: string) => ({ width: text.length * 6, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 }),
    getImageData: () => ({ data: new Uint8ClampedArray(4), width: 1, height: 1 }),
    createLinearGradient: () => ({ addColorStop: noop }),
    getTransform: () => ({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 }),
    getLineDash: () => [],
  } as Record<string, unknown>;
  return new Proxy(target, {
    get: (t, key: string) => (key in t ? t[key] : noop),
    set: () => true,
  }) as unknown as CanvasRenderingContext2D;
}

/** Call in beforeEach of a test file that renders a chart. */
export function quietCanvas(): void {
  // autoSize follows the box through a ResizeObserver, which jsdom lacks too
  if (!("ResizeObserver" in window)) {
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe = noop;
        unobserve = noop;
        disconnect = noop;
      },
    );
  }
  // fancy-canvas watches the device pixel ratio through matchMedia, which jsdom lacks
  if (!window.matchMedia) {
    vi.stubGlobal("matchMedia", (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: noop,
      removeEventListener: noop,
      addListener: noop,
      removeListener: noop,
      dispatchEvent: () => false,
    }));
  }
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(
    () => fakeContext() as unknown as ReturnType<HTMLCanvasElement["getContext"]>,
  );
}
