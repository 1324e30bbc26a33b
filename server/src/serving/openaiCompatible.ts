import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { AppError } from "../errors.js";
import {
  BackendBusyError,
  BackendUnavailableError,
  ModelNotLoadedError,
  type Completion,
  type CompletionPiece,
  type CompletionRequest,
  type InferenceBackend,
} from "./backend.js";

// An inference backend that speaks the OpenAI API with LoRA adapters, through
// OpenAI's own client: vLLM (`vllm serve BASE --enable-lora` with
// VLLM_ALLOW_RUNTIME_LORA_UPDATING=True) is the reference, and the engine's
// serving process speaks the same (packages/serving). Adapters come and go with
// vLLM's POST /v1/load_lora_adapter {lora_name, lora_path} and
// /v1/unload_lora_adapter {lora_name}; a request names one with `model`.

export type OpenAICompatibleOptions = {
  kind?: InferenceBackend["kind"];
  /** The API's base URL, ending in /v1 (resolved at first use: a managed process picks its port when it starts). */
  baseURL: string | (() => Promise<string>);
  apiKey?: string | null;
  /** A request with no answer in this time fails as unavailable (read at each request: it follows the server's settings). */
  timeoutMs: () => number;
};

/** The backend's own message, from OpenAI's {error: {message}} or vLLM's older top-level {message}. */
function messageOf(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === "string" ? body.message : error.message;
}

export class OpenAICompatibleBackend implements InferenceBackend {
  readonly kind: InferenceBackend["kind"];
  private client: Promise<OpenAI> | null = null;

  constructor(private readonly options: OpenAICompatibleOptions) {
    this.kind = options.kind ?? "openai-compatible";
  }

  protected api(): Promise<OpenAI> {
    this.client ??= (async () => {
      const { baseURL, apiKey } = this.options;
      // Retries are ours to decide (a full backend is answered with Retry-After, not waited on).
      return new OpenAI({ baseURL: typeof baseURL === "string" ? baseURL : await baseURL(), apiKey: apiKey || "unused", maxRetries: 0 });
    })();
    this.client.catch(() => (this.client = null));
    return this.client;
  }

  /** Client errors in our terms: unavailable, busy, unknown model, or a refusal of the request. */
  private failure(error: unknown): unknown {
    if (error instanceof APIUserAbortError) return error;
    if (error instanceof APIConnectionTimeoutError)
      return new BackendUnavailableError(this.kind, `no answer within ${this.options.timeoutMs() / 1000} s`);
    if (error instanceof APIConnectionError)
      return new BackendUnavailableError(this.kind, (error.cause as Error | undefined)?.message || error.message);
    if (error instanceof BackendUnavailableError) return error;
    if (error instanceof APIError) {
      const message = messageOf(error);
      if (error.status === 404) return new ModelNotLoadedError(message);
      if (error.status === 429 || error.status === 503)
        return new BackendBusyError(Math.max(1, Math.ceil(Number(error.headers?.get("retry-after")) || 1)));
      if ((error.status ?? 500) >= 500) return new BackendUnavailableError(this.kind, `it answered ${error.status}: ${message}`);
      return new AppError("VALIDATION", `The model server refused the request: ${message}`);
    }
    return error;
  }

  private async call<T>(run: (api: OpenAI) => Promise<T>): Promise<T> {
    try {
      return await run(await this.api());
    } catch (error) {
      throw this.failure(error);
    }
  }

  async baseModels(signal?: AbortSignal): Promise<string[]> {
    const list = await this.call((api) => api.models.list({ signal, timeout: this.options.timeoutMs() }));
    // vLLM lists adapters with their base as `parent`; base models have none.
    return list.data.filter((m) => !(m as { parent?: string | null }).parent).map((m) => m.id);
  }

  async loadAdapter(name: string, path: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call((api) =>
        api.post("/load_lora_adapter", { body: { lora_name: name, lora_path: path }, signal, timeout: this.options.timeoutMs() }),
      );
    } catch (error) {
      // vLLM: 400 "The lora adapter 'x' has already been loaded."
      if (error instanceof AppError && /already been loaded/.test(error.message)) return;
      throw error;
    }
  }

  async unloadAdapter(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call((api) => api.post("/unload_lora_adapter", { body: { lora_name: name }, signal, timeout: this.options.timeoutMs() }));
    } catch (error) {
      // vLLM: 404 "The lora adapter 'x' cannot be found." — already gone.
      if (error instanceof ModelNotLoadedError) return;
      throw error;
    }
  }

  private params({ model, messages, settings }: CompletionRequest) {
    // top_k is vLLM's extension of the OpenAI request (0 there means "all", as -1 does).
    return {
      model,
      messages,
      max_tokens: settings.maxNewTokens,
      temperature: settings.temperature,
      seed: settings.seed,
      ...(settings.topK > 0 && { top_k: settings.topK }),
    };
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<Completion> {
    const out = await this.call((api) =>
      api.chat.completions.create({ ...this.params(request), stream: false }, { signal, timeout: this.options.timeoutMs() }),
    );
    const choice = out.choices[0];
    return {
      text: choice?.message.content ?? "",
      promptTokens: out.usage?.prompt_tokens ?? 0,
      completionTokens: out.usage?.completion_tokens ?? 0,
      finishReason: choice?.finish_reason ?? "stop",
    };
  }

  async *stream(request: CompletionRequest, signal?: AbortSignal): AsyncIterable<CompletionPiece> {
    const chunks = await this.call((api) =>
      api.chat.completions.create(
        { ...this.params(request), stream: true, stream_options: { include_usage: true } },
        { signal, timeout: this.options.timeoutMs() },
      ),
    );
    let finishReason = "stop";
    let usage = { promptTokens: 0, completionTokens: 0 };
    try {
      for await (const chunk of chunks) {
        const choice = chunk.choices[0];
        if (choice?.delta?.content) yield { text: choice.delta.content };
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      }
    } catch (error) {
      throw this.failure(error);
    }
    yield { done: { finishReason, ...usage } };
  }

  async close(): Promise<void> {}
}
