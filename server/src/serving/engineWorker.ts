// The engine worker thread: keeps base models and LoRA adapters in memory and
// runs evaluations and generations one at a time, so the API's event loop never
// waits on tensor work. Models are the trainer's own engine (trainer/src/engine),
// loaded from the same files the trainer wrote.
import { parentPort } from "node:worker_threads";
import { initBackend } from "../../../trainer/src/engine/backend";
import { evaluatePerplexity, scoreMultipleChoice } from "../../../trainer/src/engine/evaluate";
import { applyChatTemplate } from "../../../trainer/src/engine/chat";
import { generateReply } from "../../../trainer/src/engine/generate";
import { LoraAdapter } from "../../../trainer/src/engine/lora";
import { LlamaModel } from "../../../trainer/src/engine/model";
import { defaultBaseModelDir, ensureBaseModel } from "../../../trainer/src/engine/pretrain";
import { modelSizeOf } from "../../../trainer/src/worker/jobConfig";
import { BpeTokenizer } from "../../../trainer/src/engine/tokenizer";
import { splitIndices } from "../../../trainer/src/engine/train";
import type { EngineRequest, EngineResponse, EngineTask, ModelRef } from "./engineProtocol.js";

type Base = { model: LlamaModel; tok: BpeTokenizer };

const bases = new Map<string, Promise<Base>>();
/** Adapters by folder, most recently used last; a few stay loaded for the deployed endpoints. */
const adapters = new Map<string, LoraAdapter>();
const MAX_ADAPTERS = 8;

/** The folder of a built-in base model, built first if needed. Pretraining is seeded, so a server that never ran a trainer builds the same weights the trainer used. */
function baseModelDir(name: string): Promise<string> {
  const size = modelSizeOf(name);
  return ensureBaseModel(defaultBaseModelDir(size), { size });
}

function loadBase(name: string): Promise<Base> {
  let base = bases.get(name);
  if (!base) {
    base = baseModelDir(name).then(async (dir) => ({ model: await LlamaModel.load(dir), tok: await BpeTokenizer.load(dir) }));
    base.catch(() => bases.delete(name));
    bases.set(name, base);
  }
  return base;
}

async function load(ref: ModelRef): Promise<Base & { adapter: LoraAdapter | null }> {
  const base = await loadBase(ref.baseModel);
  if (!ref.adapterDir) return { ...base, adapter: null };
  let adapter = adapters.get(ref.adapterDir);
  if (adapter) adapters.delete(ref.adapterDir);
  else adapter = await LoraAdapter.load(ref.adapterDir, base.model.config);
  adapters.set(ref.adapterDir, adapter);
  for (const [dir, old] of adapters) {
    if (adapters.size <= MAX_ADAPTERS) break;
    old.dispose();
    adapters.delete(dir);
  }
  return { ...base, adapter };
}

/** `loaded` tells the host that the models are in memory: its time limit covers the work from here, not a first load (which may build a base model). */
async function run(task: EngineTask, loaded: () => void): Promise<unknown> {
  // The trainer's own split, so "held out" means the conversations it never trained on.
  if (task.kind === "heldOut") return splitIndices(task.conversations, task.fraction, task.seed).val;
  if (task.kind === "baseModelDir") return baseModelDir(task.baseModel);
  const { model, tok, adapter } = await load(task.model);
  loaded();
  switch (task.kind) {
    case "perplexity": {
      const maxSeqLength = Math.min(task.maxSeqLength, model.config.max_position_embeddings);
      return evaluatePerplexity(model, tok, task.chats, { adapter, maxSeqLength });
    }
    case "multipleChoice":
      return task.items.map((item) => scoreMultipleChoice(model, tok, item.question, item.options, { adapter }));
    case "generate":
      return task.prompts.map((chat) => {
        const reply = generateReply(model, tok, chat, { adapter, ...task.settings });
        const promptTokens = applyChatTemplate(tok, chat, { addGenerationPrompt: true }).ids.length;
        return { text: reply.text, promptTokens, completionTokens: reply.ids.length, finishReason: reply.finishReason };
      });
  }
}

await initBackend();
// One message at a time: tensor work is synchronous, and queuing here keeps answers in order.
let queue = Promise.resolve();
parentPort!.on("message", (request: EngineRequest) => {
  queue = queue.then(async () => {
    const started = performance.now();
    let response: EngineResponse;
    try {
      response = { id: request.id, ok: true, result: await run(request.task, () => parentPort!.postMessage({ id: request.id, loaded: true } satisfies EngineResponse)), ms: performance.now() - started };
    } catch (error) {
      response = { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error), ms: performance.now() - started };
    }
    parentPort!.postMessage(response);
  });
});
parentPort!.postMessage({ ready: true });
