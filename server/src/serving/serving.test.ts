import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { usingPostgres } from "@tuneloop/testing/database";
import { createOtherOrganization } from "@tuneloop/testing/fixtures";
import { startOpenAIStandIn, standInReply, type OpenAIStandIn } from "@tuneloop/testing/standIns/openai";
import { trainTinyJob } from "@tuneloop/testing/validation";
import { UsageCounter } from "./usageCounter.js";

// Serving through inference backends. The built-in model is served by the
// engine's serving process (packages/serving, started by the server on first
// use); a Hugging Face model by an OpenAI-compatible server, here a local
// stand-in with vLLM's shapes (../testing/openaiStandIn.ts says where each comes from).

const HF_BASE = "meta-llama/Llama-3.1-8B-Instruct";
const PATH = "/api/v1/models/demo/fair-advisor/latest";
const HF_PATH = "/api/v1/models/demo/hf-advisor/latest";
const PLAY = `query($j:ID!,$p:String!,$n:Int){ playground(jobId:$j, prompt:$p, options:{maxNewTokens:$n}){ base { text } adapted { text } } }`;

let app: TestApp;
let standIn: OpenAIStandIn;
let demo: { orgId: string; jobId: string; engineer: string; owner: string; qa: string; key: string; versionId: string };
let rival: { orgId: string; jobId: string; engineer: string };
let hf: { jobId: string; versionId: string; adapterName: string };

const result = (r: any) => Object.values(r.data)[0] as any;

/** A copy of the trained job (same adapter files) in an organization, optionally on another base model. */
async function copyJob(jobId: string, orgId: string, baseModel?: string) {
  const db = app.services.db;
  const {
    id: _id,
    orgId: _org,
    createdById: _by,
    createdAt: _c,
    updatedAt: _u,
    projectId: _p,
    retryOfId: _r,
    config,
    ...job
  } = await db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
  const user = await db.user.findFirstOrThrow({ where: { memberships: { some: { orgId } } } });
  const copy = await db.trainingJob.create({
    data: { ...job, config: { ...(config as object), ...(baseModel && { baseModel }) }, orgId, createdById: user.id },
  });
  for (const { id: _a, jobId: _j, createdAt: _t, ...artifact } of await db.artifact.findMany({
    where: { jobId, kind: { in: ["adapter_model", "adapter_config"] } },
  })) {
    await db.artifact.create({ data: { ...artifact, jobId: copy.id } });
  }
  return copy.id;
}

/** Registers, approves and deploys a job's adapter (over the gates: it is not validated). */
async function deploy(jobId: string, name: string) {
  const version = result(
    await app.gql(
      `mutation($j:ID!,$n:String!){ registerModelVersion(input:{jobId:$j, name:$n}){ ... on RegisterModelVersionSuccess { data { id } } } }`,
      { j: jobId, n: name },
      demo.engineer,
    ),
  ).data;
  await app.gql(`mutation($id:ID!){ approveModelVersion(id:$id){ __typename } }`, { id: version.id }, demo.qa);
  const deployed = result(
    await app.gql(
      `mutation($id:ID!){ deployModelVersion(id:$id, overrideReason:"serving test"){ __typename ... on AppError { code message field } } }`,
      { id: version.id },
      demo.owner,
    ),
  );
  return { versionId: version.id as string, deployed };
}

const queue = () => app.services.inference.forModel("tuneloop-llama-tiny").queue;

