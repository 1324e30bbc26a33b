import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppServices } from "../context.js";
import { AppError } from "../errors.js";
import { resolveViewer, viewerHasScope } from "../auth/service.js";
import { takeRequest } from "../rateLimits.js";
import { EngineBusyError } from "./engineHost.js";
import { checkMessages, complete, deployedVersion, generationSettings } from "./service.js";

const PATH = /^\/api\/v1\/models\/([a-z0-9-]+)\/([a-z0-9-]+)\/([0-9]+\.[0-9]+\.[0-9]+|latest)\/?$/;
const MAX_BODY_BYTES = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

const fail = (res: ServerResponse, status: number, code: string, message: string, field: string | null = null) => send(res, status, { error: { code, message, field } });

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
    throw new AppError("VALIDATION", "The body must be JSON: {\"messages\": [...]} or {\"prompt\": \"...\"}", "body");
  }
}

/**
 * POST /api/v1/models/{org}/{model}/{version}: a completion from a deployed
 * model version (API key of that organization). {messages} answers as a chat,
 * {prompt} as a single user turn; the reply follows the familiar
 * chat-completion shape so existing clients need little change.
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
  const viewer = await resolveViewer(services.db, req.headers.authorization);
  if (viewer?.kind !== "user" || !(viewerHasScope(viewer, "read") || viewerHasScope(viewer, "write"))) {
    fail(res, 401, "UNAUTHENTICATED", "Send an API key: Authorization: Bearer tlk_…");
    return true;
  }
  // Counted per key (or session), however the header spells "Bearer".
  const rate = await takeRequest(services.config, "completions", viewer.credentialId);
  res.setHeader("ratelimit-limit", String(rate.limit));
  res.setHeader("ratelimit-remaining", String(rate.remaining));
  res.setHeader("ratelimit-reset", String(rate.resetSeconds));
  if (!rate.allowed) {
    res.setHeader("retry-after", String(rate.resetSeconds));
    fail(res, 429, "RATE_LIMITED", `This key may make ${rate.limit} completion requests a minute; try again in ${rate.resetSeconds} s`);
    return true;
  }
  const version = await deployedVersion(services, orgSlug, modelName, versionText);
  // Another organization's model is "not found", like everywhere else.
  if (!version || version.model.orgId !== viewer.orgId) {
    fail(res, 404, "NOT_FOUND", `No deployed model ${orgSlug}/${modelName}/${versionText}`);
    return true;
  }
  try {
    const body = (await readJson(req)) as { messages?: unknown; prompt?: unknown; max_tokens?: number; temperature?: number; top_k?: number; seed?: number } | null;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new AppError("VALIDATION", "The body must be a JSON object: {\"messages\": [...]} or {\"prompt\": \"...\"}", "body");
    if ((body.messages === undefined) === (body.prompt === undefined)) throw new AppError("VALIDATION", "Send either messages or prompt", "messages");
    if (body.prompt !== undefined && typeof body.prompt !== "string") throw new AppError("VALIDATION", "prompt must be text", "prompt");
    const messages = body.prompt !== undefined ? checkMessages([{ role: "user", content: body.prompt }], "prompt") : checkMessages(body.messages);
    const settings = generationSettings({ maxNewTokens: body.max_tokens, temperature: body.temperature, topK: body.top_k, seed: body.seed });
    // A client that goes away takes its queued generation with it.
    const abandoned = new AbortController();
    res.once("close", () => abandoned.abort(new Error("the client closed the connection")));
    const out = await complete(services, version, { messages }, settings, abandoned.signal);
    send(res, 200, {
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: `${orgSlug}/${modelName}/${version.version}`,
      choices: [{ index: 0, message: { role: "assistant", content: out.text }, finish_reason: out.finishReason }],
      usage: { prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens, total_tokens: out.promptTokens + out.completionTokens },
    });
  } catch (error) {
    if (res.destroyed) return true;
    if (error instanceof EngineBusyError) {
      res.setHeader("retry-after", String(error.retryAfterSeconds));
      fail(res, 503, error.code, error.message);
      return true;
    }
    if (!(error instanceof AppError)) throw error;
    fail(res, error.code === "BUSY" ? 503 : 400, error.code, error.message, error.field);
  }
  return true;
}
