// A job trained for real against a running server: dataset upload, job
// creation, one run of the trainer worker (trainer/src/worker), and
// optionally a validation — all through the public API. Used by the tests and
// as a command that makes demo data for the SPA:
//   tsx packages/testing/src/trainedJob.ts --server http://127.0.0.1:4000 [--size tiny|small] [--quick]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runWorker } from "../../../trainer/src/worker/worker";

/** Short finance chats whose answers a tiny model learns in a few dozen steps. */
export function financeChatsJsonl(n = 40): string {
  const pairs = [
    ["How big should my emergency fund be?", "Keep three to six months of expenses in savings."],
    ["Should I pay off my credit card first?", "Yes, pay the high interest card first."],
    ["Is an index fund a good start?", "Yes, a low cost index fund is a good start."],
    ["Do I need life insurance?", "Only if someone depends on your income."],
  ];
  const openers = ["", "Quick question: ", "Hi! ", "Please help. "];
  return Array.from({ length: n }, (_, i) => {
    const [q, a] = pairs[i % pairs.length];
    return JSON.stringify({
      messages: [
        { role: "user", content: openers[Math.floor(i / pairs.length) % openers.length] + q },
        { role: "assistant", content: a },
      ],
    });
  }).join("\n");
}

/** These jobs ask for a GPU type other tests leave alone, and the worker claims only that type: it runs our job, never someone else's queued one. */
const GPU = "A100_SXM_80GB";

export const TINY_OVERRIDES = {
  baseModel: "tuneloop-llama-tiny",
  maxSeqLength: 48,
  epochs: 3,
  batchSize: 4,
  learningRate: 1e-2,
  rank: 4,
  seed: 7,
};
/** A quick validation: a sample of questions and scenarios, short answers. */
export const QUICK_VALIDATION = { questionCount: 12, scenarioCount: 3, maxNewTokens: 12 };

type Options = {
  name?: string;
  size?: "tiny" | "small";
  validationFollows?: boolean;
  log?: (line: string) => void /** The tiny job's dataset (JSONL); the finance chats when unset. */;
  chatsJsonl?: string;
};