async function until(check: () => boolean, what: string, timeoutMs = 60_000) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const post = (path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${app.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${demo.key}` },
    body: JSON.stringify(body),
    signal,
  });
const complete = (signal?: AbortSignal) => post(PATH, { prompt: "How big should my emergency fund be?", max_tokens: 8 }, signal);

/** The `data:` events of a server-sent event stream. */
async function events(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      return event.slice("data: ".length);
    });
}

/** `count` separate playground calls of the rival, each two long generations. */
const flood = (count: number, maxNewTokens = 48) =>
  Array.from({ length: count }, () =>
    app.gql(PLAY, { j: rival.jobId, p: "Tell me everything about budgets.", n: maxNewTokens }, rival.engineer),
  );

beforeAll(async () => {
  standIn = await startOpenAIStandIn(HF_BASE);
  app = await startTestApp({ playgroundRateLimitPerMinute: 40 });
  // One request at a time to each backend, eight waiting per organization: the fairness tests need a queue.
  Object.assign(app.services.config.inference, { concurrency: 1, queuePerOrg: 8, openaiCompatible: { url: standIn.url, apiKey: null } });
  const { jobId, session: engineer } = await trainTinyJob(app, { validationFollows: false, name: "fair advisor" });
  const [qa, owner] = await Promise.all([app.login("qa"), app.login("owner")]);
  const key = (await app.gql(`mutation{ createApiKey(name:"app", scopes:[READ]){ key } }`, {}, engineer)).data.createApiKey.key;
  const demoOrg = await app.services.db.organization.findFirstOrThrow({ where: { slug: "demo" } });
  demo = { orgId: demoOrg.id, jobId, engineer, owner, qa, key, versionId: "" };
  const { versionId, deployed } = await deploy(jobId, "fair-advisor");
  expect(deployed.__typename).toBe("DeployModelVersionSuccess");
  demo.versionId = versionId;

  const rivalEngineer = await createOtherOrganization(app);
  const rivalOrg = await app.services.db.organization.findFirstOrThrow({ where: { name: "Rival Corp" } });
  rival = { orgId: rivalOrg.id, engineer: rivalEngineer, jobId: await copyJob(jobId, rivalOrg.id) };

  const hfJobId = await copyJob(jobId, demo.orgId, HF_BASE);
  const hfVersion = await deploy(hfJobId, "hf-advisor");
  expect(hfVersion.deployed.__typename).toBe("DeployModelVersionSuccess");
  const weights = await app.services.db.artifact.findFirstOrThrow({ where: { jobId: hfJobId, kind: "adapter_model" } });
  hf = { jobId: hfJobId, versionId: hfVersion.versionId, adapterName: `tuneloop-${weights.id}` };
}, 300_000);
afterAll(async () => {
  await app?.stop();
  await standIn?.stop();
});

// Generous time: the floods run dozens of generations one at a time on a shared machine.
describe(`the engine's serving process, behind the server's fair queue (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, {
  timeout: 180_000,
}, () => {
  it("answers the deployed endpoint in OpenAI's chat-completion shape, and streams the same answer as server-sent events", async () => {
    const body = { messages: [{ role: "user", content: "Should I pay off debt first?" }], max_tokens: 12 };
    const whole = await post(PATH, body);
    expect(whole.status).toBe(200);
    const answer = await whole.json();
    expect(answer).toMatchObject({
      object: "chat.completion",
      model: "demo/fair-advisor/1.0.0",
      choices: [{ index: 0, message: { role: "assistant" } }],
    });
    expect(answer.usage.completion_tokens).toBeGreaterThan(0);

    const streamed = await post(PATH, { ...body, stream: true });
    expect(streamed.headers.get("content-type")).toBe("text/event-stream");
    const data = await events(streamed);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id)).toBe(true);
    // Greedy decoding: the pieces make up the same answer, token by token.
    const text = chunks.flatMap((c) => c.choices.map((choice: any) => choice.delta.content ?? "")).join("");
    expect(text).toBe(answer.choices[0].message.content);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe(answer.choices[0].finish_reason);
    expect(chunks.at(-1).usage).toEqual(answer.usage);
  });

  // Depends on how fast the flood's requests reach the queue on a loaded machine: retried; first come,
  // first served would still fail every try.
  it("serves another organization's completion next, not behind a playground flood (round robin between organizations)", {
    retry: 2,
  }, async () => {
    const finished: string[] = [];
    const rivalCalls = flood(4).map((call) => call.then((r) => (finished.push("rival"), r)));
    // Four calls, two generations each: one runs, the others wait.
    await until(() => queue().queued(rival.orgId) >= 6, "the flood to queue");
    const response = await complete();
    finished.push("demo");
    expect(response.status).toBe(200);
    const rivals = await Promise.all(rivalCalls);
    expect(rivals.every((r) => r.errors === undefined)).toBe(true);
    // First come, first served would answer all four playground calls (eight generations) first: demo last (4).
    // Round robin serves it next once it is queued; on a loaded machine one more of the flood may finish while
    // the demo's request is still being authenticated, before it reaches the queue.
    expect(finished.indexOf("demo")).toBeLessThanOrEqual(2);
  });

  it("refuses work beyond an organization's queue: BUSY in GraphQL, 503 with Retry-After from the endpoint", async () => {
    // Ten playground calls want twenty generations; the queue holds eight of the rival's.
    const results = await Promise.all(flood(10, 16));
    const codes = results.map((r) => r.errors?.[0].extensions.code ?? "OK");
    expect(codes).toContain("BUSY");
    expect(codes).toContain("OK");
    expect(codes.every((c) => c === "BUSY" || c === "OK")).toBe(true);

    // The rival keeps the backend busy; twelve completions at once overflow the demo organization's queue.
    const rivalCalls = flood(4);
    await until(() => queue().queued(rival.orgId) >= 6, "the flood to queue");
    const responses = await Promise.all(Array.from({ length: 12 }, () => complete()));
    const busy = responses.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 503 || r.status === 200)).toBe(true);
    expect(Number(busy[0].headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await busy[0].json()).error).toMatchObject({ code: "BUSY" });
    await Promise.all(rivalCalls);
  });

  it("drops the queued generation of a client that goes away", async () => {
    await app.services.usage.flush();
    const before = (await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: demo.versionId } })).requestCount;
    const rivalCalls = flood(3);
    await until(() => queue().queued(rival.orgId) >= 4, "the flood to queue");
    const client = new AbortController();
    const request = complete(client.signal).catch((error) => error);
    await until(() => queue().queued(demo.orgId) === 1, "the completion to queue");
    client.abort();
    await until(() => queue().queued(demo.orgId) === 0, "the completion to leave the queue", 5000);
    expect((await request).name).toBe("AbortError");
    await Promise.all(rivalCalls);
    // It was never generated, so never counted.
    await app.services.usage.flush();
    expect((await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: demo.versionId } })).requestCount).toBe(before);
  });

  it("limits each user's playground prompts a minute", async () => {
    const qa = await app.login("qa");
    const play = (token: string) => app.gql(PLAY, { j: "no-such-job", p: "hi", n: 4 }, token);
    // Each call counts, even one refused for its input: the limit is on calls.
    for (let i = 0; i < 40; i++) expect((await play(qa)).errors?.[0].extensions.code).toBe("NOT_FOUND");
    const limited = await play(qa);
    expect(limited.errors?.[0]).toMatchObject({
      extensions: { code: "RATE_LIMITED" },
      message: expect.stringContaining("40 playground prompts a minute"),
    });
    // Another user has a budget of their own.
    expect((await play(demo.engineer)).errors?.[0].extensions.code).toBe("NOT_FOUND");
  });
});

