import { AppError } from "../errors.js";

// The inference-backend interface: where the playground and the deployed
// endpoint send generations. The API process holds no model; a backend is a
// process that does (the engine's serving process, or vLLM and any other
// server speaking the OpenAI API with LoRA adapters).

export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

/** Greedy when temperature is 0; topK 0 samples among all tokens. */
export type GenerationSettings = { maxNewTokens: number; temperature: number; topK: number; seed: number };

/** One generation: `model` is a loaded adapter's name, or the base model's. */
export type CompletionRequest = { model: string; messages: ChatMessage[]; settings: GenerationSettings };

export type Completion = { text: string; promptTokens: number; completionTokens: number; finishReason: string };

/** A streamed completion: text pieces as they come, then how it ended. */
export type CompletionPiece = { text: string } | { done: Omit<Completion, "text"> };

export interface InferenceBackend {
  readonly kind: "engine" | "openai-compatible";
  /** The base models it serves (adapters must be trained on one of them). */
  baseModels(signal?: AbortSignal): Promise<string[]>;
  /** Makes a PEFT adapter folder answer as `name`; loading a name that is loaded already is not an error. */
  loadAdapter(name: string, path: string, signal?: AbortSignal): Promise<void>;
  /** Unloading a name that is not loaded is not an error. */
  unloadAdapter(name: string, signal?: AbortSignal): Promise<void>;
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<Completion>;
  stream(request: CompletionRequest, signal?: AbortSignal): AsyncIterable<CompletionPiece>;
  close(): Promise<void>;
}

/** The backend cannot be reached (down, refused, no answer in time): the version stays deployed, the caller gets 503. */
export class BackendUnavailableError extends AppError {
  constructor(
    readonly backend: string,
    detail: string,
  ) {
    super(
      "UNAVAILABLE",
      `The model's inference backend (${backend}) is unavailable: ${detail}. The version stays deployed; try again later.`,
    );
  }
}

/** The backend or our queue for it is full: refused now, with a time to come back. */
export class BackendBusyError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = `The model server is saturated; try again in ${retryAfterSeconds} s`,
  ) {
    super("BUSY", message);
  }
}

/** The backend does not know the model name (an adapter it dropped, e.g. after a restart). */
export class ModelNotLoadedError extends Error {}
