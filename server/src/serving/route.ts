import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppServices } from "../context.js";
import { AppError } from "../errors.js";
import { viewerHasScope } from "../auth/service.js";
import { BackendBusyError, BackendUnavailableError } from "./backend.js";
import { alertServingDown, checkMessages, complete, completeStream, generationSettings } from "./service.js";

const PATH = /^\/api\/v1\/models\/([a-z0-9-]+)\/([a-z0-9-]+)\/([0-9]+\.[0-9]+\.[0-9]+|latest)\/?$/;
const MAX_BODY_BYTES = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

const fail = (res: ServerResponse, status: number, code: string, message: string, field: string | null = null) =>
  send(res, status, { error: { code, message, field } });

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AppError("VALIDATION", `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB`, "body");
    parts.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString("utf8"));
  } catch {
    throw new AppError("VALIDATION", 'The body must be JSON: {"messages": [...]} or {"prompt": "..."}', "body");
  }
}

/** One server-sent event, as OpenAI's streaming API writes them. */
const event = (res: ServerResponse, data: unknown) => res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);

/**
 * POST /api/v1/models/{org}/{model}/{version}: a completion from a deployed
 * model version (API key of that organization), proxied to the version's
 * inference backend. {messages} answers as a chat, {prompt} as a single user
 * turn; the reply follows OpenAI's chat-completion shape, and `stream: true`
 * streams it as OpenAI does (chat.completion.chunk events, then `data: [DONE]`).
 */
export async function serveModelCompletion(req: IncomingMessage, res: ServerResponse, services: AppServices): Promise<boolean> {
  const match = new URL(req.url ?? "/", "http://local").pathname.match(PATH);
  if (!match) return false;
  const [, orgSlug, modelName, versionText] = match;
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    fail(res, 405, "METHOD_NOT_ALLOWED", "Use POST");
    return true;
  }
  const viewer = await services.credentials.resolve(req.headers.authorization);
  if (viewer?.kind !== "user" || !(viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write"))) {
    fail(res, 401, "UNAUTHENTICATED", "Send an API key: Authorization: Bearer tlk_…");
    return true;
  }
  // Counted per key (or session), however the header spells "Bearer".
  const rate = await services.rateLimits.take("completions", viewer.credentialId);
  res.setHeader("ratelimit-limit", String(rate.limit));
  res.setHeader("ratelimit-remaining", String(rate.remaining));
  res.setHeader("ratelimit-reset", String(rate.resetSeconds));
  if (!rate.allowed) {
    res.setHeader("retry-after", String(rate.resetSeconds));
    fail(res, 429, "RATE_LIMITED", `This key may make ${rate.limit} completion requests a minute; try again in ${rate.resetSeconds} s`);
    return true;
  }
  const version = await services.deployments.find(orgSlug, modelName, versionText);
  // Another organization's model is "not found", like everywhere else.
  if (!version || version.model.orgId !== viewer.orgId) {
    fail(res, 404, "NOT_FOUND", `No deployed model ${orgSlug}/${modelName}/${versionText}`);
    return true;
  }
  // A client that goes away takes its queued or running generation with it.
  const abandoned = new AbortController();
  res.once("close", () => abandoned.abort(new Error("the client closed the connection")));
  try {
    const body = (await readJson(req)) as {
      messages?: unknown;
      prompt?: unknown;
      max_tokens?: number;
      temperature?: number;
      top_k?: number;
      seed?: number;
      stream?: unknown;
    } | null;
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new AppError("VALIDATION", 'The body must be a JSON object: {"messages": [...]} or {"prompt": "..."}', "body");
    if ((body.messages === undefined) === (body.prompt === undefined))
      throw new AppError("VALIDATION", "Send either messages or prompt", "messages");
    if (body.prompt !== undefined && typeof body.prompt !== "string") throw new AppError("VALIDATION", "prompt must be text", "prompt");
    if (body.stream !== undefined && typeof body.stream !== "boolean")
      throw new AppError("VALIDATION", "stream must be true or false", "stream");
    const messages =
      body.prompt !== undefined ? checkMessages([{ role: "user", content: body.prompt }], "prompt") : checkMessages(body.messages);
    const settings = generationSettings({
      maxNewTokens: body.max_tokens,
      temperature: body.temperature,
      topK: body.top_k,
      seed: body.seed,
    });
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = `${orgSlug}/${modelName}/${version.version}`;
    if (body.stream) {
      const pieces = completeStream(services, version, { messages }, settings, abandoned.signal);
      // Headers wait for the first piece: until then a failure is still a status code.
      let next = await pieces.next();
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
        event(res, { id, object: "chat.completion.chunk", created, model, choices, ...extra });
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
      try {
        for (; !next.done; next = await pieces.next()) {
          const piece = next.value;
          if ("text" in piece) chunk([{ index: 0, delta: { content: piece.text }, finish_reason: null }]);
          else {
            chunk([{ index: 0, delta: {}, finish_reason: piece.done.finishReason }]);
            const { promptTokens, completionTokens } = piece.done;
            chunk([], {
              usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
            });
          }
        }
      } catch (error) {
        // Mid-stream the status is sent: the error goes as an event, as OpenAI's API does.
        const known = error instanceof AppError ? error : new AppError("UNAVAILABLE", "The model server failed mid-answer");
        if (error instanceof BackendUnavailableError) await alertServingDown(services, version, error);
        event(res, { error: { code: known.code, message: known.message } });
      }
      res.end("data: [DONE]\n\n");
      return true;
    }
    const out = await complete(services, version, { messages }, settings, abandoned.signal);
    send(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: out.text }, finish_reason: out.finishReason }],
      usage: {
        prompt_tokens: out.promptTokens,
        completion_tokens: out.completionTokens,
        total_tokens: out.promptTokens + out.completionTokens,
      },
    });
  } catch (error) {
    if (res.destroyed || res.headersSent) return true;
    if (error instanceof BackendBusyError) {
      res.setHeader("retry-after", String(error.retryAfterSeconds));
      fail(res, 503, error.code, error.message);
      return true;
    }
    if (error instanceof BackendUnavailableError) {
      await alertServingDown(services, version, error);
      res.setHeader("retry-after", "30");
      fail(res, 503, error.code, error.message);
      return true;
    }
    if (!(error instanceof AppError)) throw error;
    fail(res, 400, error.code, error.message, error.field);
  }
  return true;
}
