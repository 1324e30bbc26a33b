// Messages between the server and its engine worker threads.
export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };
export type Chat = { messages: ChatMessage[] };

/** A model to run: a built-in base model by name, optionally with a LoRA adapter from a folder of PEFT files. */
export type ModelRef = { baseModel: string; adapterDir: string | null };

/** Greedy when temperature is 0; topK 0 samples among all tokens. */
export type GenerationSettings = { maxNewTokens: number; temperature: number; topK: number; seed: number };

export type EngineTask =
  | { kind: "heldOut"; conversations: number; fraction: number; seed: number }
  | { kind: "baseModelDir"; baseModel: string }
  | { kind: "perplexity"; model: ModelRef; chats: Chat[]; maxSeqLength: number }
  | { kind: "multipleChoice"; model: ModelRef; items: { question: string; options: string[] }[] }
  | { kind: "generate"; model: ModelRef; prompts: Chat[]; settings: GenerationSettings };

export type EngineResult = {
  heldOut: number[];
  baseModelDir: string;
  perplexity: { loss: number; perplexity: number; tokens: number };
  multipleChoice: { best: number; scores: number[] }[];
  generate: { text: string; promptTokens: number; completionTokens: number; finishReason: "stop" | "length" }[];
};

export type EngineRequest = { id: number; task: EngineTask };
export type EngineResponse =
  | { id: number; ok: true; result: unknown; ms: number }
  | { id: number; ok: false; error: string; ms: number }
  /** The task's models are loaded; the work itself starts. */
  | { id: number; loaded: true };
