import { type QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { Route, Routes } from "react-router";
import { Layout } from "./components/Layout";
import { TokenProvider } from "./components/TokenProvider";
import { type Lang, LangContext, initialLang, rememberLang } from "./i18n";
import { BacktestPage } from "./pages/BacktestPage";
import { BacktestsPage } from "./pages/BacktestsPage";
import { DashboardPage } from "./pages/DashboardPage";
import { JobsPage } from "./pages/JobsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { OrdersPage } from "./pages/OrdersPage";
import { PortfolioPage } from "./pages/PortfolioPage";
import { StockPage } from "./pages/StockPage";
import { StocksPage } from "./pages/StocksPage";

/** Everything a page needs around it (tests wrap components in the same). */
export function Providers({ client, children, lang: fixed }: { client: QueryClient; children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => fixed ?? initialLang());
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo(
    () => ({
      lang,
      setLang: (next: Lang) => {
        rememberLang(next);
        setLangState(next);
      },
    }),
    [lang],
  );
  return (
    <QueryClientProvider client={client}>
      <LangContext.Provider value={value}>
        <TokenProvider>{children}</TokenProvider>
      </LangContext.Provider>
    </QueryClientProvider>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<DashboardPage />} />
        <Route path="stocks" element={<StocksPage />} />
        <Route path="stocks/:code" element={<StockPage />} />
        <Route path="orders" element={<OrdersPage />} />
        <Route path="portfolio" element={<PortfolioPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="backtests" element={<BacktestsPage />} />
        <Route path="backtests/:id" element={<BacktestPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
