// The models a serving process holds: the built-in base models (built from
// their seeded recipe on first use, like the trainer does) and the LoRA adapters
// loaded onto them by name. Several adapters share one base model in memory.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  applyChatTemplate,
  BpeTokenizer,
  defaultBaseModelDir,
  ensureBaseModel,
  LlamaModel,
  LoraAdapter,
  MODEL_SIZES,
  streamIds,
  type Chat,
  type ModelSize,
} from "@tuneloop/engine";

/** A refusal with the HTTP status and OpenAI error type it is answered with. */
export class ServingError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Base = { model: LlamaModel; tok: BpeTokenizer };
type Adapter = { baseName: string; path: string; adapter: LoraAdapter };

export type Sampling = { maxTokens: number; temperature: number; topK: number; seed: number };
export type Finish = { finishReason: "stop" | "length"; promptTokens: number; completionTokens: number };

const sizeOf = (name: string) => (Object.keys(MODEL_SIZES) as ModelSize[]).find((size) => MODEL_SIZES[size].name === name);

export class ModelHost {
  private readonly bases = new Map<string, Promise<Base>>();
  private readonly adapters = new Map<string, Adapter>();

  /** The built-in base models this process can serve. */
  baseModels(): string[] {
    return Object.values(MODEL_SIZES).map((recipe) => recipe.name);
  }

  /** The folder of a built-in base model, built first if needed (seeded: the same weights the trainer used). */
  baseModelDir(name: string): Promise<string> {
    const size = sizeOf(name);
    if (!size) throw new ServingError(404, "NotFoundError", `The model \`${name}\` does not exist.`);
    return ensureBaseModel(defaultBaseModelDir(size), { size });
  }

  private base(name: string): Promise<Base> {
    let base = this.bases.get(name);
    if (!base) {
      base = this.baseModelDir(name).then(async (dir) => ({ model: await LlamaModel.load(dir), tok: await BpeTokenizer.load(dir) }));
      base.catch(() => this.bases.delete(name));
      this.bases.set(name, base);
    }
    return base;
  }

  /** Loads a PEFT adapter folder under a name; its base model is the one named in its adapter_config.json. */
  async loadAdapter(name: string, path: string): Promise<void> {
    if (this.adapters.has(name)) throw new ServingError(400, "BadRequestError", `The lora adapter '${name}' has already been loaded.`);
    let baseName: string;
    try {
      baseName = JSON.parse(await readFile(join(path, "adapter_config.json"), "utf8")).base_model_name_or_path;
    } catch (error) {
      throw new ServingError(400, "BadRequestError", `No readable adapter_config.json at ${path}: ${(error as Error).message}`);
    }
    if (!sizeOf(baseName)) {
      throw new ServingError(
        400,
        "BadRequestError",
        `The adapter was trained on ${JSON.stringify(baseName)}; this server serves ${this.baseModels().join(", ")}`,
      );
    }
    const { model } = await this.base(baseName);
    const adapter = await LoraAdapter.load(path, model.config).catch((error: Error) => {
      throw new ServingError(400, "BadRequestError", `The adapter at ${path} does not fit ${baseName}: ${error.message}`);
    });
    // A concurrent load of the same name may have won while the files were read.
    if (this.adapters.has(name)) {
      adapter.dispose();
      throw new ServingError(400, "BadRequestError", `The lora adapter '${name}' has already been loaded.`);
    }
    this.adapters.set(name, { baseName, path, adapter });
  }

  unloadAdapter(name: string): void {
    const entry = this.adapters.get(name);
    if (!entry) throw new ServingError(404, "NotFoundError", `The lora adapter '${name}' cannot be found.`);
    this.adapters.delete(name);
    entry.adapter.dispose();
  }

  /** The models a request may name: the base models and the loaded adapters (with their base as parent). */
  models(): { id: string; root: string; parent: string | null }[] {
    return [
      ...this.baseModels().map((id) => ({ id, root: id, parent: null })),
      ...[...this.adapters].map(([id, a]) => ({ id, root: a.path, parent: a.baseName })),
    ];
  }

  private resolve(name: string): { baseName: string; adapter: LoraAdapter | null } {
    const entry = this.adapters.get(name);
    if (entry) return { baseName: entry.baseName, adapter: entry.adapter };
    if (sizeOf(name)) return { baseName: name, adapter: null };
    throw new ServingError(404, "NotFoundError", `The model \`${name}\` does not exist.`);
  }

  /**
   * The reply to a chat as text pieces, one per token. It yields to the event
   * loop after each token, so that concurrent requests (on any adapter)
   * advance in turn and a client that leaves stops its generation.
   */
  async *generate(modelName: string, chat: Chat, sampling: Sampling): AsyncGenerator<string, Finish> {
    const { baseName, adapter } = this.resolve(modelName);
    const { model, tok } = await this.base(baseName);
    const prompt = applyChatTemplate(tok, chat, { addGenerationPrompt: true }).ids;
    const stops = [tok.special("<|end|>"), tok.special("<|eos|>")];
    const tokens = streamIds(model, prompt, stops, {
      adapter,
      maxNewTokens: sampling.maxTokens,
      temperature: sampling.temperature,
      topK: sampling.topK,
      seed: sampling.seed,
    });
    const ids: number[] = [];
    let text = "";
    try {
      for (;;) {
        const next = tokens.next();
        if (next.done) return { finishReason: next.value, promptTokens: prompt.length, completionTokens: ids.length };
        ids.push(next.value);
        // Decoding the whole reply keeps characters that span tokens whole.
        const full = tok.decode(ids, { skipSpecial: true });
        const piece = full.slice(text.length);
        text = full;
        if (piece) yield piece;
        await nextTurn();
      }
    } finally {
      tokens.return("stop");
    }
  }
}
