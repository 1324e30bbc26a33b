import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

// A local stand-in for an OpenAI-compatible server with LoRA adapters, in the
// shapes vLLM serves (vLLM cannot run here). Where each shape comes from:
// - POST /v1/chat/completions, its response, and the streamed
//   `chat.completion.chunk` events ending in `data: [DONE]` (with a last
//   `usage` chunk when `stream_options.include_usage`): OpenAI's API reference,
//   "Create chat completion" and "The chat completion chunk object"; vLLM's
//   "OpenAI-Compatible Server" serves the same and takes `top_k` besides.
// - GET /v1/models with LoRA adapters listed beside the base model, each with
//   its base as `parent`: vLLM's "LoRA Adapters" page ("the LoRA model's
//   parent"), vLLM's ModelCard.
// - POST /v1/load_lora_adapter {lora_name, lora_path} and
//   POST /v1/unload_lora_adapter {lora_name}, answered with plain text
//   "Success: LoRA adapter '<name>' added/removed successfully." and refused
//   with 400 "... has already been loaded." / 404 "... cannot be found.":
//   vLLM's "Dynamically serving LoRA Adapters" (VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)
//   and its serving_models.py messages.
// - Errors as OpenAI's {"error": {message, type, param, code}}; an unknown model
//   is 404 "The model `x` does not exist." (vLLM's NotFoundError).
// The answer is made up (the adapter's name and the prompt), so tests can tell
// which model answered.

export type StandInRequest = { method: string; path: string; body: any };

export type OpenAIStandIn = {
  url: string;
  requests: StandInRequest[];
  adapters: Map<string, string>;
  /** Answer chat completions with 503 and this Retry-After (seconds); null to stop. */
  saturate(retryAfterSeconds: number | null): void;
  /** Wait this long before answering chat completions. */
  delay(ms: number): void;
  /** Forget every adapter, as a restarted server does. */
  restart(): void;
  stop(): Promise<void>;
};

export const standInReply = (model: string, prompt: string) => `${model} answers: ${prompt}`;

function error(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code: status } }));
}

export async function startOpenAIStandIn(baseModel: string, port = 0): Promise<OpenAIStandIn> {
  const requests: StandInRequest[] = [];
  const adapters = new Map<string, string>();
  let saturated: number | null = null;
  let delayMs = 0;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? JSON.parse(text) : null;
    const path = new URL(req.url ?? "/", "http://local").pathname;
    requests.push({ method: req.method ?? "GET", path, body });

    if (req.method === "GET" && path === "/v1/models") {
      const card = (id: string, root: string, parent: string | null) => ({
        id,
        object: "model",
        created: 0,
        owned_by: "vllm",
        root,
        parent,
        max_model_len: 4096,
      });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({
          object: "list",
          data: [card(baseModel, baseModel, null), ...[...adapters].map(([id, root]) => card(id, root, baseModel))],
        }),
      );
    }
    if (req.method === "POST" && path === "/v1/load_lora_adapter") {
      const { lora_name, lora_path } = body ?? {};
      if (!lora_name || !lora_path) return error(res, 400, "InvalidUserInput", "Both 'lora_name' and 'lora_path' must be provided.");
      if (adapters.has(lora_name)) return error(res, 400, "InvalidUserInput", `The lora adapter '${lora_name}' has already been loaded.`);
      if (!existsSync(join(lora_path, "adapter_config.json")))
        return error(res, 400, "InvalidUserInput", `No adapter found for ${lora_path}`);
      adapters.set(lora_name, lora_path);
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(`Success: LoRA adapter '${lora_name}' added successfully.`);
    }
    if (req.method === "POST" && path === "/v1/unload_lora_adapter") {
      const { lora_name } = body ?? {};
      if (!adapters.delete(lora_name)) return error(res, 404, "NotFoundError", `The lora adapter '${lora_name}' cannot be found.`);
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(`Success: LoRA adapter '${lora_name}' removed successfully.`);
    }
    if (req.method === "POST" && path === "/v1/chat/completions") {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (saturated !== null)
        return error(res, 503, "ServiceUnavailableError", "The server is overloaded", { "retry-after": String(saturated) });
      const model: string = body.model;
      if (model !== baseModel && !adapters.has(model)) return error(res, 404, "NotFoundError", `The model \`${model}\` does not exist.`);
      const prompt = body.messages[body.messages.length - 1].content as string;
      const words = standInReply(model, prompt).split(" ");
      const maxTokens = body.max_tokens ?? 16;
      const answer = words.slice(0, maxTokens);
      const finish_reason = words.length > maxTokens ? "length" : "stop";
      const usage = {
        prompt_tokens: prompt.split(" ").length,
        completion_tokens: answer.length,
        total_tokens: prompt.split(" ").length + answer.length,
      };
      const id = "chatcmpl-standin";
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            id,
            object: "chat.completion",
            created: 0,
            model,
            choices: [{ index: 0, message: { role: "assistant", content: answer.join(" ") }, logprobs: null, finish_reason }],
            usage,
          }),
        );
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const send = (choices: unknown[], extra = {}) =>
        res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model, choices, ...extra })}\n\n`);
      send([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
      answer.forEach((word, i) =>
        send([{ index: 0, delta: { content: i === 0 ? word : ` ${word}` }, logprobs: null, finish_reason: null }]),
      );
      send([{ index: 0, delta: { content: "" }, logprobs: null, finish_reason }]);
      if (body.stream_options?.include_usage) send([], { usage });
      return res.end("data: [DONE]\n\n");
    }
    error(res, 404, "NotFoundError", `Not Found: ${path}`);
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/v1`,
    requests,
    adapters,
    saturate: (seconds) => void (saturated = seconds),
    delay: (ms) => void (delayMs = ms),
    restart: () => adapters.clear(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
