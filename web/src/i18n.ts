// Korean by default, English on a switch. English must name every key Korean has (the
// type says so), so a missing translation is a compile error, not a blank label.

import { createContext, useCallback, useContext } from "react";

export type Lang = "ko" | "en";

const ko = {
  "app.name": "stocklab",
  "nav.main": "주 메뉴",
  "nav.dashboard": "대시보드",
  "nav.stocks": "종목",
  "nav.jobs": "작업",
  "nav.trading": "매매",
  "nav.backtest": "백테스트",
  "nav.soon": "준비 중",
  "lang.switch": "English",
  "lang.switchLabel": "Switch to English",

  "common.loading": "불러오는 중…",
  "common.retry": "다시 시도",
  "common.error": "불러오지 못했습니다",
  "common.network": "서버에 연결할 수 없습니다. stocklab up이 실행 중인지 확인하세요.",
  "common.httpStatus": "서버가 {status} 오류로 응답했습니다.",
  "common.enterToken": "토큰 입력",
  "common.kst": "KST",
  "common.simulated": "모의 데이터",
  "common.simulatedHint": "오프라인 시뮬레이터가 만든 데이터입니다 (실제 시세 아님)",
  "common.yes": "예",
  "common.no": "아니요",
  "common.none": "없음",
  "common.close": "닫기",

  "phase.closed": "장 마감",
  "phase.pre_open": "장 시작 전",
  "phase.open": "장 중",
  "phase.closing_auction": "장 마감 동시호가",
  "phase.after_hours": "시간외",

  "status.running": "실행 중",
  "status.succeeded": "성공",
  "status.failed": "실패",
  "status.timed_out": "시간 초과",
  "status.skipped": "건너뜀",

  "trigger.schedule": "예약",
  "trigger.manual": "수동",
  "trigger.api": "웹/API",
  "trigger.cli": "명령줄",

  "tf.1d": "일봉",
  "tf.1m": "분봉",

  "dash.title": "대시보드",
  "dash.market": "장 상태",
  "dash.asOf": "기준 시각",
  "dash.sessionDay": "거래일",
  "dash.nextOpen": "다음 개장",
  "dash.tradingDay": "오늘 거래일",
  "dash.store": "보유 자료",
  "dash.instruments": "종목",
  "dash.codesWithBars": "시세 보유 종목",
  "dash.bars": "봉 개수",
  "dash.seriesLine": "{codes}종목 · {bars}개 · {last}까지",
  "dash.noBars": "아직 시세가 없습니다. 작업 화면에서 수집 작업을 실행하세요.",
  "dash.jobs": "작업 상태",
  "dash.schedulerAlive": "스케줄러 동작 중",
  "dash.schedulerDown": "스케줄러가 멈춰 있습니다",
  "dash.failing": "실패한 작업",
  "dash.noFailing": "실패한 작업이 없습니다",
  "dash.recentFailures": "최근 실패한 실행",
  "dash.movers": "등락 상위",
  "dash.gainers": "상승",
  "dash.losers": "하락",
  "dash.health": "서버",

  "stocks.title": "종목",
  "stocks.search": "종목 검색",
  "stocks.searchPlaceholder": "종목명, 코드 또는 초성 (예: 삼성, 005930, ㅅㅅㅈㅈ)",
  "stocks.market": "시장",
  "stocks.all": "전체",
  "stocks.count": "{total}개 중 {shown}개",
  "stocks.asOf": "{date} 종가 기준",
  "stocks.list": "종목 목록",
  "stocks.col.name": "종목명",
  "stocks.col.close": "종가",
  "stocks.col.change": "전일대비",
  "stocks.col.rate": "등락률",
  "stocks.empty": "조건에 맞는 종목이 없습니다",
  "stocks.emptyStore": "종목 목록이 비어 있습니다. 작업 화면에서 종목 목록 수집(collect_codes)을 실행하세요.",
  "stocks.sortBy": "{column} 기준 정렬",

  "stock.back": "종목 목록",
  "stock.timeframe": "주기",
  "stock.range": "기간",
  "stock.ma": "이동평균",
  "stock.maHint": "이동평균은 불러온 종가로 브라우저에서 계산합니다",
  "stock.chart": "{name} 가격 차트",
  "stock.noBars": "이 주기의 시세가 없습니다",
  "stock.o": "시",
  "stock.h": "고",
  "stock.l": "저",
  "stock.c": "종",
  "stock.vol": "거래량",
  "stock.recent": "일별 시세",
  "stock.flows": "투자자별 순매수 (주)",
  "stock.noFlows": "수급 자료가 없습니다. 작업 화면에서 collect_flows를 실행하세요.",
  "stock.col.date": "일자",
  "stock.col.open": "시가",
  "stock.col.high": "고가",
  "stock.col.low": "저가",
  "stock.col.volume": "거래량",
  "stock.col.individual": "개인",
  "stock.col.foreign": "외국인",
  "stock.col.institution": "기관",
  "stock.col.otherCorp": "기타법인",
  "stock.coverage": "{tf} {count}개 ({first} ~ {last})",
  "stock.range.1M": "1개월",
  "stock.range.3M": "3개월",
  "stock.range.1Y": "1년",
  "stock.range.5Y": "5년",
  "stock.range.ALL": "전체",
  "stock.range.1H": "1시간",
  "stock.range.1D": "1일",
  "stock.range.5D": "5일",

  "jobs.title": "작업",
  "jobs.schedule": "일정",
  "jobs.col.job": "작업",
  "jobs.col.schedule": "주기 (cron, KST)",
  "jobs.col.next": "다음 실행",
  "jobs.col.last": "최근 결과",
  "jobs.col.action": "실행",
  "jobs.tradingDaysOnly": "거래일만",
  "jobs.disabled": "꺼짐",
  "jobs.runNow": "지금 실행",
  "jobs.runNowLabel": "{job} 지금 실행",
  "jobs.launched": "{job} 실행을 요청했습니다",
  "jobs.runs": "실행 기록",
  "jobs.filterJob": "작업으로 거르기",
  "jobs.filterStatus": "상태로 거르기",
  "jobs.allJobs": "모든 작업",
  "jobs.allStatuses": "모든 상태",
  "jobs.col.started": "시작",
  "jobs.col.status": "상태",
  "jobs.col.trigger": "실행 방식",
  "jobs.col.duration": "소요",
  "jobs.col.rows": "행",
  "jobs.col.error": "오류 / 로그",
  "jobs.noRuns": "실행 기록이 없습니다",
  "jobs.log": "로그",
  "jobs.refreshing": "실행 중인 작업이 있어 자동으로 새로 고칩니다",

  "token.title": "API 토큰",
  "token.explain": "작업을 실행하려면 API 토큰이 필요합니다. 데이터 디렉터리의 api-token 파일에 있습니다. 이 탭을 닫으면 잊습니다.",
  "token.label": "토큰",
  "token.ok": "확인",
  "token.cancel": "취소",

  "notFound.title": "없는 화면입니다",
  "notFound.home": "대시보드로",
} as const;

