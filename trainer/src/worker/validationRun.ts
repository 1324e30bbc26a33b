// One claimed validation run: the base model and the job's adapter evaluated
// here, on the worker, task by task. Each task's result goes to the server as
// soon as it is computed (idempotent per task key), so a worker that dies
// leaves the finished tasks behind and the next worker does only the rest.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  BpeTokenizer,
  defaultBaseModelDir,
  ensureBaseModel,
  evaluatePerplexity,
  generateReply,
  initBackend,
  LlamaModel,
  LoraAdapter,
  parseChatJsonl,
  scoreMultipleChoice,
  splitIndices,
  type Chat,
} from "@tuneloop/engine";
import { NetworkError, type ServerClient } from "./api";
import type { ClaimValidationRunMutation } from "./graphql/graphql";
import { modelSizeOf } from "./jobConfig";
import { FailValidationRun, HeartbeatValidationRun, ReportValidationResult } from "./operations";

const HEARTBEAT_MS = 30_000;

export type ValidationClaim = NonNullable<
  Extract<ClaimValidationRunMutation["claimValidationRun"], { __typename: "ClaimValidationRunSuccess" }>["data"]["claim"]
>;
type Task = ValidationClaim["tasks"][number];
type Settings = {
  baseModel: string;
  maxSeqLength: number;
  validationFraction: number;
  seed: number;
  generation: { maxNewTokens: number; temperature: number; topK: number };
};

export type ValidationOutcome = "completed" | "failed" | "lost";

/** Sends a report until the server answers; a refusal (the run was taken over or ended) is returned, not thrown. */
async function send<T>(attempt: () => Promise<T>, log: (line: string) => void): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof NetworkError) || failures >= 8) throw error;
      log(`${error.message}; trying again`);
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** failures)));
    }
  }
}

/** A run's evaluations with the engine; the same task contract as the python worker's evaluation.py. */
export async function runValidation(
  client: ServerClient,
  apiKey: string,
  workerId: string,
  claim: ValidationClaim,
  stateDir: string,
  log: (line: string) => void,
): Promise<ValidationOutcome> {
  const runId = claim.run.id;
  const settings = claim.settings as Settings;
  const dir = join(stateDir, "validation", runId);
  let model: LlamaModel | null = null;
  let adapter: LoraAdapter | null = null;
  // Results renew the lease; this keeps it while the adapter downloads and the base model is built or loaded.
  const heartbeat = setInterval(() => {
    client
      .request(HeartbeatValidationRun, { runId, workerId }, apiKey)
      .catch((error) => log(`validation ${runId}: heartbeat failed: ${(error as Error).message}`));
  }, HEARTBEAT_MS);
  try {
    await mkdir(dir, { recursive: true });
    await client.download(claim.adapterModel.downloadUrl, join(dir, "adapter_model.safetensors"), claim.adapterModel.sha256);
    await client.download(claim.adapterConfig.downloadUrl, join(dir, "adapter_config.json"), claim.adapterConfig.sha256);
    await initBackend();
    const size = modelSizeOf(settings.baseModel);
    const baseDir = await ensureBaseModel(defaultBaseModelDir(size), { size });
    model = await LlamaModel.load(baseDir);
    const tok = await BpeTokenizer.load(baseDir);
    adapter = await LoraAdapter.load(dir, model.config);
    // The trainer's own split, so "held out" means the conversations it never trained on.
    const chats = parseChatJsonl(claim.datasetContent) as Chat[];
    const heldOut = splitIndices(chats.length, settings.validationFraction, settings.seed).val.map((i) => chats[i]);
    const maxSeqLength = Math.min(settings.maxSeqLength, model.config.max_position_embeddings);
    const loaded = { model, tok, adapter };

    const compute = (task: Task): Record<string, unknown> => {
      const withAdapter = task.model === "ADAPTED" ? loaded.adapter : null;
      switch (task.kind) {
        case "PERPLEXITY":
          return {
            ...evaluatePerplexity(loaded.model, tok, heldOut, { adapter: withAdapter, maxSeqLength }),
            conversations: heldOut.length,
          };
        case "MULTIPLE_CHOICE":
          return {
            best: task.questions.map((q) => scoreMultipleChoice(loaded.model, tok, q.question, q.options, { adapter: withAdapter }).best),
          };
        case "GENERATE":
          return {
            texts: task.prompts.map((p) => {
              const chat = { messages: p.messages } as Chat;
              return generateReply(loaded.model, tok, chat, { adapter: withAdapter, ...settings.generation, seed: claim.reviewSeed }).text;
            }),
          };
      }
    };
    for (const task of claim.tasks) {
      const started = performance.now();
      const result = { ...compute(task), ms: performance.now() - started };
      const answer = await send(() => client.request(ReportValidationResult, { runId, workerId, key: task.key, result }, apiKey), log);
      if (answer.reportValidationResult.__typename !== "ReportValidationResultSuccess") {
        log(
          `validation ${runId}: ${task.key} refused: ${"message" in answer.reportValidationResult ? answer.reportValidationResult.message : ""}`,
        );
        return "lost";
      }
    }
    log(`validation ${runId} of job ${claim.job.id}: ${claim.tasks.length} task(s) reported`);
    return "completed";
  } catch (error) {
    if (error instanceof NetworkError) {
      log(`validation ${runId}: ${error.message}; the run is left for another worker`);
      return "lost";
    }
    const message = error instanceof Error ? error.message : String(error);
    log(`validation ${runId} failed: ${message}`);
    await send(() => client.request(FailValidationRun, { runId, workerId, message }, apiKey), log).catch(() => {});
    return "failed";
  } finally {
    clearInterval(heartbeat);
    model?.dispose();
    adapter?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
