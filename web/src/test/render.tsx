import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Providers } from "../App";
import { makeQueryClient } from "../queries";

/** Stand-ins for the pages a page links to, so a test can see where it went. */
const ELSEWHERE: Record<string, ReactElement> = {
  "/stocks/:code": <p>detail page</p>,
  "/backtests/:id": <p>result page</p>,
};

/** Renders a page at `path` with the app's providers and a fresh query cache. */
export function renderPage(element: ReactElement, { path = "/", route = "*" } = {}) {
  const client = makeQueryClient();
  client.setDefaultOptions({ queries: { retry: false, refetchInterval: false, staleTime: Infinity } });
  const result = render(
    <Providers client={client} lang="ko">
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={route} element={element} />
          {Object.entries(ELSEWHERE)
            .filter(([p]) => p !== route)
            .map(([p, stand]) => (
              <Route key={p} path={p} element={stand} />
            ))}
        </Routes>
      </MemoryRouter>
    </Providers>,
  );
  return { ...result, client };
}