export type MessageKey = keyof typeof ko;

const en: Record<MessageKey, string> = {
  "app.name": "stocklab",
  "nav.main": "Main menu",
  "nav.dashboard": "Dashboard",
  "nav.stocks": "Stocks",
  "nav.jobs": "Jobs",
  "nav.trading": "Trading",
  "nav.backtest": "Backtest",
  "nav.soon": "coming soon",
  "lang.switch": "한국어",
  "lang.switchLabel": "한국어로 보기",

  "common.loading": "Loading…",
  "common.retry": "Retry",
  "common.error": "Could not load",
  "common.network": "Cannot reach the server. Check that stocklab up is running.",
  "common.httpStatus": "The server answered with error {status}.",
  "common.enterToken": "Enter token",
  "common.kst": "KST",
  "common.simulated": "Simulated data",
  "common.simulatedHint": "Made by the offline simulator (not real quotes)",
  "common.yes": "Yes",
  "common.no": "No",
  "common.none": "None",
  "common.close": "Close",

  "phase.closed": "Closed",
  "phase.pre_open": "Pre-open",
  "phase.open": "Open",
  "phase.closing_auction": "Closing auction",
  "phase.after_hours": "After hours",

  "status.running": "Running",
  "status.succeeded": "Succeeded",
  "status.failed": "Failed",
  "status.timed_out": "Timed out",
  "status.skipped": "Skipped",

  "trigger.schedule": "Schedule",
  "trigger.manual": "Manual",
  "trigger.api": "Web/API",
  "trigger.cli": "CLI",

  "tf.1d": "Daily",
  "tf.1m": "1 min",

  "dash.title": "Dashboard",
  "dash.market": "Market",
  "dash.asOf": "As of",
  "dash.sessionDay": "Session",
  "dash.nextOpen": "Next open",
  "dash.tradingDay": "Trading day today",
  "dash.store": "Data held",
  "dash.instruments": "Instruments",
  "dash.codesWithBars": "Codes with prices",
  "dash.bars": "Bars",
  "dash.seriesLine": "{codes} codes · {bars} bars · to {last}",
  "dash.noBars": "No prices yet. Run a collect job on the Jobs page.",
  "dash.jobs": "Jobs",
  "dash.schedulerAlive": "Scheduler running",
  "dash.schedulerDown": "The scheduler is not running",
  "dash.failing": "Failing jobs",
  "dash.noFailing": "No failing jobs",
  "dash.recentFailures": "Recent failed runs",
  "dash.movers": "Top movers",
  "dash.gainers": "Gainers",
  "dash.losers": "Losers",
  "dash.health": "Server",

  "stocks.title": "Stocks",
  "stocks.search": "Search stocks",
  "stocks.searchPlaceholder": "Name, code or Korean initials (e.g. 삼성, 005930)",
  "stocks.market": "Market",
  "stocks.all": "All",
  "stocks.count": "{shown} of {total}",
  "stocks.asOf": "Closes of {date}",
  "stocks.list": "Stock list",
  "stocks.col.name": "Name",
  "stocks.col.close": "Close",
  "stocks.col.change": "Change",
  "stocks.col.rate": "Change %",
  "stocks.empty": "No stock matches",
  "stocks.emptyStore": "The code list is empty. Run collect_codes on the Jobs page.",
  "stocks.sortBy": "Sort by {column}",

  "stock.back": "Stock list",
  "stock.timeframe": "Timeframe",
  "stock.range": "Range",
  "stock.ma": "Moving averages",
  "stock.maHint": "Moving averages are computed in the browser over the loaded closes",
  "stock.chart": "{name} price chart",
  "stock.noBars": "No prices for this timeframe",
  "stock.o": "O",
  "stock.h": "H",
  "stock.l": "L",
  "stock.c": "C",
  "stock.vol": "Vol",
  "stock.recent": "Daily prices",
  "stock.flows": "Net buying by investor (shares)",
  "stock.noFlows": "No flow data. Run collect_flows on the Jobs page.",
  "stock.col.date": "Date",
  "stock.col.open": "Open",
  "stock.col.high": "High",
  "stock.col.low": "Low",
  "stock.col.volume": "Volume",
  "stock.col.individual": "Individuals",
  "stock.col.foreign": "Foreigners",
  "stock.col.institution": "Institutions",
  "stock.col.otherCorp": "Other corp.",
  "stock.coverage": "{tf}: {count} bars ({first} – {last})",
  "stock.range.1M": "1M",
  "stock.range.3M": "3M",
  "stock.range.1Y": "1Y",
  "stock.range.5Y": "5Y",
  "stock.range.ALL": "All",
  "stock.range.1H": "1H",
  "stock.range.1D": "1D",
  "stock.range.5D": "5D",

  "jobs.title": "Jobs",
  "jobs.schedule": "Schedule",
  "jobs.col.job": "Job",
  "jobs.col.schedule": "Cron (KST)",
  "jobs.col.next": "Next run",
  "jobs.col.last": "Last result",
  "jobs.col.action": "Run",
  "jobs.tradingDaysOnly": "trading days",
  "jobs.disabled": "off",
  "jobs.runNow": "Run now",
  "jobs.runNowLabel": "Run {job} now",
  "jobs.launched": "Started {job}",
  "jobs.runs": "Runs",
  "jobs.filterJob": "Filter by job",
  "jobs.filterStatus": "Filter by status",
  "jobs.allJobs": "All jobs",
  "jobs.allStatuses": "All statuses",
  "jobs.col.started": "Started",
  "jobs.col.status": "Status",
  "jobs.col.trigger": "Trigger",
  "jobs.col.duration": "Took",
  "jobs.col.rows": "Rows",
  "jobs.col.error": "Error / log",
  "jobs.noRuns": "No runs yet",
  "jobs.log": "Log",
  "jobs.refreshing": "A job is running; refreshing automatically",

  "token.title": "API token",
  "token.explain": "Running a job needs the API token, found in the api-token file of the data directory. It is forgotten when this tab closes.",
  "token.label": "Token",
  "token.ok": "OK",
  "token.cancel": "Cancel",

  "notFound.title": "No such page",
  "notFound.home": "To the dashboard",
};

export const MESSAGES: Record<Lang, Record<MessageKey, string>> = { ko, en };

export type Vars = Record<string, string | number>;

export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const text = MESSAGES[lang][key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** A message key chosen at run time (a phase or status from the API); unknown ones show as sent. */
export function translateOr(lang: Lang, key: string, fallback: string): string {
  return key in MESSAGES[lang] ? MESSAGES[lang][key as MessageKey] : fallback;
}

export interface LangState {
  lang: Lang;
  setLang: (lang: Lang) => void;
}

export const LangContext = createContext<LangState>({ lang: "ko", setLang: () => undefined });

const STORAGE_KEY = "stocklab.lang";

export function initialLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "ko";
  } catch {
    return "ko";
  }
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // the choice lasts for this page only
  }
}

export type Translate = ((key: MessageKey, vars?: Vars) => string) & { lang: Lang };

/** `t(key, vars)` in the current language; `t.lang` says which one. */
export function useT(): Translate {
  const { lang } = useContext(LangContext);
  const t = useCallback((key: MessageKey, vars?: Vars) => translate(lang, key, vars), [lang]);
  return Object.assign(t, { lang });
}

export function useLang(): LangState {
  return useContext(LangContext);
}