describe("an OpenAI-compatible backend (vLLM's shapes)", () => {
  it("loaded the version's adapter at deploy, and proxies the endpoint and the playground to it by name", async () => {
    const loads = standIn.requests.filter((r) => r.path === "/v1/load_lora_adapter");
    expect(loads).toHaveLength(1);
    expect(loads[0].body.lora_name).toBe(hf.adapterName);
    expect(standIn.adapters.get(hf.adapterName)).toBe(loads[0].body.lora_path);

    const response = await post(HF_PATH, { prompt: "What is an index fund?", max_tokens: 32, temperature: 0.5, top_k: 40, seed: 7 });
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer.choices[0].message.content).toBe(standInReply(hf.adapterName, "What is an index fund?"));
    expect(answer.usage).toMatchObject({ completion_tokens: 7 });
    const sent = standIn.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body;
    expect(sent).toMatchObject({
      model: hf.adapterName,
      max_tokens: 32,
      temperature: 0.5,
      top_k: 40,
      seed: 7,
      messages: [{ role: "user", content: "What is an index fund?" }],
    });

    // The playground's base answer comes from the base model, by its hub id.
    const play = await app.gql(PLAY, { j: hf.jobId, p: "Hello there", n: 16 }, demo.engineer);
    expect(play.data.playground).toEqual({
      base: { text: standInReply(HF_BASE, "Hello there") },
      adapted: { text: standInReply(hf.adapterName, "Hello there") },
    });
  });

  it("relays the backend's stream as OpenAI's server-sent events", async () => {
    const response = await post(HF_PATH, { prompt: "Stream this please", stream: true });
    const data = await events(response);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const text = chunks.flatMap((c) => c.choices.map((choice: any) => choice.delta.content ?? "")).join("");
    expect(text).toBe(standInReply(hf.adapterName, "Stream this please"));
    expect(chunks.at(-1).usage).toMatchObject({ completion_tokens: 5 });
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
  });

  it("loads the adapter again when the backend has lost it (a restart), and answers", async () => {
    standIn.restart();
    const response = await post(HF_PATH, { prompt: "Still there?" });
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toBe(standInReply(hf.adapterName, "Still there?"));
    expect(standIn.adapters.has(hf.adapterName)).toBe(true);
  });

  it("answers 503 with the backend's Retry-After when it is saturated, and 503 when it does not answer in time", async () => {
    standIn.saturate(7);
    try {
      const busy = await post(HF_PATH, { prompt: "Hi" });
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("7");
      expect((await busy.json()).error).toMatchObject({ code: "BUSY" });
    } finally {
      standIn.saturate(null);
    }
    standIn.delay(2000);
    app.services.config.inference.timeoutSeconds = 0.2;
    try {
      const late = await post(HF_PATH, { prompt: "Hi" });
      expect(late.status).toBe(503);
      expect((await late.json()).error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("no answer within 0.2 s") });
    } finally {
      standIn.delay(0);
      app.services.config.inference.timeoutSeconds = 120;
    }
  });

  it("refuses to deploy an adapter whose base model the backend does not serve, before anything changes", async () => {
    const otherJob = await copyJob(demo.jobId, demo.orgId, "mistralai/Mistral-7B-Instruct-v0.3");
    const loadsBefore = standIn.requests.filter((r) => r.path === "/v1/load_lora_adapter").length;
    const { versionId, deployed } = await deploy(otherJob, "mistral-advisor");
    expect(deployed).toMatchObject({
      __typename: "AppError",
      code: "VALIDATION",
      field: "baseModel",
      message: expect.stringContaining(HF_BASE),
    });
    expect((await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: versionId } })).status).toBe("APPROVED");
    expect(standIn.requests.filter((r) => r.path === "/v1/load_lora_adapter")).toHaveLength(loadsBefore);
  });

  it("unloads the adapter when the version is retired", async () => {
    const retired = await app.gql(`mutation($id:ID!){ retireModelVersion(id:$id){ __typename } }`, { id: hf.versionId }, demo.owner);
    expect(result(retired).__typename).toBe("RetireModelVersionSuccess");
    expect(standIn.requests.at(-1)).toMatchObject({ path: "/v1/unload_lora_adapter", body: { lora_name: hf.adapterName } });
    expect(standIn.adapters.size).toBe(0);
    expect((await post(HF_PATH, { prompt: "Hi" })).status).toBe(404);
  });

  it("answers 503 with a clear body when the backend is down; the version stays deployed and an alert is raised", async () => {
    const again = await copyJob(demo.jobId, demo.orgId, HF_BASE);
    const { versionId, deployed } = await deploy(again, "hf-advisor");
    expect(deployed.__typename).toBe("DeployModelVersionSuccess");
    await standIn.stop();
    const down = await post(HF_PATH, { prompt: "Anyone?" });
    expect(down.status).toBe(503);
    expect((await down.json()).error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("is unavailable") });
    expect((await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: versionId } })).status).toBe("DEPLOYED");
    const alert = await app.services.db.alert.findFirstOrThrow({ where: { orgId: demo.orgId, type: "MODEL_SERVING_DOWN" } });
    expect(alert.message).toContain("hf-advisor");
  });
});

