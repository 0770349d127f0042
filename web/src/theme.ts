// Colours shared by the chart (canvas, so no CSS variables) and styles.css (same values).
// Korean convention: rises are red, falls are blue, unchanged is grey.

export const RISE = "#d60000";
export const FALL = "#0051c7";
export const FLAT = "#6b7280";

/** Volume bars: the candle's colour, lighter so the candles stay the focus. */
export const RISE_VOLUME = "rgba(214, 0, 0, 0.45)";
export const FALL_VOLUME = "rgba(0, 81, 199, 0.45)";
export const FLAT_VOLUME = "rgba(107, 114, 128, 0.45)";

/** Moving averages: none of them red or blue, so they never read as a rise or a fall. */
export const MA_COLORS: Record<number, string> = {
  5: "#f08c00",
  20: "#2b8a3e",
  60: "#ae3ec9",
  120: "#495057",
};

export const GRID = "#f1f3f5";
export const BORDER = "#dee2e6";
export const TEXT = "#343a40";
export const BACKGROUND = "#ffffff";
export const FONT =
  '"Pretendard", "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", "Noto Sans CJK KR", system-ui, sans-serif';
