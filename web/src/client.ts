import { Client, fetchExchange, mapExchange, subscriptionExchange, type CombinedError } from "urql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { liveCacheExchange } from "./cache";

// The one urql client of the SPA: HTTP for queries and mutations, graphql-ws
// for subscriptions, the session token on both, a normalized cache (cache.ts). The WebSocket reconnects by
// itself forever (server restart, laptop sleep, lost Wi-Fi); pages listen to
// `connection` to re-query and resubscribe from where they were.

export type ConnectionState = "connecting" | "connected" | "reconnecting";

type Listener = () => void;

/** A tiny observable of the WebSocket's state, read with useSyncExternalStore. */
export class ConnectionMonitor {
  state: ConnectionState = "connecting";
  /** Increases on every successful (re)connection after the first one. */
  reconnects = 0;
  private everConnected = false;
  private listeners = new Set<Listener>();

  subscribe = (listener: Listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  connected() {
    if (this.everConnected) this.reconnects += 1;
    this.everConnected = true;
    this.set("connected");
  }

  lost() {
    if (this.everConnected) this.set("reconnecting");
  }

  private set(state: ConnectionState) {
    this.state = state;
    this.listeners.forEach((l) => l());
  }
}

export type AppClient = { client: Client; ws: WsClient; connection: ConnectionMonitor; dispose(): void };

/** Waits 0.5 s, 1 s, 2 s … up to 5 s between attempts, with jitter so a restarted server is not stormed. */
export const retryDelay = (attempt: number) => Math.min(500 * 2 ** attempt, 5000) + Math.random() * 300;

export function createAppClient(options: {
  token: string | null;
  /** Called when the server no longer accepts the token (expired or signed out elsewhere). */
  onUnauthenticated?: () => void;
  origin?: string;
}): AppClient {
  const origin = options.origin ?? window.location.origin;
  const authorization = options.token ? `Bearer ${options.token}` : null;
  const connection = new ConnectionMonitor();

  const ws = createWsClient({
    url: `${origin.replace(/^http/, "ws")}/graphql`,
    connectionParams: () => (authorization ? { authorization } : {}),
    lazy: true,
    // A lazy client closes when no subscription is left; keep it a moment so
    // page changes do not reconnect.
    lazyCloseTimeout: 3000,
    keepAlive: 15_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryDelay(retries))),
    on: {
      connected: () => connection.connected(),
      closed: () => connection.lost(),
      error: () => connection.lost(),
    },
  });

  const client = new Client({
    url: `${origin}/graphql`,
    requestPolicy: "cache-and-network",
    fetchOptions: (): RequestInit => ({ headers: authorization ? { authorization } : ({} as Record<string, string>) }),
    exchanges: [
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) options.onUnauthenticated?.();
        },
      }),
      liveCacheExchange(),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    ws,
    connection,
    dispose: () => void ws.dispose(),
  };
}

export function isUnauthenticated(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}