describe("deployed endpoint input and keys", () => {
  it("answers a JSON null or non-object body with a typed 400", async () => {
    for (const body of ["null", "[]", "42", '"text"']) {
      const response = await fetch(`${app.url}${PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${demo.key}` },
        body,
      });
      expect(response.status, body).toBe(400);
      expect((await response.json()).error, body).toMatchObject({ code: "VALIDATION", field: "body" });
    }
  });

  it("counts the rate limit per key, however the Authorization header is spelled", async () => {
    const key = (await app.gql(`mutation{ createApiKey(name:"spelling", scopes:[READ]){ key } }`, {}, demo.engineer)).data.createApiKey.key;
    const spellings = [`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer   ${key}`];
    const remaining: string[] = [];
    for (const authorization of spellings) {
      const response = await fetch(`${app.url}${PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: "{}",
      });
      expect(response.status).toBe(400);
      remaining.push(response.headers.get("ratelimit-remaining")!);
    }
    const limit = app.services.config.modelRateLimitPerMinute;
    expect(remaining).toEqual([limit - 1, limit - 2, limit - 3, limit - 4].map(String));
  });

  it("refuses a key right after it is revoked, though the endpoint keeps it in memory", async () => {
    const created = (await app.gql(`mutation{ createApiKey(name:"revoked soon", scopes:[READ]){ key apiKey { id } } }`, {}, demo.engineer))
      .data.createApiKey;
    // An empty body is refused (400) only after the key is accepted.
    const status = async () =>
      (
        await fetch(`${app.url}${PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${created.key}` },
          body: "{}",
        })
      ).status;
    expect(await status()).toBe(400);
    // Kept in memory: a revocation written behind the server's back is not read on each request...
    await app.services.db.apiKey.update({ where: { id: created.apiKey.id }, data: { revokedAt: new Date() } });
    expect(await status()).toBe(400);
    // ...but the revokeApiKey mutation announces it, and the next request is refused.
    const revoked = await app.gql(`mutation($id:ID!){ revokeApiKey(id:$id){ __typename } }`, { id: created.apiKey.id }, demo.engineer);
    expect(result(revoked).__typename).toBe("RevokeApiKeySuccess");
    expect(await status()).toBe(401);
  });

  it("counts completions off the request path: the counts arrive with the next flush, and with the app's stop", async () => {
    const counted = async () => {
      const { requestCount, lastRequestAt } = await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: demo.versionId } });
      return { requestCount, lastRequestAt };
    };
    await app.services.usage.flush();
    const before = await counted();
    for (let i = 0; i < 2; i++) expect((await post(PATH, { prompt: "Count me", max_tokens: 2 })).status).toBe(200);
    const streamed = await post(PATH, { prompt: "Count me too", max_tokens: 2, stream: true });
    expect((await events(streamed)).at(-1)).toBe("[DONE]");
    await app.services.usage.flush();
    const after = await counted();
    expect(after.requestCount).toBe(before.requestCount + 3);
    expect(after.lastRequestAt!.getTime()).toBeGreaterThan(before.lastRequestAt?.getTime() ?? 0);

    // Stopping writes what is still counted in memory (a counter of its own, as an app's is).
    const counter = new UsageCounter(app.services.db);
    for (let i = 0; i < 5; i++) counter.count(demo.versionId);
    await counter.close();
    expect((await counted()).requestCount).toBe(after.requestCount + 5);
  });
});
