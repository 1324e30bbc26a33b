// Real subscription clients for tests and benches: graphql-ws over a WebSocket,
// and GraphQL over Server-Sent Events with fetch, as a browser would use them.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export type Received = { data?: any; errors?: { message: string; extensions?: any }[] };

/** A subscription's results as they arrive, and a way to wait for enough of them. */
export class Subscription {
  readonly results: Received[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly close: () => Promise<void> | void) {}

  push(result: Received) {
    this.results.push(result);
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /** Resolves once `test(results)` holds; fails after `timeoutMs`. */
  async until(test: (results: Received[]) => boolean, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.results)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`subscription: condition not met in ${timeoutMs} ms; got ${JSON.stringify(this.results).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.results;
  }
}

export function wsClient(baseUrl: string, token: string | null): Client {
  return createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
  });
}

/** Subscribes over graphql-ws. */
export function subscribeWs(client: Client, query: string, variables: Record<string, unknown>): Subscription {
  const subscription = new Subscription(() => dispose());
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (result) => subscription.push(result as Received),
      error: (error) =>
        subscription.push({ errors: Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }] }),
      complete: () => {},
    },
  );
  return subscription;
}

/** Subscribes over SSE (POST /graphql with Accept: text/event-stream). */
export async function subscribeSse(
  baseUrl: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown>,
): Promise<Subscription> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const subscription = new Subscription(() => abort.abort());
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("\n");
          if (data && !/^event: ?complete/m.test(message)) subscription.push(JSON.parse(data));
        }
      }
    } catch (error) {
      if ((error as Error).name !== "AbortError") subscription.push({ errors: [{ message: String(error) }] });
    }
  })();
  return subscription;
}
