import { createContext, useCallback, useContext, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { Provider } from "urql";
import { createAppClient, type AppClient, type ConnectionState } from "./client";

// The signed-in session: its token (kept in localStorage so a reload stays
// signed in) and the urql client made for it. Signing in or out makes a new
// client, so no cached data or open subscription outlives its session.

const TOKEN_KEY = "tuneloop.token";

type Session = {
  token: string | null;
  signIn(token: string): void;
  signOut(reason?: string): void;
  /** Why the user was sent back to the login page, if they did not ask to sign out. */
  signOutReason: string | null;
  appClient: AppClient;
};

const SessionContext = createContext<Session | null>(null);

function readToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children, makeClient = createAppClient }: { children: ReactNode; makeClient?: typeof createAppClient }) {
  const [signOutReason, setSignOutReason] = useState<string | null>(null);
  // The client is made when the token changes (sign-in, sign-out), in the handler
  // that changes it, and the previous one is disposed there: not in render or an
  // effect, which React may run twice.
  const [session, setSession] = useState(() => {
    const token = readToken();
    return { token, appClient: make(token) };
  });
  const current = useRef(session.appClient);
  current.current = session.appClient;

  function make(token: string | null): AppClient {
    return makeClient({
      token,
      onUnauthenticated: token ? () => signOutRef.current("Your session has ended. Sign in again to continue.") : undefined,
    });
  }
  const replace = (token: string | null) => {
    current.current.dispose();
    const appClient = make(token);
    current.current = appClient;
    setSession({ token, appClient });
  };

  // Stable for the provider's life: `replace` only reaches refs, setters and the (constant) makeClient.
  const signIn = useCallback((next: string) => {
    window.localStorage.setItem(TOKEN_KEY, next);
    setSignOutReason(null);
    replace(next);
  }, []);
  const signOut = useCallback((reason?: string) => {
    window.localStorage.removeItem(TOKEN_KEY);
    setSignOutReason(reason ?? null);
    replace(null);
  }, []);
  const signOutRef = useRef(signOut);
  signOutRef.current = signOut;

  const value = useMemo(() => ({ ...session, signIn, signOut, signOutReason }), [session, signIn, signOut, signOutReason]);
  return (
    <SessionContext.Provider value={value}>
      <Provider value={session.appClient.client}>{children}</Provider>
    </SessionContext.Provider>
  );
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** The live connection's state and how many times it came back after a loss. */
export function useConnection(): { state: ConnectionState; reconnects: number } {
  const { connection } = useSession().appClient;
  const state = useSyncExternalStore(connection.subscribe, () => connection.state);
  const reconnects = useSyncExternalStore(connection.subscribe, () => connection.reconnects);
  return { state, reconnects };
}
