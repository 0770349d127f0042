// End-to-end test of the web client in a real browser: Debian's chromium driven by
// playwright-core (which never downloads a browser), against a running `stocklab up`
// filled by the simulator, its clock fixed in the session: Friday 2024-11-15 10:30 KST.
// Daily bars run from 2019-11-01 to 2024-11-14 (today's is not in yet), minute bars run
// 09:00–10:29, and orders are accepted; nothing fills, because the clock never reaches the
// next minute. The stock page must chart five years of daily bars within 1 s of navigation:
// the two `chart 5Y:` lines report the times (clicking through from the list, and opening
// the page's link afresh).
//
//   STOCKLAB_E2E_URL         base URL of `stocklab up` (required), e.g. http://127.0.0.1:8811
//   STOCKLAB_E2E_TOKEN_FILE  path of <STOCKLAB_HOME>/api-token (required)
//   STOCKLAB_E2E_ARTIFACTS   where screenshots go (default: <repo>/artifacts/e2e)
//   STOCKLAB_CHROMIUM        browser binary (default: /usr/bin/chromium)
//
// Exits 0 when every step passed; prints one line per step and the screenshots' paths.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.STOCKLAB_E2E_URL ?? "").replace(/\/$/, "");
const TOKEN_FILE = process.env.STOCKLAB_E2E_TOKEN_FILE ?? "";
const ARTIFACTS = resolve(process.env.STOCKLAB_E2E_ARTIFACTS ?? join(here, "..", "..", "artifacts", "e2e"));
const CHROMIUM = process.env.STOCKLAB_CHROMIUM ?? "/usr/bin/chromium";
const TIMEOUT = 30_000;

if (!BASE || !TOKEN_FILE) {
  console.error("e2e: set STOCKLAB_E2E_URL and STOCKLAB_E2E_TOKEN_FILE (see the top of e2e/run.mjs)");
  process.exit(2);
}
const TOKEN = readFileSync(TOKEN_FILE, "utf8").trim();

