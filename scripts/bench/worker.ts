// The local worker, end to end: a Balanced job on the demo dataset with the
// 'small' base model (tuneloop-llama-1m), claimed and run by the real trainer
// CLI against a real server — beside a baseline measured in the same run: the
// engine alone (trainLora in-process on the same chats and hyperparameters).
// Reports wall time, the ratio, train loss start → end and held-out
// perplexity of the base model vs the adapter. These are the README's figures.
// Usage: npx tsx scripts/bench/worker.ts
import { parseChatJsonl, defaultBaseModelDir, ensureBaseModel, trainLora } from "@tuneloop/engine";
import { hyperparametersOf, parseJobConfig } from "../../trainer/src/worker/jobConfig";
import { createWorkerKey, RestartableServer, startWorker } from "@tuneloop/testing/workerProcesses";
import { waitFor } from "@tuneloop/testing/waitFor";
import { demoDatasetJsonl } from "../../server/src/datasets/demoDataset";
import { queueJob } from "@tuneloop/testing/workerApi";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

console.log("Building or finding the small base model…");
await ensureBaseModel(defaultBaseModelDir("small"), { size: "small" });

const server = new RestartableServer();
await server.start();
try {
  const app = server.asTestApp();
  const key = await createWorkerKey(app);
  const jobId = await queueJob(app, "Balanced on the demo dataset"); // preset BALANCED, base model tuneloop-llama-1m
  const job = await server.db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
  const config = parseJobConfig(job.config);

  // Baseline: the engine alone, same data and hyperparameters, in this process.
  const chats = parseChatJsonl(demoDatasetJsonl());
  const engineStarted = performance.now();
  const alone = await trainLora({ baseModelDir: defaultBaseModelDir("small"), chats, hyperparameters: hyperparametersOf(config) });
  const engineMs = performance.now() - engineStarted;
  if (alone.status === "completed") alone.adapter.dispose();

  // The worker: claim → dataset → stages → training with reports → checkpoints and adapter uploaded → completion.
  const started = Date.now();
  const worker = startWorker(server.url, key, ["--once", "--worker-id", "bench"]);
  const code = await worker.exited;
  if (code !== 0) throw new Error(`worker exited ${code}:\n${worker.output()}`);
  const done = await waitFor("completion", async () => {
    const j = await server.db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    return j.status === "COMPLETED" && j;
  });
  const workerMs = Date.now() - started;
  const losses = await server.db.metricPoint.findMany({ where: { jobId, name: "train_loss" }, orderBy: { step: "asc" } });
  const completed = await server.db.jobEvent.findFirstOrThrow({ where: { jobId, type: "completed" } });
  const summary = (completed.payload as { summary: Record<string, number> }).summary;
  const artifacts = await server.db.artifact.findMany({ where: { jobId } });

  console.log(`
Balanced preset (rank ${config.rank}, lr ${config.learningRate}, ${config.epochs} epochs, batch ${config.batchSize}, seq ${config.maxSeqLength}) on the demo dataset (${chats.length} conversations), base model ${config.baseModel}
  engine alone (baseline)        ${seconds(engineMs)} for ${alone.step} steps
  worker end to end              ${seconds(workerMs)} (process start to exit; training itself ${summary.durationSeconds.toFixed(1)} s)  ratio ${(workerMs / engineMs).toFixed(2)}×
  train loss                     ${losses[0].value.toFixed(3)} (step 1) → ${losses.at(-1)!.value.toFixed(3)} (step ${losses.at(-1)!.step})
  validation perplexity          ${summary.baseValPerplexity.toFixed(2)} base → ${summary.adaptedValPerplexity.toFixed(2)} adapted (${(100 * (1 - summary.adaptedValPerplexity / summary.baseValPerplexity)).toFixed(1)}% lower; ${summary.validationConversations} held-out conversations, ${summary.validationTokens} tokens)
  tokens/s                       ${summary.tokensPerSecond.toFixed(0)}; peak RSS ${(summary.peakRssBytes / 2 ** 20).toFixed(0)} MB
  artifacts                      ${artifacts.map((a) => `${a.name} (${(a.sizeBytes / 1024).toFixed(0)} KiB)`).join(", ")}
  job                            ${done.status}, ${done.currentStep}/${done.totalSteps} steps`);
} finally {
  await server.dispose();
}
