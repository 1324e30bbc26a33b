// The trainer's side of the GraphQL API: typed operations over fetch, uploads
// (GraphQL multipart request) and signed downloads. Failures come out as one of
// two kinds, because the report queue treats them differently:
// NetworkError (try again later) and RefusedError (the server said no: do not).
import { createHash } from "node:crypto";
import { createWriteStream, openAsBlob } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

/** The server could not be reached, or failed (5xx, no answer): worth retrying. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = "NetworkError";
  }
}

/** The server refused the request (typed AppError, auth, validation): retrying will not help. */
export class RefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(`${code}: ${message}`);
    this.name = "RefusedError";
  }
}

type AppErrorShape = { __typename: "AppError"; code: string; message: string; field?: string | null };

/** The data of a `AppError | XSuccess { data }` result, or a RefusedError. */
export function unwrap<T>(result: AppErrorShape | { __typename: string; data: T }): T {
  if (result.__typename === "AppError") {
    const e = result as AppErrorShape;
    throw new RefusedError(e.code, e.message, e.field ?? null);
  }
  return (result as { data: T }).data;
}

export class ServerClient {
  readonly graphqlUrl: string;

  constructor(
    readonly serverUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.graphqlUrl = new URL("/graphql", serverUrl).toString();
  }

  private async post(body: BodyInit, headers: Record<string, string>, token: string | null): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.graphqlUrl, {
        method: "POST",
        body,
        headers: { ...headers, ...(token && { authorization: `Bearer ${token}` }) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new NetworkError(`cannot reach ${this.serverUrl}: ${(error as Error).message}`, error);
    }
    if (response.status >= 500 || response.status === 429) throw new NetworkError(`${this.serverUrl} answered ${response.status}`);
    let json: { data?: unknown; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
    try {
      json = await response.json();
    } catch (error) {
      throw new NetworkError(`${this.serverUrl} sent an unreadable answer (${response.status})`, error);
    }
    const error = json.errors?.[0];
    if (error) throw new RefusedError(error.extensions?.code ?? "GRAPHQL_ERROR", error.message, error.extensions?.field ?? null);
    if (!json.data) throw new NetworkError(`${this.serverUrl} answered ${response.status} without data`);
    return json.data;
  }

  request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V, token: string | null): Promise<R> {
    return this.post(JSON.stringify({ query: print(document), variables }), { "content-type": "application/json" }, token) as Promise<R>;
  }

  /** Sends a file from disk as the `file` variable of `document` (streamed, not read into memory). */
  async upload<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: Omit<V, "file">,
    path: string,
    token: string,
  ): Promise<R> {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: print(document), variables: { ...variables, file: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.file"] }));
    form.append("0", await openAsBlob(path), basename(path));
    // Yoga's CSRF guard wants a preflight header on multipart requests.
    return this.post(form, { "graphql-require-preflight": "1" }, token) as Promise<R>;
  }

  /** Downloads a signed link to `path` (written whole or not at all), checking its SHA-256 when given. */
  async download(url: string, path: string, sha256?: string): Promise<void> {
    let response: Response;
    try {
      response = await fetch(new URL(url, this.serverUrl), { signal: AbortSignal.timeout(10 * this.timeoutMs) });
    } catch (error) {
      throw new NetworkError(`cannot download from ${this.serverUrl}: ${(error as Error).message}`, error);
    }
    if (response.status >= 500) throw new NetworkError(`download answered ${response.status}`);
    if (!response.ok || !response.body) throw new RefusedError(`HTTP_${response.status}`, `download refused: ${await response.text()}`);
    const hash = createHash("sha256");
    const partial = `${path}.part`;
    try {
      await pipeline(
        Readable.fromWeb(response.body as never),
        new Transform({ transform: (chunk, _enc, done) => done(null, (hash.update(chunk), chunk)) }),
        createWriteStream(partial),
      );
    } catch (error) {
      await rm(partial, { force: true });
      throw new NetworkError(`download interrupted: ${(error as Error).message}`, error);
    }
    const actual = hash.digest("hex");
    if (sha256 && actual !== sha256) {
      await rm(partial, { force: true });
      throw new NetworkError(`downloaded file has SHA-256 ${actual}, expected ${sha256}`);
    }
    await rename(partial, path);
  }
}
