// The serving process's HTTP API: the subset of the OpenAI API that vLLM
// offers for LoRA serving, in the same shapes, so that the API server speaks to
// this process and to vLLM with one client (server/src/serving/openaiCompatible.ts):
//   GET  /v1/models
//   POST /v1/chat/completions        {model, messages, max_tokens, temperature, top_k, seed, stream, stream_options}
//   POST /v1/load_lora_adapter       {lora_name, lora_path}   (vLLM's runtime LoRA updating)
//   POST /v1/unload_lora_adapter     {lora_name}
// and one of its own, for deployment packages of built-in models:
//   GET  /v1/tuneloop/base_models/{name}/{file}
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import { ModelHost, ServingError, type Finish } from "./host";

export type ServingLimits = {
  /** Generations that advance together (token by token, in turn). */
  maxRunning: number;
  /** Requests that may wait for a turn; more are refused with 503 and Retry-After. */
  maxWaiting: number;
};

const chatRequest = z.object({
  model: z.string().min(1),
  messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })).min(1),
  max_tokens: z.number().int().positive().max(4096).nullish(),
  max_completion_tokens: z.number().int().positive().max(4096).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
});
const loadRequest = z.object({ lora_name: z.string().min(1), lora_path: z.string().min(1) });
const unloadRequest = z.object({ lora_name: z.string().min(1) });
const BASE_FILES = /^(config\.json|model\.safetensors|tokenizer\.json|tokenizer_config\.json)$/;

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** OpenAI's error body. */
function sendError(res: ServerResponse, error: ServingError, headers: Record<string, string> = {}) {
  res.writeHead(error.status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { message: error.message, type: error.type, param: null, code: error.status } }));
}

async function readBody<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(parts).toString("utf8"));
  } catch {
    throw new ServingError(400, "BadRequestError", "The body must be JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ServingError(400, "BadRequestError", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

/** Turns: at most maxRunning generations at once, maxWaiting more in line. */
export class Turns {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limits: ServingLimits) {}

  async enter(): Promise<() => void> {
    if (this.running >= this.limits.maxRunning) {
      if (this.waiting.length >= this.limits.maxWaiting)
        throw new ServingError(503, "ServiceUnavailableError", "The server is saturated; try again shortly");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line.
      if (next) next();
      else this.running--;
    };
  }
}

export function createServingServer(host = new ModelHost(), limits: ServingLimits = { maxRunning: 4, maxWaiting: 64 }): Server {
  const turns = new Turns(limits);

  async function chat(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req, chatRequest);
    const sampling = {
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 64,
      temperature: body.temperature ?? 0,
      topK: Math.max(0, body.top_k ?? 0),
      seed: body.seed ?? 0,
    };
    const leave = await turns.enter();
    let gone = false;
    res.once("close", () => (gone = true));
    try {
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const pieces = host.generate(body.model, { messages: body.messages }, sampling);
      if (!body.stream) {
        let text = "";
        let next = await pieces.next();
        for (; !next.done; next = await pieces.next()) {
          if (gone) return void (await pieces.return({ finishReason: "stop", promptTokens: 0, completionTokens: 0 }));
          text += next.value;
        }
        const finish = next.value;
        return sendJson(res, 200, {
          id,
          object: "chat.completion",
          created,
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: finish.finishReason }],
          usage: usage(finish),
        });
      }
      // The first piece is awaited before the headers go out, so that an unknown model is still a 404.
      let next = await pieces.next();
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
        res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices, ...extra })}\n\n`);
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
      for (; !next.done; next = await pieces.next()) {
        if (gone) return void (await pieces.return({ finishReason: "stop", promptTokens: 0, completionTokens: 0 }));
        chunk([{ index: 0, delta: { content: next.value }, logprobs: null, finish_reason: null }]);
      }
      chunk([{ index: 0, delta: { content: "" }, logprobs: null, finish_reason: next.value.finishReason }]);
      if (body.stream_options?.include_usage) chunk([], { usage: usage(next.value) });
      res.end("data: [DONE]\n\n");
    } finally {
      leave();
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? "/", "http://local").pathname;
    if (req.method === "GET" && (path === "/health" || path === "/v1/health")) return void res.writeHead(200).end();
    if (req.method === "GET" && path === "/v1/models") {
      return sendJson(res, 200, {
        object: "list",
        data: host.models().map((m) => ({ id: m.id, object: "model", created: 0, owned_by: "tuneloop", root: m.root, parent: m.parent })),
      });
    }
    if (req.method === "POST" && path === "/v1/chat/completions") return chat(req, res);
    if (req.method === "POST" && path === "/v1/load_lora_adapter") {
      const { lora_name, lora_path } = await readBody(req, loadRequest);
      await host.loadAdapter(lora_name, lora_path);
      return void res.writeHead(200, { "content-type": "text/plain" }).end(`Success: LoRA adapter '${lora_name}' added successfully.`);
    }
    if (req.method === "POST" && path === "/v1/unload_lora_adapter") {
      const { lora_name } = await readBody(req, unloadRequest);
      host.unloadAdapter(lora_name);
      return void res.writeHead(200, { "content-type": "text/plain" }).end(`Success: LoRA adapter '${lora_name}' removed successfully.`);
    }
    const file = path.match(/^\/v1\/tuneloop\/base_models\/([^/]+)\/([^/]+)$/);
    if (req.method === "GET" && file) {
      const [name, fileName] = [decodeURIComponent(file[1]), decodeURIComponent(file[2])];
      if (!BASE_FILES.test(fileName)) throw new ServingError(404, "NotFoundError", `No file ${fileName}`);
      const dir = await host.baseModelDir(name);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return void createReadStream(join(dir, fileName)).pipe(res);
    }
    throw new ServingError(404, "NotFoundError", `No route ${req.method} ${path}`);
  }

  return createServer((req, res) => {
    route(req, res).catch((error) => {
      if (res.headersSent) return void res.destroy(error);
      const known = error instanceof ServingError ? error : new ServingError(500, "InternalServerError", (error as Error).message);
      sendError(res, known, known.status === 503 ? { "retry-after": "1" } : {});
    });
  });
}

const usage = (f: Finish) => ({
  prompt_tokens: f.promptTokens,
  completion_tokens: f.completionTokens,
  total_tokens: f.promptTokens + f.completionTokens,
});
