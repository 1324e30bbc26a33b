import { Suspense, useEffect, useRef } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import { Loading } from "./States";
import { useQuery } from "urql";
import { graphql } from "../graphql";
import { useConnection, useSession } from "../session";
import { humanize } from "../format";
import { OrganizationSwitcher } from "./OrganizationSwitcher";

const MeQuery = graphql(`
  query Me {
    me {
      id
      name
      email
      role
      permissions {
        canTrain
        canContribute
        canReview
        canManage
        canReadAuditLog
        grantableRoles
      }
      organization {
        id
        name
      }
    }
  }
`);

function ConnectionIndicator() {
  const { state } = useConnection();
  if (state === "reconnecting")
    return (
      <span className="connection connection-lost" role="status">
        Reconnecting… live updates paused
      </span>
    );
  return null;
}

/** After a page change, focus goes to the new page (as a full load would), so keyboard and screen-reader users start there. */
function useFocusOnNavigation() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus({ preventScroll: false });
  }, [pathname]);
}

export function Layout() {
  const { signOut } = useSession();
  const { pathname } = useLocation();
  useFocusOnNavigation();
  const [{ data }] = useQuery({ query: MeQuery, requestPolicy: "cache-first" });
  const me = data?.me;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/jobs" className="brand" aria-label="Tuneloop home">
          <span className="brand-mark" aria-hidden="true" />
          Tuneloop
        </NavLink>
        <nav aria-label="Main">
          <ul className="nav">
            <li>
              <NavLink to="/jobs" end>
                Jobs
              </NavLink>
            </li>
            {me?.permissions.canTrain && (
              <li>
                <NavLink to="/jobs/new">New job</NavLink>
              </li>
            )}
            <li>
              <NavLink to="/templates">Templates</NavLink>
            </li>
            <li>
              <NavLink to="/datasets">Datasets</NavLink>
            </li>
            <li>
              <NavLink to="/models">Models</NavLink>
            </li>
            <li>
              <NavLink to="/reports">Reports</NavLink>
            </li>
            <li>
              <NavLink to="/budget">Budget</NavLink>
            </li>
            <li>
              <NavLink to="/settings">Settings</NavLink>
            </li>
          </ul>
        </nav>
        <div className="topbar-end">
          <ConnectionIndicator />
          <OrganizationSwitcher />
          {me && (
            <span className="user" title={me.email}>
              {me.name} <span className="user-role">{humanize(me.role)}</span>
            </span>
          )}
          <button type="button" className="button button-quiet" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {/* Pages other than the jobs list load on first visit (see App.tsx). Keyed by path, so that
            a navigation shows the new page's loading state at once instead of keeping the old page
            mounted (and its pending search text able to navigate back) while the code loads. */}
        <Suspense key={pathname} fallback={<Loading label="Loading the page…" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

/** The signed-in user, from the cached `me` query (its permissions decide which actions show). */
export function useMe() {
  const [{ data }] = useQuery({ query: MeQuery, requestPolicy: "cache-first" });
  return data?.me ?? null;
}
