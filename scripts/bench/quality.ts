// Validation and serving, measured on a real server with a job trained by the
// real worker (tiny base model; `--size small` for the 1M-parameter one), each
// beside a baseline measured in the same run:
// - the 100-question knowledge test through a validation run (claimed by a
//   worker, reported task by task through the API) vs the engine scoring the
//   same questions in-process;
// - completions from the deployed endpoint (HTTP, API key, registry lookup,
//   worker thread) vs generateReply in-process with the same adapter and prompt.
// Usage: npx tsx scripts/bench/quality.ts [--size small] [--requests 10]
import { parseArgs } from "node:util";
import { startTestApp } from "@tuneloop/testing/app";
import { apiAt, awaitValidation, runTestWorker, trainJob } from "@tuneloop/testing/trainedJob";
import { adapterDir } from "../../server/src/serving/adapterFiles";
import { KNOWLEDGE_QUESTIONS } from "../../server/src/validation/content/knowledgeQuestions";
import {
  initBackend,
  scoreMultipleChoice,
  generateReply,
  LoraAdapter,
  LlamaModel,
  defaultBaseModelDir,
  ensureBaseModel,
  BpeTokenizer,
} from "@tuneloop/engine";

const { values } = parseArgs({ options: { size: { type: "string", default: "tiny" }, requests: { type: "string", default: "10" } } });
const size = values.size === "small" ? "small" : "tiny";
const requests = Number(values.requests);
const ms = (x: number) => `${x.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const baseDir = await ensureBaseModel(defaultBaseModelDir(size), { size });
const app = await startTestApp();
try {
  const api = apiAt(app.url);
  const { jobId, session } = await trainJob(app.url, { size, validationFollows: false });
  const owner = await api.login("owner");

  // Validation: only the knowledge test, so the figure is comparable with the baseline.
  const started = performance.now();
  await api.gql(
    `mutation($j:ID!){ runValidation(jobId:$j, options:{scenarioCount:1, maxNewTokens:1}){ __typename } }`,
    { j: jobId },
    session,
  );
  await runTestWorker(app.url, { validationFollows: true });
  const run = await awaitValidation(app.url, jobId, session);
  const serverValidationMs = performance.now() - started;
  const stored = await app.services.db.validationRun.findUniqueOrThrow({ where: { id: run.id } });
  const timings = (stored.details as { timings: Record<string, number> }).timings;
  const knowledgeMs = Object.entries(timings)
    .filter(([k]) => k.startsWith("knowledge:"))
    .reduce((a, [, v]) => a + v, 0);

  // Serving: deploy with the gates off, then time completions.
  await api.gql(
    `mutation{ updateQualitySettings(input:{gateMinPerplexityImprovementPct:null, gateMinRetentionPct:null, gateRequireApproval:false}){ __typename ... on UpdateQualitySettingsSuccess { data { gateRequireApproval } } } }`,
    {},
    owner,
  );
  const version = await api.gql(
    `mutation($j:ID!){ registerModelVersion(input:{jobId:$j, name:"bench"}){ __typename ... on RegisterModelVersionSuccess { data { id } } } }`,
    { j: jobId },
    session,
  );
  await api.gql(
    `mutation($id:ID!){ deployModelVersion(id:$id){ __typename ... on DeployModelVersionSuccess { data { id } } } }`,
    { id: version.id },
    session,
  );
  const key = (await api.gql(`mutation{ createApiKey(name:"bench", scopes:[READ]){ key } }`, {}, session)).key;
  const prompt = "How big should my emergency fund be?";
  const body = JSON.stringify({ prompt, max_tokens: 32 });
  const call = () =>
    fetch(`${app.url}/api/v1/models/demo/bench/latest`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
    }).then((r) => r.json());
  const warm = await call(); // loads the model into the serving thread
  const endpoint: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    await call();
    endpoint.push(performance.now() - t);
  }
  // Baselines last: the engine in this process blocks the event loop, which would stall the server above.
  await initBackend();
  const model = await LlamaModel.load(baseDir);
  const tok = await BpeTokenizer.load(baseDir);
  const adapter = await LoraAdapter.load(await adapterDir(app.services, jobId), model.config);
  const engineStarted = performance.now();
  for (const q of KNOWLEDGE_QUESTIONS) {
    scoreMultipleChoice(model, tok, q.question, q.options);
    scoreMultipleChoice(model, tok, q.question, q.options, { adapter });
  }
  const engineKnowledgeMs = performance.now() - engineStarted;

  const direct: number[] = [];
  let text = "";
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    text = generateReply(model, tok, { messages: [{ role: "user", content: prompt }] }, { adapter, maxNewTokens: 32 }).text;
    direct.push(performance.now() - t);
  }
  if (text !== warm.choices[0].message.content) throw new Error("the endpoint and the engine disagree on the same greedy completion");

  console.log(`
Base model ${size === "tiny" ? "tuneloop-llama-tiny" : "tuneloop-llama-1m"}; validation on job ${jobId}
  knowledge test, engine in-process (baseline)   ${ms(engineKnowledgeMs)} for ${KNOWLEDGE_QUESTIONS.length} questions × 2 models
  knowledge test inside a worker's validation    ${ms(knowledgeMs)}  ratio ${(knowledgeMs / engineKnowledgeMs).toFixed(2)}×
  whole quick validation (queue → result)        ${ms(serverValidationMs)} (worker start, model load, perplexity, 100 questions, 1 scenario)
  perplexity base → adapted                      ${stored.perplexityBase!.toFixed(2)} → ${stored.perplexityAdapted!.toFixed(2)} (${stored.perplexityImprovementPct!.toFixed(1)}% lower)
Completions of up to 32 tokens, ${requests} sequential requests after one warm-up
  generateReply in-process (baseline)            median ${ms(median(direct))}
  POST /api/v1/models/demo/bench/latest          median ${ms(median(endpoint))}  ratio ${(median(endpoint) / median(direct)).toFixed(2)}×  (same text: "${text.slice(0, 40)}…")`);
  model.dispose();
  adapter.dispose();
} finally {
  await app.stop();
}
