import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import type { ReactElement } from "react";
import { SessionProvider } from "../session";
import { createAppClient } from "../client";
import { api } from "./context";

/**
 * Renders `element` at `path` (matched by `route`) inside the real session and
 * urql client, pointed at the test server. `token` signs the user in; a
 * navigation away from `route` shows "Elsewhere"; `onLocation` hears every location.
 */
function LocationSpy({ onLocation }: { onLocation?: (path: string) => void }) {
  const location = useLocation();
  onLocation?.(location.pathname + location.search);
  return null;
}

export function renderPage(
  element: ReactElement,
  options: { token?: string; path?: string; route?: string; onLocation?: (path: string) => void } = {},
) {
  if (options.token) window.localStorage.setItem("tuneloop.token", options.token);
  const makeClient: typeof createAppClient = (opts) => createAppClient({ ...opts, origin: api().url });
  return render(
    <MemoryRouter initialEntries={[options.path ?? "/"]}>
      <SessionProvider makeClient={makeClient}>
        <Routes>
          <Route path={options.route ?? "*"} element={element} />
          <Route path="*" element={<p>Elsewhere</p>} />
        </Routes>
        <LocationSpy onLocation={options.onLocation} />
      </SessionProvider>
    </MemoryRouter>,
  );
}
