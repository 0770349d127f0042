import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Providers } from "../App";
import { makeQueryClient } from "../queries";

/** Renders a page at `path` with the app's providers and a fresh query cache. */
export function renderPage(element: ReactElement, { path = "/", route = "*" } = {}) {
  const client = makeQueryClient();
  client.setDefaultOptions({ queries: { retry: false, refetchInterval: false, staleTime: Infinity } });
  return render(
    <Providers client={client} lang="ko">
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={route} element={element} />
          <Route path="/stocks/:code" element={<p>detail page</p>} />
        </Routes>
      </MemoryRouter>
    </Providers>,
  );
}
