// The CLI's door to the server: GraphQL over HTTP with the API key from the
// environment, typed errors turned into messages.
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = "ERROR",
  ) {
    super(message);
  }
}

export type Env = { TUNELOOP_URL?: string; TUNELOOP_API_KEY?: string };

export class ApiClient {
  readonly url: string;
  private readonly key: string;

  constructor(env: Env) {
    if (!env.TUNELOOP_API_KEY)
      throw new CliError("Set TUNELOOP_API_KEY to an API key (create one in the web app under API keys)", "UNAUTHENTICATED");
    this.url = (env.TUNELOOP_URL ?? "http://127.0.0.1:4000").replace(/\/$/, "");
    this.key = env.TUNELOOP_API_KEY;
  }

  /** Runs an operation; a GraphQL error or an AppError result becomes a CliError. */
  async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.key}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new CliError(`Cannot reach ${this.url}: ${(error as Error).message}`, "NETWORK");
    }
    const body = (await response.json().catch(() => null)) as {
      data?: Record<string, any>;
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    if (!body) throw new CliError(`${this.url} answered ${response.status} without JSON`, "NETWORK");
    if (body.errors?.length) throw new CliError(body.errors[0].message, body.errors[0].extensions?.code);
    const result = Object.values(body.data ?? {})[0];
    if (result?.__typename === "AppError") throw new CliError(`${result.message}${result.field ? ` (${result.field})` : ""}`, result.code);
    return (result?.__typename?.endsWith("Success") ? result.data : result) as T;
  }

  async download(url: string): Promise<Buffer> {
    const response = await fetch(url);
    if (!response.ok) throw new CliError(`Download failed: ${response.status} ${await response.text()}`, "DOWNLOAD");
    return Buffer.from(await response.arrayBuffer());
  }
}
