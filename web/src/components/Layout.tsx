// The frame of every page: brand, main menu, the market's phase at a glance, and the
// language switch.

import { Link, NavLink, Outlet } from "react-router";
import { type MessageKey, translateOr, useLang, useT } from "../i18n";
import { useMarketStatus, useRefreshOnCollect } from "../queries";

const LINKS: { to: string; key: MessageKey; end?: boolean }[] = [
  { to: "/", key: "nav.dashboard", end: true },
  { to: "/stocks", key: "nav.stocks" },
  { to: "/orders", key: "nav.orders" },
  { to: "/portfolio", key: "nav.portfolio" },
  { to: "/jobs", key: "nav.jobs" },
  { to: "/backtests", key: "nav.backtest" },
];

function MarketPill() {
  const t = useT();
  const { data } = useMarketStatus();
  // Same width whether loaded or not, so the header never shifts.
  const phase = data?.phase ?? null;
  return (
    <span className={`market-pill phase-${phase ?? "unknown"}`} aria-live="polite">
      <span className="dot" aria-hidden="true" />
      {phase ? translateOr(t.lang, `phase.${phase}`, phase) : "…"}
    </span>
  );
}

export function Layout() {
  const t = useT();
  const { lang, setLang } = useLang();
  useRefreshOnCollect();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#111827" />
            <rect x="7" y="9" width="5" height="14" fill="#ff4d4d" />
            <rect x="20" y="12" width="5" height="10" fill="#4d8dff" />
          </svg>
          {t("app.name")}
        </Link>
        <nav aria-label={t("nav.main")}>
          {LINKS.map((l) => (
            <NavLink key={l.to} to={l.to} end={l.end}>
              {t(l.key)}
            </NavLink>
          ))}
        </nav>
        <div className="topbar-end">
          <MarketPill />
          <button
            type="button"
            className="lang"
            aria-label={t("lang.switchLabel")}
            onClick={() => setLang(lang === "ko" ? "en" : "ko")}
          >
            {t("lang.switch")}
          </button>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