export function apiAt(url: string) {
  async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    const payload = body.data && (Object.values(body.data)[0] as { __typename?: string; data?: unknown; message?: string });
    if (body.errors || payload?.__typename === "AppError")
      throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors ?? payload)}`);
    return payload?.__typename?.endsWith("Success") ? (payload.data as any) : (payload as any);
  }
  const login = async (role: string) =>
    (await gql(`mutation($e:String!){ login(email:$e, password:"demo"){ token } }`, { e: `${role}@demo.tuneloop.dev` })).token as string;
  return { url, gql, login };
}

async function uploadDataset(url: string, token: string, name: string, content: string): Promise<string> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: `mutation($n:String!,$f:Upload!){ uploadDataset(name:$n, file:$f){ __typename ... on UploadDatasetSuccess { data { id } } ... on AppError { message } } }`,
      variables: { n: name, f: null },
    }),
  );
  form.append("map", JSON.stringify({ "0": ["variables.f"] }));
  form.append("0", new Blob([content]), "chats.jsonl");
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "graphql-require-preflight": "1" },
    body: form,
  });
  const result = (await response.json()) as any;
  if (result.data?.uploadDataset?.__typename !== "UploadDatasetSuccess") throw new Error(`uploadDataset: ${JSON.stringify(result)}`);
  return result.data.uploadDataset.data.id;
}

/**
 * Creates a job and lets one real worker train it. `tiny` trains the tiny base
 * model on short finance chats (seconds); `small` the 1M-parameter model on
 * the demo dataset (minutes). With validationFollows the same worker goes on
 * to validate the job; otherwise it completes directly.
 */
export async function trainJob(url: string, options: Options = {}) {
  const api = apiAt(url);
  const engineer = await api.login("engineer");
  const tiny = (options.size ?? "tiny") === "tiny";
  const datasetId = tiny
    ? await uploadDataset(
        url,
        engineer,
        `finance chats ${Math.random().toString(36).slice(2, 6)}`,
        options.chatsJsonl ?? financeChatsJsonl(),
      )
    : (await api.gql(`{ datasets(first: 100){ edges { node { id name } } } }`, {}, engineer)).edges.find((e: any) =>
        e.node.name.includes("demo"),
      ).node.id;
  const overrides = tiny ? TINY_OVERRIDES : { epochs: 8, learningRate: 3e-3, batchSize: 8 };
  const job = await api.gql(
    `mutation($i:CreateTrainingJobInput!){ createTrainingJob(input:$i){ __typename ... on AppError { message } ... on CreateTrainingJobSuccess { data { id } } } }`,
    { i: { name: options.name ?? "tiny finance adapter", start: true, settings: { datasetId, overrides, gpuType: GPU } } },
    engineer,
  );
  const log: string[] = [];
  const code = await runTestWorker(url, {
    validationFollows: options.validationFollows ?? true,
    log: (line) => (log.push(line), options.log?.(line)),
  });
  const after = await api.gql(`query($id:ID!){ job(id:$id){ status } }`, { id: job.id }, engineer);
  if (code !== 0 || !["VALIDATION", "COMPLETED"].includes(after.status))
    throw new Error(`the worker did not finish the job (${after.status}):\n${log.join("\n")}`);
  return { jobId: job.id as string, session: engineer };
}

/**
 * One run of the real worker (trainer/src/worker) for this file's GPU type: it
 * trains the job waiting, or, with none, evaluates a waiting validation run;
 * with validationFollows it goes on to validate the job it trained.
 */
export async function runTestWorker(url: string, options: { validationFollows: boolean; log?: (line: string) => void }) {
  const api = apiAt(url);
  const workerKey = (await api.gql(`mutation{ createApiKey(name:"worker", scopes:[WORKER]){ key } }`, {}, await api.login("owner"))).key;
  const stateDir = await mkdtemp(join(tmpdir(), "tuneloop-worker-"));
  try {
    return await runWorker({
      serverUrl: url,
      apiKey: workerKey,
      workerId: `worker-${Math.random().toString(36).slice(2, 8)}`,
      gpuTypes: [GPU],
      once: true,
      shutdownGraceSeconds: 1,
      stateDir,
      memoryBudgetMb: null,
      maxDurationSeconds: null,
      offlineDeadlineSeconds: 60,
      metricsEverySteps: 1,
      validationFollows: options.validationFollows,
      log: options.log ?? (() => {}),
    });
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Polls the API until the job's newest validation run has finished; returns its id and status. */
export async function awaitValidation(url: string, jobId: string, token: string, timeoutMs = 180_000) {
  const api = apiAt(url);
  const started = Date.now();
  for (;;) {
    const job = await api.gql(`query($id:ID!){ job(id:$id){ validationRuns { id status } } }`, { id: jobId }, token);
    const run = job.validationRuns[0];
    if (run && (run.status === "COMPLETED" || run.status === "FAILED")) return run as { id: string; status: string };
    if (Date.now() - started > timeoutMs) throw new Error(`validation of ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      server: { type: "string", default: "http://127.0.0.1:4000" },
      size: { type: "string", default: "tiny" },
      quick: { type: "boolean", default: false },
      name: { type: "string" },
    },
  });
  const size = values.size === "small" ? "small" : "tiny";
  const { jobId, session } = await trainJob(values.server!, {
    size,
    name: values.name,
    validationFollows: !values.quick,
    log: (l) => console.error(l),
  });
  if (values.quick) {
    await apiAt(values.server!).gql(
      `mutation($j:ID!,$o:RunValidationInput){ runValidation(jobId:$j, options:$o){ __typename ... on AppError { message } ... on RunValidationSuccess { data { id } } } }`,
      { j: jobId, o: QUICK_VALIDATION },
      session,
    );
    await runTestWorker(values.server!, { validationFollows: true, log: (l) => console.error(l) });
  }
  const run = await awaitValidation(values.server!, jobId, session);
  console.log(JSON.stringify({ jobId, runId: run.id, status: run.status }));
}