// The test machines have no outside network: no background services, no component or
// field-trial downloads, no sync; a fresh profile every run.
const ARGS = [
  "--headless=new",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
if (process.getuid?.() === 0) ARGS.push("--no-sandbox");

// ---------------------------------------------------------------- helpers

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

/** Polls `fn` until it returns a truthy value (returned) or the time is up (last error thrown). */
async function eventually(fn, message, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Failure(`${message}${last ? ` (${last.message})` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const shots = [];
async function screenshot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

/** Two animation frames: lightweight-charts paints on the next frame after new data. */
async function painted(page) {
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))),
  );
}

const RISE_RGB = [214, 0, 0];
const FALL_RGB = [0, 81, 199];
const CANDLE_COLORS = { rise: RISE_RGB, fall: FALL_RGB };

/**
 * Runs in the page: reads the pixels of the chart's main pane (the widest canvases nearest
 * the top of the chart, not the price axis) and counts red and blue ones in columns that
 * hold at least 4 of them: candle bodies and wicks, not the 1-px last-price line.
 */
function countCandlePixels({ rise, fall }) {
  const box = document.querySelector('[data-testid="price-chart"]');
  if (!box) return { rise: 0, fall: 0, columns: 0, canvases: 0 };
  const boxRect = box.getBoundingClientRect();
  const canvases = [...box.querySelectorAll("canvas")].filter((c) => {
    const r = c.getBoundingClientRect();
    return r.width > boxRect.width * 0.6 && r.top - boxRect.top < 5 && c.width > 0 && c.height > 0;
  });
  const near = (d, i, [r, g, b]) => Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40 && Math.abs(d[i + 2] - b) < 40;
  let riseCount = 0;
  let fallCount = 0;
  let columns = 0;
  for (const canvas of canvases) {
    const ctx = canvas.getContext("2d");
    if (!ctx) continue;
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    for (let x = 0; x < width; x++) {
      let r = 0;
      let f = 0;
      for (let y = 0; y < height; y++) {
        const i = (y * width + x) * 4;
        if (data[i + 3] < 200) continue;
        if (near(data, i, rise)) r++;
        else if (near(data, i, fall)) f++;
      }
      if (r + f >= 4) {
        columns++;
        riseCount += r;
        fallCount += f;
      }
    }
  }
  return { rise: riseCount, fall: fallCount, columns, canvases: canvases.length };
}

/** The candles-drawn test of every chart step: red and blue candles across the pane. */
const candlesDrawn = (p) => p.rise > 200 && p.fall > 200 && p.columns > 40;

async function candlePixels(page) {
  return page.evaluate(countCandlePixels, CANDLE_COLORS);
}

/**
 * Runs in the page: times how long the daily chart takes to show at least `minBars` bars
 * in view with its candles drawn (countCandlePixels and candlesDrawn, passed as source).
 * The clock starts at the page's next click (`from: "click"`, the event's own time stamp)
 * or at the document's navigation start (`from: "navigation"`, for an init script).
 * Every frame it looks at what the chart says it holds and shows (its data-* attributes);
 * once they are right, it reads the pixels after that frame's callbacks have run (a task
 * queued from the frame), so the canvas read is the one lightweight-charts painted for them.
 * The result lands in `window.__chartWatch`: start, drawn (ms on the page's clock), bars,
 * visible, pixels.
 */
function watchChart({ countSrc, drawnSrc, colors, minBars, from }) {
  const count = new Function(`return (${countSrc})`)();
  const drawn = new Function(`return (${drawnSrc})`)();
  const w = { start: from === "navigation" ? 0 : null, drawn: null, bars: 0, visible: 0, px: null };
  window.__chartWatch = w;
  const frame = () => {
    if (w.drawn !== null) return;
    const box = document.querySelector('[data-testid="price-chart"]');
    const bars = Number(box?.dataset.bars ?? 0);
    const visible = Number(box?.dataset.visibleBars ?? 0);
    if (box?.dataset.timeframe === "1d" && bars >= minBars && visible >= minBars) {
      setTimeout(() => {
        if (w.drawn !== null) return;
        const at = performance.now(); // the canvas holds these pixels from this moment at the latest
        const px = count(colors);
        if (drawn(px)) Object.assign(w, { drawn: at, bars, visible, px });
      }, 0);
    }
    requestAnimationFrame(frame);
  };
  if (from === "navigation") {
    requestAnimationFrame(frame);
  } else {
    const onClick = (e) => {
      w.start = e.timeStamp;
      requestAnimationFrame(frame);
    };
    document.addEventListener("click", onClick, { capture: true, once: true });
  }
}
const watchArgs = (minBars, from) => ({
  countSrc: countCandlePixels.toString(),
  drawnSrc: candlesDrawn.toString(),
  colors: CANDLE_COLORS,
  minBars,
  from,
});

async function chartState(page) {
  return page.locator('[data-testid="price-chart"]').evaluate((el) => ({
    bars: Number(el.dataset.bars ?? 0),
    timeframe: el.dataset.timeframe ?? "",
    visible: Number(el.dataset.visibleBars ?? 0),
  }));
}

async function expectCandles(page, label) {
  const px = await eventually(async () => {
    await painted(page);
    const p = await candlePixels(page);
    return candlesDrawn(p) ? p : null;
  }, `${label}: no candles drawn on the chart canvas`);
  return px;
}

/**
 * Pixels of a chart's panes near the given colours. lightweight-charts draws each pane on
 * canvases of its own, as wide as the plot (the price axis's are narrow): the wide canvases
 * are grouped by their top edge, one group per pane, top to bottom. Counts are of opaque
 * pixels within 40 of a colour in every channel (semi-transparent fills are drawn on the
 * white background, so their colour is the blend).
 */
async function panePixels(page, testid, colors) {
  return page.evaluate(({ testid, colors }) => {
    const box = document.querySelector(`[data-testid="${testid}"]`);
    if (!box) return [];
    const boxRect = box.getBoundingClientRect();
    const panes = new Map();
    for (const c of box.querySelectorAll("canvas")) {
      const r = c.getBoundingClientRect();
      // not the price axis (narrow), nor the time axis (short)
      if (r.width < boxRect.width * 0.6 || r.height < 40 || c.width === 0 || c.height === 0) continue;
      const top = Math.round(r.top - boxRect.top);
      if (!panes.has(top)) panes.set(top, { top, height: Math.round(r.height), counts: Object.fromEntries(Object.keys(colors).map((k) => [k, 0])) });
      const pane = panes.get(top);
      const ctx = c.getContext("2d");
      if (!ctx) continue;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] < 200) continue;
        for (const [name, [r0, g0, b0]] of Object.entries(colors)) {
          if (Math.abs(data[i] - r0) < 40 && Math.abs(data[i + 1] - g0) < 40 && Math.abs(data[i + 2] - b0) < 40) {
            pane.counts[name]++;
            break;
          }
        }
      }
    }
    return [...panes.values()].sort((a, b) => a.top - b.top);
  }, { testid, colors });
}

const blend = ([r, g, b], alpha) => [r, g, b].map((v) => Math.round(v * alpha + 255 * (1 - alpha)));

/** "29,547,984원" → 29547984; "-1.51%" → -1.51; "+1.51%" → 1.51. */
const numberIn = (text) => Number((/[-+]?[\d,]+(?:\.\d+)?/.exec(text) ?? ["NaN"])[0].replace(/,/g, ""));

/** Cumulative layout shift since the page loaded (Chromium's Layout Instability API). */
async function layoutShift(page) {
  return page.evaluate(() => window.__cls ?? 0);
}

async function noHorizontalScroll(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width + 1, `${label}: the page scrolls sideways (${scroll}px wide in a ${width}px window)`);
}

// ---------------------------------------------------------------- the run

const steps = [];
async function step(name, fn) {
  const started = Date.now();
  try {
    const note = await fn();
    steps.push({ name, ok: true });
    console.log(`  ok  ${name} (${Date.now() - started} ms)${note ? ` — ${note}` : ""}`);
  } catch (err) {
    steps.push({ name, ok: false });
    console.log(`  FAIL ${name}: ${err instanceof Failure ? err.message : err.stack ?? err}`);
    throw err;
  }
}

mkdirSync(ARTIFACTS, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "stocklab-e2e-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ARGS,
  viewport: { width: 1366, height: 900 },
  deviceScaleFactor: 1,
  locale: "ko-KR",
  // Not Seoul on purpose: every time on screen must still be KST.
  timezoneId: "America/New_York",
});
const problems = [];
let page;
let exitCode = 0;
try {
  // Nothing may leave this machine: anything not addressed to the server under test is refused.
  await context.route("**/*", (route) =>
    route.request().url().startsWith(BASE) || route.request().url().startsWith("data:")
      ? route.continue()
      : route.abort("blockedbyclient"),
  );
  await context.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: "layout-shift", buffered: true });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });

  console.log(`e2e against ${BASE} with ${CHROMIUM}`);

  await step("dashboard: market status, data held, jobs", async () => {
    await page.goto(`${BASE}/`);
    const market = page.locator(".dash-card", { has: page.getByRole("heading", { name: "장 상태" }) });
    // SIM_NOW is Friday 2024-11-15 10:30 KST: in the session; the next open is Monday 09:00 KST.
    await market.getByText("장 중").waitFor();
    await market.getByText("2024-11-18 09:00").waitFor();
    const store = page.locator(".dash-card", { has: page.getByRole("heading", { name: "보유 자료" }) });
    await eventually(async () => /일봉\s+300종목/.test(await store.innerText()), "the store card does not show daily bars for 300 codes");
    await page.getByText("스케줄러 동작 중").first().waitFor();
    await page.getByRole("heading", { name: "등락 상위" }).waitFor();
    await eventually(async () => (await page.locator("ol.movers li").count()) >= 6, "no top movers listed");
    await screenshot(page, "01-dashboard");
  });

  await step("language switch: English and back", async () => {
    await page.getByRole("button", { name: "Switch to English" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Stocks" }).waitFor();
    await page.getByRole("heading", { name: "Market" }).waitFor();
    await page.getByRole("button", { name: "한국어로 보기" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "종목" }).waitFor();
  });

  await step("stocks: virtualized list, KOSDAQ filter, search 삼성", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "종목" }).click();
    const table = page.getByRole("table", { name: "종목 목록" });
    const rows = table.locator('[role="rowgroup"].tbody [role="row"]');
    await rows.first().waitFor();
    await page.getByText("300개 중 300개").waitFor();
    const rendered = await rows.count();
    check(rendered > 5 && rendered < 100, `expected a virtualized window of rows, got ${rendered} of 300 in the DOM`);
    // Every row shows a close and a coloured change.
    const first = await rows.first().innerText();
    check(/\d{1,3}(,\d{3})+|\d+/.test(first), `a row shows no price: ${first}`);

    await page.getByRole("group", { name: "시장" }).getByRole("button", { name: "KOSDAQ" }).click();
    await eventually(async () => {
      const texts = await rows.allInnerTexts();
      return texts.length > 0 && texts.every((t) => t.includes("KOSDAQ"));
    }, "the KOSDAQ filter left rows of another market");
    await page.getByRole("group", { name: "시장" }).getByRole("button", { name: "전체" }).click();

    await page.getByRole("searchbox", { name: "종목 검색" }).fill("삼성");
    const texts = await eventually(async () => {
      const t = await rows.allInnerTexts();
      return t.length > 0 && t.length < 20 && t.every((x) => x.includes("삼성")) ? t : null;
    }, "searching 삼성 did not leave only rows with 삼성");
    check(texts.some((t) => t.includes("삼성전자") && t.includes("005930")), "삼성전자 (005930) is not among the results");
    await screenshot(page, "02-stocks-search");
    return `${texts.length} rows: ${texts.map((t) => t.split("\n")[0]).join(", ")}`;
  });

  let dailyBars = 0;
  await step("stock page: daily candles drawn, readout, badge, tables", async () => {
    await page.getByRole("link", { name: "삼성전자", exact: true }).click();
    await page.waitForURL(/\/stocks\/005930$/);
    await page.getByRole("heading", { level: 1, name: "삼성전자" }).waitFor();
    await page.getByText("모의 데이터").waitFor();
    const chart = page.locator('[data-testid="price-chart"]');
    await chart.waitFor();
    const state = await eventually(async () => {
      const s = await chartState(page);
      return s.timeframe === "1d" && s.bars > 100 ? s : null;
    }, "the daily chart did not get its bars");
    dailyBars = state.bars;
    const px = await expectCandles(page, "daily");
    const readout = page.getByTestId("readout");
    // In the session the last daily bar is the previous trading day's.
    check(/^2024-11-14/.test(await readout.innerText()), "the readout does not show the last daily bar, 2024-11-14");
    // Recent prices: 20 rows, newest first, with thousands separators.
    const recent = page.getByRole("table", { name: "일별 시세" });
    await eventually(async () => (await recent.locator("tbody tr").count()) === 20, "the daily price table has no 20 rows");
    check((await recent.locator("tbody tr").first().innerText()).startsWith("2024-11-14"), "the price table does not start with the last day");
    check(/\d{2},\d{3}/.test(await recent.locator("tbody tr").first().innerText()), "prices lack thousands separators");
    // Investor flows (collected before the run): newest first, signed and coloured.
    const flows = page.getByRole("table", { name: "투자자별 순매수 (주)" });
    await eventually(async () => (await flows.locator("tbody tr").count()) === 20, "the investor flow table has no 20 rows");
    const flowRow = flows.locator("tbody tr").first();
    check((await flowRow.innerText()).startsWith("2024-11-14"), "the flow table does not start with the last day");
    check((await flowRow.locator("td .rise, td .fall").count()) >= 1, "net buying is not coloured by sign");
    // The crosshair: move over the left part of the pane, the readout follows.
    const box = await chart.boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await eventually(async () => {
      const text = await readout.innerText();
      return /^2024-\d\d-\d\d/.test(text) && !text.startsWith("2024-11-14");
    }, "the crosshair readout did not follow the pointer");
    await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.4);
    await painted(page);
    await screenshot(page, "03-stock-daily");
    await page.mouse.move(0, 0);
    const cls = await layoutShift(page);
    check(cls < 0.1, `the stock page jumped while loading (layout shift ${cls.toFixed(3)})`);
    return `${state.bars} bars, ${px.columns} candle columns (${px.rise} red px, ${px.fall} blue px), layout shift ${cls.toFixed(3)}`;
  });

  await step("stock page: range presets 1M and all", async () => {
    const ranges = page.getByRole("group", { name: "기간" });
    await ranges.getByRole("button", { name: "1개월" }).click();
    const month = await eventually(async () => {
      const s = await chartState(page);
      return s.visible > 15 && s.visible <= 24 ? s : null;
    }, "1개월 does not show about a month of daily bars");
    await ranges.getByRole("button", { name: "전체" }).click();
    const all = await eventually(async () => {
      const s = await chartState(page);
      return s.visible === s.bars ? s : null;
    }, "전체 does not show every bar");
    return `1M shows ${month.visible} bars, all shows ${all.visible}`;
  });

  await step("stock page: switch to 1m, minute candles with KST times", async () => {
    await page.getByRole("group", { name: "주기" }).getByRole("button", { name: "분봉" }).click();
    const state = await eventually(async () => {
      const s = await chartState(page);
      return s.timeframe === "1m" && s.bars > 0 && s.bars !== dailyBars ? s : null;
    }, "the chart did not re-render with minute bars");
    const readout = await page.getByTestId("readout").innerText();
    // Today's minutes so far: the last complete one at 10:30 KST is the 10:29 bar.
    check(/^2024-11-15 10:29/.test(readout), `the readout does not show a KST time of day: ${readout.split("\n")[0]}`);
    check(page.url().includes("tf=1m"), "the timeframe is not in the URL");
    const px = await expectCandles(page, "minute");
    await screenshot(page, "04-stock-minute");
    return `${state.bars} minute bars, readout ${readout.split("\n")[0]}, ${px.columns} candle columns`;
  });

  let firstRun = "";
  await step("jobs: run collect_codes, token dialog (wrong, then right), run succeeds", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "작업" }).click();
    const schedule = page.getByRole("table", { name: "일정" });
    await schedule.getByText("collect_codes", { exact: true }).waitFor();
    await schedule.getByText("collect_daily", { exact: true }).waitFor();

    await page.getByRole("button", { name: "collect_codes 지금 실행" }).click();
    const dialog = page.getByRole("dialog", { name: "API 토큰" });
    await dialog.waitFor();
    await dialog.getByLabel("토큰").fill("not-the-right-token-at-all");
    await dialog.getByRole("button", { name: "확인" }).click();
    // The server says 401; the dialog comes back with the server's message.
    await dialog.getByRole("alert").getByText("API 토큰이 맞지 않습니다", { exact: false }).waitFor();
    await screenshot(page, "05-jobs-token-dialog");
    await dialog.getByLabel("토큰").fill(TOKEN);
    await dialog.getByRole("button", { name: "확인" }).click();
    await dialog.waitFor({ state: "detached" });

    const notice = page.locator(".launch-status [data-run-id]");
    await notice.waitFor();
    firstRun = await notice.getAttribute("data-run-id");
    check(firstRun?.startsWith("collect_codes-"), `unexpected run id ${firstRun}`);
    const row = page.locator(`table.runs tr[data-run-id="${firstRun}"]`);
    await row.waitFor({ timeout: 60_000 });
    await eventually(async () => (await row.getAttribute("data-status")) === "succeeded", `run ${firstRun} did not succeed`, 90_000);
    const text = await row.innerText();
    check(text.includes("성공") && text.includes("collect_codes"), `the run row lacks 성공 or the job: ${text}`);
    check(/^\d[\d,]*$/.test((await row.locator("td").nth(5).innerText()).trim()), "the run row shows no row count");
    // Its log says what it did: the simulator's 300 codes (none new: `up` collected them at start).
    await row.getByText("로그").click();
    await row.getByText("종목 300개", { exact: false }).waitFor();
    await screenshot(page, "06-jobs-run");
    return `${firstRun}: ${text.replace(/\s+/g, " ").slice(0, 90)}`;
  });

  await step("jobs: the token is kept for the session (no second dialog)", async () => {
    await page.getByRole("button", { name: "collect_codes 지금 실행" }).click();
    const second = await eventually(async () => {
      const id = await page.locator(".launch-status [data-run-id]").getAttribute("data-run-id");
      return id && id !== firstRun ? id : null;
    }, "a second run was not started");
    check((await page.getByRole("dialog").count()) === 0, "the token was asked for again");
    const row = page.locator(`table.runs tr[data-run-id="${second}"]`);
    await eventually(async () => (await row.getAttribute("data-status")) === "succeeded", `run ${second} did not succeed`, 90_000);
    return second;
  });

  // ---- trading (the token is in the session since the jobs steps: no dialog here)

  const won = (n) => n.toLocaleString("en-US");
  const ticket = page.getByRole("form", { name: "주문하기" });
  let reference = 0;
  let band = { lower: 0, upper: 0 };

  await step("order ticket: reference and band agree with the server; an off-tick price is flagged inline", async () => {
    // The server's own band, from the refusal of a price it cannot accept (1 won): the
    // client computes its band itself, and the two must be the same.
    const res = await fetch(`${BASE}/api/orders`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ code: "005930", side: "buy", qty: 1, order_type: "limit", price: 1 }),
    });
    const refused = await res.json();
    check(res.status === 409, `a 1-won order was not refused: ${res.status} ${JSON.stringify(refused)}`);
    const m = /([\d,]+)원 ~ ([\d,]+)원 \(기준가 ([\d,]+)원\)/.exec(refused.detail ?? "");
    check(m, `the refusal does not name the band: ${refused.detail}`);
    const num = (x) => Number(x.replace(/,/g, ""));
    band = { lower: num(m[1]), upper: num(m[2]) };
    reference = num(m[3]);

    await page.goto(`${BASE}/stocks/005930`);
    await ticket.waitFor();
    const facts = ticket.locator(".ticket-facts");
    await eventually(
      async () => (await facts.innerText()).includes(`${won(band.lower)} ~ ${won(band.upper)}`),
      `the ticket does not show the server's band ${won(band.lower)} ~ ${won(band.upper)}`,
    );
    const factsText = await facts.innerText();
    check(factsText.includes(`${won(reference)}`) && factsText.includes("11-14 종가"), `the ticket does not show the reference ${won(reference)} (11-14 종가): ${factsText}`);
    const price = ticket.getByLabel("가격", { exact: true });
    await eventually(async () => /^\d[\d,]*$/.test(await price.inputValue()), "the price did not start at the last price");

    await ticket.getByLabel("수량").fill("10");
    await price.fill(won(reference + 1));
    const tickError = ticket.getByText(new RegExp(`^호가단위 [\\d,]+원: ${won(reference)} 또는 [\\d,]+$`));
    await tickError.waitFor();
    check((await price.getAttribute("aria-invalid")) === "true", "the off-tick price is not marked invalid");
    const tickText = await tickError.innerText();
    await price.fill(won(band.upper + 1000));
    await ticket.getByText(`가격제한폭 밖입니다: ${won(band.lower)} ~ ${won(band.upper)} (기준가 ${won(reference)})`).waitFor();
    await screenshot(page, "10-stock-ticket-error");
    return `server band ${won(band.lower)} ~ ${won(band.upper)} (기준가 ${won(reference)}); inline: ${tickText}`;
  });

  let limitId = "";
  let marketId = "";
  await step("order ticket: a limit buy below the market is accepted and stays open", async () => {
    const price = ticket.getByLabel("가격", { exact: true });
    // ▼ from above the band lands on its top; then ten ticks down from the reference.
    await ticket.getByRole("button", { name: "한 호가 내리기" }).click();
    check((await price.inputValue()) === won(band.upper), `▼ from above the band did not land on ${won(band.upper)}`);
    await price.fill(won(reference));
    for (let i = 0; i < 10; i++) await ticket.getByRole("button", { name: "한 호가 내리기" }).click();
    const limitPrice = Number((await price.inputValue()).replace(/,/g, ""));
    check(limitPrice < reference && limitPrice > band.lower, `ten ticks down from ${reference} gave ${limitPrice}`);
    const costs = await ticket.locator(".ticket-costs").innerText();
    check(costs.includes(`${won(limitPrice * 10)}원`), `the estimate does not show ${won(limitPrice * 10)}원: ${costs}`);
    await ticket.getByRole("button", { name: "매수 주문" }).click();
    const done = ticket.locator(".ticket-done");
    await done.getByText("주문을 냈습니다").waitFor();
    limitId = await done.getAttribute("data-client-id");
    const status = await done.locator("[data-status]").getAttribute("data-status");
    check(status === "accepted", `the limit order is ${status}, not accepted`);
    check((await done.innerText()).includes(`매수 지정가 10주 × ${won(limitPrice)}원`), `the summary is wrong: ${await done.innerText()}`);
    return `${limitId}: 10 × ${won(limitPrice)} ${status}`;
  });

  await step("order ticket: a market buy is accepted (open: the fixed clock never reaches the next minute)", async () => {
    await ticket.getByRole("group", { name: "주문 유형" }).getByRole("button", { name: "시장가" }).click();
    check(await ticket.getByLabel("가격", { exact: true }).isDisabled(), "the price field is not disabled for a market order");
    await ticket.getByLabel("수량").fill("5");
    await ticket.getByText("주문금액 (현재가 기준)").waitFor();
    await ticket.getByRole("button", { name: "매수 주문" }).click();
    const done = ticket.locator(".ticket-done");
    await eventually(async () => {
      const id = await done.getAttribute("data-client-id");
      return id && id !== limitId ? id : null;
    }, "the market order was not placed");
    marketId = await done.getAttribute("data-client-id");
    const status = await done.locator("[data-status]").getAttribute("data-status");
    check(status === "accepted", `the market order is ${status}, not accepted`);
    await screenshot(page, "11-stock-ticket-placed");
    return `${marketId}: ${status}`;
  });

  await step("order ticket: a sale of shares not held is refused before sending, next to the quantity", async () => {
    await ticket.getByRole("group", { name: "매매 구분" }).getByRole("button", { name: "매도" }).click();
    await ticket.getByLabel("수량").fill("1");
    const message = ticket.getByText("매도가능수량은 0주입니다");
    await message.waitFor();
    check(await ticket.getByRole("button", { name: "최대 주문 가능량 넣기" }).isDisabled(), "최대 is offered with nothing to sell");
    let posted = 0;
    const count = (req) => {
      if (req.method() === "POST" && req.url().endsWith("/api/orders")) posted += 1;
    };
    page.on("request", count);
    const submit = ticket.getByRole("button", { name: "매도 주문" });
    if (await submit.isEnabled()) await submit.click(); // disabled once a press found the ticket wrong
    await page.waitForTimeout(300);
    page.off("request", count);
    check(posted === 0, `the ticket sent a sale it should have refused (${posted} POST)`);
    check((await ticket.getByRole("alert").count()) === 0, "the refusal came from the server, not the ticket");
    return await message.innerText();
  });

  await step("orders: both orders open, fills on expand, cancel the limit order", async () => {
    await ticket.getByRole("group", { name: "매매 구분" }).getByRole("button", { name: "매수" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "주문" }).click();
    await page.waitForURL(/\/orders$/);
    const table = page.getByRole("table", { name: "주문 목록" });
    const limitRow = table.locator(`tr[data-client-id="${limitId}"]`);
    const marketRow = table.locator(`tr[data-client-id="${marketId}"]`);
    await limitRow.waitFor();
    await marketRow.waitFor();
    for (const [row, what] of [[limitRow, "limit"], [marketRow, "market"]]) {
      check((await row.getAttribute("data-status")) === "accepted", `the ${what} order is not open`);
      // The row shows the code until the stock list has loaded, then the name.
      await row.getByText("삼성전자").waitFor({ timeout: 5000 }).catch(() => {});
      const text = await row.innerText();
      check(text.includes("삼성전자") && text.includes("매수") && text.includes("2024-11-15 10:30:00") && text.includes("접수"), `the ${what} row lacks its facts: ${text}`);
    }
    check((await marketRow.innerText()).includes("시장가"), "the market order does not say 시장가");
    // The server's refusal of the 1-won order is listed with its reason; the rule is a field, not text.
    const refused = table.locator('tr[data-status="rejected"][data-rule="price"]', { hasText: "가격제한폭" });
    check((await refused.count()) >= 1, "the refused order is not listed with its reason");
    check(!(await refused.first().innerText()).includes("[price]"), "the refusal shows the rule's name as text");

    await page.getByRole("group", { name: "상태로 거르기" }).getByRole("button", { name: "미체결" }).click();
    await eventually(async () => (await table.locator('tr[data-status="rejected"]').count()) === 0, "미체결 still lists rejected orders");
    check((await limitRow.count()) === 1 && (await marketRow.count()) === 1, "미체결 does not list both open orders");

    await marketRow.getByRole("button", { name: /체결 내역$/ }).click();
    await page.getByText("체결이 없습니다").waitFor();
    await screenshot(page, "12-orders-open");

    // 정정: one tick lower and 4 shares fewer; the new order replaces the old.
    await limitRow.getByRole("button", { name: /주문 정정$/ }).click();
    const form = page.getByRole("form", { name: /매수 주문 정정$/ });
    const oldPrice = Number((await form.getByLabel("정정 가격").inputValue()).replace(/,/g, ""));
    const newPrice = oldPrice - 50;
    await form.getByLabel("정정 가격").fill(String(newPrice));
    await form.getByLabel("정정 수량").fill("6");
    await screenshot(page, "12b-orders-modify");
    await form.getByRole("button", { name: "정정 주문" }).click();
    await page.locator(".launch-status").getByText("주문을 정정했습니다", { exact: false }).waitFor();
    const modifiedRow = table.locator(`tr[data-client-id="${limitId}.m1"]`);
    await eventually(async () => (await modifiedRow.count()) === 1 && (await limitRow.count()) === 0, "미체결 does not show the modified order in place of the old");
    const modified = await (await fetch(`${BASE}/api/orders/${limitId}.m1`)).json();
    check(modified.replaces === limitId && modified.request.qty === 6 && modified.request.price === newPrice && modified.status === "accepted",
      `the server does not hold the modify: ${JSON.stringify(modified)}`);
    const old = await (await fetch(`${BASE}/api/orders/${limitId}`)).json();
    check(old.status === "replaced", `the original is ${old.status}, not replaced`);

    await modifiedRow.getByRole("button", { name: /주문 취소$/ }).click();
    await page.locator(".launch-status").getByText("주문을 취소했습니다", { exact: false }).waitFor();
    // 미체결 no longer lists it; 취소·정정·만료 does, as 취소 (and the original as 정정됨).
    await eventually(async () => (await modifiedRow.count()) === 0, "the cancelled order is still listed as open");
    await page.getByRole("group", { name: "상태로 거르기" }).getByRole("button", { name: "취소·정정·만료" }).click();
    await eventually(async () => (await modifiedRow.count()) === 1 && (await modifiedRow.getAttribute("data-status")) === "cancelled", "the cancelled order is not under 취소·정정·만료");
    check((await modifiedRow.innerText()).includes("취소"), "the cancelled row does not say 취소");
    check((await limitRow.getAttribute("data-status")) === "replaced" && (await limitRow.innerText()).includes("정정됨"), "the original does not say 정정됨");
    await page.getByRole("group", { name: "상태로 거르기" }).getByRole("button", { name: "전체" }).click();
    await eventually(async () => (await marketRow.getAttribute("data-status")) === "accepted", "the market order is no longer open");
    await screenshot(page, "13-orders-cancelled");
    return `${limitId} modified to 6 × ${newPrice} as ${limitId}.m1, then cancelled; ${marketId} still accepted`;
  });

  await step("portfolio: account cards", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "잔고" }).click();
    await page.waitForURL(/\/portfolio$/);
    const acct = await (await fetch(`${BASE}/api/account`)).json();
    const card = (name) => page.getByRole("group", { name });
    // The open market buy holds cash: less can be ordered than is held.
    check(acct.orderable < acct.cash, `the open market order holds no cash (${acct.orderable} of ${acct.cash})`);
    const shows = async (name, value) => (await card(name).innerText()).includes(`${won(value)}원`);
    // (Cached figures show first and are refreshed on arrival.)
    await eventually(async () => (await shows("예수금", acct.cash)) && (await shows("주문가능", acct.orderable)) && (await shows("총자산", acct.equity)),
      `the cards do not show 예수금 ${won(acct.cash)}, 주문가능 ${won(acct.orderable)}, 총자산 ${won(acct.equity)}`);
    const texts = {};
    for (const name of ["예수금", "주문가능", "평가금액", "총자산", "오늘 손익"]) texts[name] = (await card(name).innerText()).replace(/\s+/g, " ");
    await page.getByText("보유 종목이 없습니다").waitFor();
    await screenshot(page, "14-portfolio");
    return Object.values(texts).join(" | ");
  });

  await step("kill switch: on after confirming (cancels the open market order), then off", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "주문" }).click();
    const kill = page.locator(".kill-card");
    await kill.getByText("꺼짐").waitFor();
    await page.getByRole("button", { name: "긴급 정지 켜기" }).click();
    const dialog = page.getByRole("dialog", { name: "긴급 정지를 켤까요?" });
    await dialog.waitFor();
    check(await dialog.getByRole("checkbox").isChecked(), "cancelling open orders is not the default");
    await dialog.getByText("미체결 주문도 모두 취소 (1건)").waitFor();
    await dialog.getByRole("button", { name: "켜기" }).click();
    await kill.getByText("긴급 정지를 켰습니다. 취소한 주문 1건").waitFor();
    await kill.getByText("켜짐").waitFor();
    const marketRow = page.locator(`table.orders tr[data-client-id="${marketId}"]`);
    await eventually(async () => (await marketRow.getAttribute("data-status")) === "cancelled", "the open market order was not cancelled");
    await screenshot(page, "15-orders-killed");
    await page.getByRole("button", { name: "긴급 정지 끄기" }).click();
    await kill.getByText("꺼짐").waitFor();
    const state = await (await fetch(`${BASE}/api/kill`)).json();
    check(state.killed === false, "the kill switch is still on at the server");
  });

  // ---- backtests (the token is in the session: no dialog)

  let backtestId = "";
  const shown = {};
  await step("backtest: the form runs sma_cross 5/20 on three codes over 2024 and follows the run", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "백테스트" }).click();
    await page.waitForURL(/\/backtests$/);
    const form = page.getByRole("form", { name: "백테스트 설정" });
    await form.getByText("일봉이 있는 종목만 고를 수 있습니다. 비워 두면 300종목 전부로 합니다.").waitFor();
    await form.getByLabel("전략").selectOption("sma_cross");
    await form.getByLabel("단기 이동평균").fill("5");
    await form.getByLabel("장기 이동평균").fill("20");
    const codes = form.getByRole("combobox", { name: "종목", exact: true });
    const options = page.getByRole("listbox", { name: "종목" });
    // by name, by 초성, by code
    for (const [query, code] of [["삼성전자", "005930"], ["ㅎㅇㄴㅅ", "000660"], ["0354", "035420"]]) {
      await codes.fill(query);
      await options.getByRole("option", { name: new RegExp(code) }).click();
    }
    const chips = form.getByRole("list", { name: "고른 종목" }).getByRole("listitem");
    check((await chips.count()) === 3, `expected three chosen codes, got ${await chips.count()}`);
    await form.getByLabel("시작일").fill("2024-01-01");
    await form.getByLabel("종료일").fill("2024-12-31");
    // an inline check first: fast must be shorter than slow
    await form.getByLabel("단기 이동평균").fill("30");
    await form.getByLabel("단기 이동평균").blur();
    await form.getByText("단기(30)는 장기(20)보다 짧아야 합니다").waitFor();
    await form.getByLabel("단기 이동평균").fill("5");
    await screenshot(page, "18-backtest-form");

    const started = Date.now();
    await form.getByRole("button", { name: "백테스트 실행" }).click();
    check((await page.getByRole("dialog").count()) === 0, "the token was asked for again");
    await page.getByRole("status", { name: "실행 상태" }).getByText(/실행을 기다리는 중|실행 중|끝났습니다/).waitFor();
    await page.waitForURL(/\/backtests\/bt-[\w-]+$/, { timeout: 180_000 });
    backtestId = page.url().split("/").pop();
    return `${backtestId} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  });

  await step("backtest: the result — statistics, the equity chart drawn, the trades", async () => {
    const record = await (await fetch(`${BASE}/api/backtests/${backtestId}`)).json();
    check(record.codes.length === 3 && record.params.strategy.fast === 5 && record.params.strategy.slow === 20, `unexpected record: ${JSON.stringify(record.params)}`);
    await page.getByRole("heading", { level: 1, name: "이동평균 교차 (sma_cross) 백테스트" }).waitFor();
    const card = (name) => page.getByRole("group", { name, exact: true });
    await card("최종 자산").getByText("원", { exact: false }).waitFor();
    for (const name of ["최종 자산", "총수익률", "최대 낙폭", "샤프 비율", "거래 수 (청산)", "승률"]) shown[name] = (await card(name).innerText()).split("\n").pop().trim();
    check(shown["최종 자산"] === `${won(record.stats.final_equity)}원`, `최종 자산 shows ${shown["최종 자산"]}, the record has ${record.stats.final_equity}`);
    check(Math.abs(numberIn(shown["총수익률"]) - record.stats.total_return * 100) < 0.006, `총수익률 shows ${shown["총수익률"]}, the record has ${record.stats.total_return}`);
    check(shown["거래 수 (청산)"] === won(record.stats.trades), `거래 수 shows ${shown["거래 수 (청산)"]}`);
    // the equity line (red above the start, blue below) and the drawdown bars beneath
    const panes = await eventually(async () => {
      await painted(page);
      const p = await panePixels(page, "equity-chart", { rise: RISE_RGB, fall: FALL_RGB, drawdown: blend(FALL_RGB, 0.55) });
      return p.length === 2 && p[0].counts.rise + p[0].counts.fall > 300 && p[1].counts.drawdown > 200 ? p : null;
    }, "the equity chart is not drawn (line above, drawdown below)");
    const readout = await page.getByTestId("equity-readout").innerText();
    check(readout.startsWith(record.equity.at(-1)[0]), `the readout does not show the last day: ${readout}`);
    // the trades: one row each, names and coloured P&L
    const rows = page.getByRole("table", { name: "거래 내역" }).locator("tbody tr");
    await eventually(async () => (await rows.count()) === Math.min(record.trades.length, 100), `the trades table does not have ${record.trades.length} rows`);
    const firstRow = await rows.first().innerText();
    check(/삼성전자|SK하이닉스|NAVER/.test(firstRow) && /\d{4}-\d\d-\d\d/.test(firstRow), `the first trade row lacks its name or dates: ${firstRow}`);
    check((await rows.locator("td .rise, td.rise, td.fall").count()) > 0, "P&L is not coloured");
    await screenshot(page, "19-backtest-result");
    const cls = await layoutShift(page);
    check(cls < 0.1, `the result page jumped while loading (layout shift ${cls.toFixed(3)})`);
    return `${Object.entries(shown).map(([k, v]) => `${k} ${v}`).join(" | ")}; equity ${panes[0].counts.rise + panes[0].counts.fall} px, drawdown ${panes[1].counts.drawdown} px; ${record.trades.length} trades`;
  });

  await step("backtest: the HTML report opens in a new tab, shows its charts and the same result", async () => {
    const link = page.getByRole("link", { name: "HTML 보고서 (새 탭)" });
    check((await link.getAttribute("target")) === "_blank", "the report link does not open a new tab");
    const [report] = await Promise.all([context.waitForEvent("page"), link.click()]);
    await report.waitForLoadState("load");
    check(report.url().endsWith(`/api/backtests/${backtestId}/report`), `the report tab is at ${report.url()}`);
    const images = await eventually(async () => {
      const imgs = await report.evaluate(() => [...document.images].map((i) => ({ src: i.getAttribute("src"), done: i.complete, width: i.naturalWidth })));
      return imgs.length > 0 && imgs.every((i) => i.done) ? imgs : null;
    }, "the report's images did not load");
    const broken = images.filter((i) => i.width === 0);
    check(broken.length === 0, `report images that did not load: ${broken.map((i) => i.src).join(", ")}`);
    check(images.some((i) => i.src === "chart/equity.png"), "the report has no equity chart");
    check(images.filter((i) => i.src.startsWith("chart/price-")).length === 3, `the report does not chart the three codes: ${images.map((i) => i.src).join(", ")}`);
    const stat = async (label) => (await report.locator("tr", { has: report.locator("td", { hasText: new RegExp(`^${label}$`) }) }).locator("td").nth(1).innerText()).trim();
    const finalEquity = await stat("최종 자산");
    const totalReturn = await stat("총수익률");
    check(finalEquity === shown["최종 자산"], `the report's final equity ${finalEquity} is not the page's ${shown["최종 자산"]}`);
    check(numberIn(totalReturn) === numberIn(shown["총수익률"]), `the report's total return ${totalReturn} is not the page's ${shown["총수익률"]}`);
    await screenshot(report, "20-backtest-report");
    await report.close();
    // and it is listed among the past backtests
    await page.getByRole("navigation").getByRole("link", { name: "백테스트" }).click();
    await page.locator(`table.bt-list tr[data-backtest-id="${backtestId}"]`).waitFor();
    return `${images.length} images (${images.map((i) => `${i.src} ${i.width}px`).join(", ")}); 최종 자산 ${finalEquity}, 총수익률 ${totalReturn}`;
  });

  await step("stock page: Bollinger bands, RSI and MACD from the server, in panes below", async () => {
    await page.goto(`${BASE}/stocks/005930`);
    await eventually(async () => (await chartState(page)).bars > 100, "no daily chart");
    const chartBox = page.locator(".chart-card .chart-box");
    const before = (await chartBox.boundingBox()).height;
    const toggles = page.getByRole("group", { name: "보조지표" });
    for (const name of ["볼린저", "RSI", "MACD"]) await toggles.getByRole("button", { name, exact: true }).click();
    const chart = page.locator('[data-testid="price-chart"]');
    await eventually(async () => (await chart.getAttribute("data-panes")) === "4", "the RSI and MACD panes were not added");
    check(page.url().includes("ind=bb%2Crsi%2Cmacd") || page.url().includes("ind=bb,rsi,macd"), `the indicators are not in the URL: ${page.url()}`);
    const readout = page.getByTestId("indicator-readout");
    await eventually(async () => /RSI14 \d/.test(await readout.innerText()), "the indicator readout shows no RSI value");
    // the box grows by two oscillator panes (smoothly), and the candles keep their pane
    const after = await eventually(async () => {
      const h = (await chartBox.boundingBox()).height;
      return h > before + 100 ? h : null;
    }, "the chart did not make room for the oscillator panes");
    const panes = await eventually(async () => {
      await painted(page);
      const p = await panePixels(page, "price-chart", {
        rsi: [112, 72, 232],
        rise: RISE_RGB,
        fall: FALL_RGB,
        bandRise: blend(RISE_RGB, 0.45),
        bandFall: blend(FALL_RGB, 0.45),
        band: [148, 163, 184],
      });
      return p.length === 4 && p[2].counts.rsi > 100 && p[3].counts.bandRise + p[3].counts.bandFall > 100 && p[0].counts.band > 100 ? p : null;
    }, "the indicator panes are not drawn (RSI line, MACD histogram, Bollinger bands)");
    await page.mouse.move(0, 0);
    await screenshot(page, "21-stock-indicators");
    const text = (await readout.innerText()).replace(/\s+/g, " ");
    return `panes ${panes.map((p) => p.height).join("/")} px (box ${Math.round(before)} → ${Math.round(after)} px); RSI ${panes[2].counts.rsi} px, MACD histogram ${panes[3].counts.bandRise + panes[3].counts.bandFall} px, bands ${panes[0].counts.band} px; ${text}`;
  });

  // ---- how fast the chart shows five years of daily bars (the store's start on 2019-11-01)

  const FIVE_YEARS_OF_BARS = 1_200; // KRX holds about 246 sessions a year
  const CHART_LIMIT_MS = 1_000;
  const kstDate = (t) => new Date((t + 9 * 3600) * 1000).toISOString().slice(0, 10);
  /** This document's requests for 005930's daily bars (resource timing, on the page's clock). */
  const dailyRequests = () =>
    page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .filter((r) => r.name.includes("/api/codes/005930/prices") && /[?&]tf=1d(&|$)/.test(r.name))
        .map((r) => ({ start: r.startTime, end: r.responseEnd, bytes: r.transferSize })),
    );
  /** What the watched chart held and showed, checked against the API's own answer (fetched after the clock stopped). */
  const fiveYearsShown = async (w) => {
    const api = await (await fetch(`${BASE}/api/codes/005930/prices?tf=1d`)).json();
    const n = api.t.length;
    check(w.bars === n, `the chart holds ${w.bars} daily bars, the API has ${n}`);
    const last = kstDate(api.t[n - 1]);
    const [y, m, d] = last.split("-").map(Number);
    const from = new Date(Date.UTC(y - 5, m - 1, d + 1)).toISOString().slice(0, 10); // the 5년 preset's first day
    check(kstDate(api.t[0]) <= from, `the daily bars start on ${kstDate(api.t[0])}, less than five years before ${last}`);
    const inView = api.t.filter((t) => kstDate(t) >= from);
    check(inView.length >= FIVE_YEARS_OF_BARS, `five years to ${last} are only ${inView.length} daily bars`);
    // The view opens half a bar before the preset's first day, which the count may round to one more.
    check(w.visible >= inView.length && w.visible <= inView.length + 1, `the chart shows ${w.visible} bars, the five years from ${from} are ${inView.length}`);
    return { loaded: n, inView: inView.length, first: kstDate(inView[0]), last };
  };
  const watched = () =>
    eventually(() => page.evaluate(() => (window.__chartWatch?.drawn != null ? window.__chartWatch : null)), "the five-year chart was not drawn");

  await step("stock page: five years of daily bars charted within 1 s of clicking through from the list", async () => {
    // A fresh load of the app on the 종목 list, which shows no chart: nothing of 005930 has
    // been fetched in this document (the code list has), and the API's answers carry no
    // caching headers, so the bars come from the server after the click.
    await page.goto(`${BASE}/stocks?q=${encodeURIComponent("삼성")}`);
    const link = page.getByRole("link", { name: "삼성전자", exact: true });
    await link.waitFor();
    check((await page.getByTestId("price-chart").count()) === 0, "the list page shows a chart");
    await page.evaluate(watchChart, watchArgs(FIVE_YEARS_OF_BARS, "click"));
    // As a user would: the row's link (client-side routing), then 기간 5년. The clock runs
    // from the first click to the five years' candles on the canvas.
    await link.click();
    await page.getByRole("group", { name: "기간" }).getByRole("button", { name: "5년" }).click();
    await page.waitForURL(/\/stocks\/005930\?range=5Y$/);
    const w = await watched();
    const ms = Math.round(w.drawn - w.start);
    const requests = await dailyRequests();
    check(requests.length === 1 && requests[0].start >= w.start && requests[0].bytes > 0,
      `the daily bars were not fetched from the server once, after the click: ${JSON.stringify(requests)}`);
    const span = await fiveYearsShown(w);
    const line = `chart 5Y: ${ms} ms after navigation (clicked through from the 종목 list, then 5년; ${won(span.inView)} daily bars in view, ${span.first} – ${span.last}, of ${won(span.loaded)} loaded; the bars arrived at ${Math.round(requests[0].end - w.start)} ms)`;
    console.log(line);
    check(ms <= CHART_LIMIT_MS, `over ${CHART_LIMIT_MS} ms: ${line}`);
    await page.mouse.move(0, 0);
    await screenshot(page, "23-stock-5y");
    return `${ms} ms; ${w.px.columns} candle columns (${w.px.rise} red px, ${w.px.fall} blue px)`;
  });

  await step("stock page: five years of daily bars charted within 1 s of opening its link (the app loads afresh)", async () => {
    const init = await page.addInitScript(watchChart, watchArgs(FIVE_YEARS_OF_BARS, "navigation"));
    try {
      await page.goto(`${BASE}/stocks/005930?range=5Y`);
    } finally {
      await init.dispose();
    }
    const w = await watched();
    const ms = Math.round(w.drawn); // from the navigation's start, the page clock's origin
    const requests = await dailyRequests();
    check(requests.length === 1 && requests[0].bytes > 0, `the daily bars were not fetched from the server once: ${JSON.stringify(requests)}`);
    const bundle = await page.evaluate(() =>
      performance.getEntriesByType("resource").filter((r) => /\/assets\/.+\.js$/.test(r.name)).map((r) => r.transferSize < r.encodedBodySize),
    );
    const span = await fiveYearsShown(w);
    // (The e2e routes every request through playwright, which turns the browser's cache off:
    // the script is downloaded again, as on a first visit.)
    const line = `chart 5Y: ${ms} ms after navigation (the link opened: the app loads afresh, its script ${bundle.length > 0 && bundle.every(Boolean) ? "from the browser's cache" : "downloaded as on a first visit"}; ${won(span.inView)} daily bars in view of ${won(span.loaded)}; the bars arrived at ${Math.round(requests[0].end)} ms)`;
    console.log(line);
    check(ms <= CHART_LIMIT_MS, `over ${CHART_LIMIT_MS} ms: ${line}`);
    return `${ms} ms`;
  });

  await step("phone width: list, chart, jobs, orders, portfolio and backtests fit 390 px", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/stocks?q=${encodeURIComponent("삼성")}`);
    await page.getByRole("link", { name: "삼성전자", exact: true }).waitFor();
    await noHorizontalScroll(page, "stocks");
    await screenshot(page, "07-phone-stocks");
    await page.goto(`${BASE}/stocks/005930`);
    await eventually(async () => (await chartState(page)).bars > 100, "no chart at phone width");
    await expectCandles(page, "phone daily");
    await noHorizontalScroll(page, "stock");
    await screenshot(page, "08-phone-stock");
    await page.goto(`${BASE}/jobs`);
    await page.getByRole("table", { name: "일정" }).waitFor();
    await noHorizontalScroll(page, "jobs");
    await screenshot(page, "09-phone-jobs");
    await page.goto(`${BASE}/orders`);
    await page.locator("table.orders tbody tr[data-client-id]").first().waitFor();
    await noHorizontalScroll(page, "orders");
    await screenshot(page, "16-phone-orders");
    await page.goto(`${BASE}/portfolio`);
    await page.getByRole("group", { name: "예수금" }).getByText("원", { exact: false }).waitFor();
    await noHorizontalScroll(page, "portfolio");
    await screenshot(page, "17-phone-portfolio");
    await page.goto(`${BASE}/backtests`);
    await page.getByRole("form", { name: "백테스트 설정" }).waitFor();
    await page.locator("table.bt-list tbody tr").first().waitFor();
    await noHorizontalScroll(page, "backtests");
    await page.goto(`${BASE}/backtests/${backtestId}`);
    await page.getByRole("group", { name: "최종 자산" }).getByText("원", { exact: false }).waitFor();
    await page.getByRole("table", { name: "거래 내역" }).locator("tbody tr").first().waitFor();
    await noHorizontalScroll(page, "backtest result");
    await screenshot(page, "22-phone-backtest");
  });

  await step("no errors in the browser console", async () => {
    // The one 401 is the wrong token typed on purpose (the ticket refuses a sale of shares
    // not held itself, so no 400 reaches the browser); anything else is a defect.
    const provoked = (status) => problems.filter((p) => p.includes(`status of ${status}`));
    const others = problems.filter((p) => !p.includes("status of 401"));
    check(others.length === 0, others.join("\n"));
    check(provoked(401).length === 1, `expected the one 401 of the wrong token, saw ${provoked(401).length}`);
  });
} catch (err) {
  exitCode = 1;
  if (page) {
    try {
      await screenshot(page, "failure");
    } catch {
      // the browser itself may be gone
    }
  }
  if (!(err instanceof Failure)) console.error(err);
} finally {
  await context.close().catch(() => undefined);
  rmSync(profile, { recursive: true, force: true });
}

console.log("screenshots:");
for (const s of shots) console.log(`  ${s}`);
const passed = steps.filter((s) => s.ok).length;
console.log(`e2e: ${passed} passed, ${steps.length - passed} failed`);
process.exit(exitCode);
