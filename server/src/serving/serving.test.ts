import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, usingPostgres, type TestApp } from "../testing/harness.js";
import { createOtherOrganization } from "../testing/fixtures.js";
import { trainTinyJob } from "../validation/testKit.js";
import { engineFor } from "./engineHost.js";

// Fairness of the shared serving engine: one organization flooding the
// playground cannot hold back another organization's deployed model.

const PATH = "/api/v1/models/demo/fair-advisor/latest";
const PLAY = `query($j:ID!,$p:String!,$n:Int){ playground(jobId:$j, prompt:$p, options:{maxNewTokens:$n}){ adapted { text } } }`;

let app: TestApp;
let demo: { orgId: string; jobId: string; engineer: string; key: string; versionId: string };
let rival: { orgId: string; jobId: string; engineer: string };

/** The rival organization gets its own copy of the trained job (same adapter files), so that both can run the same model. */
async function copyJobTo(jobId: string, orgId: string) {
  const db = app.services.db;
  const { id: _id, orgId: _org, createdById: _by, createdAt: _c, updatedAt: _u, projectId: _p, retryOfId: _r, config, ...job } = await db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
  const user = await db.user.findFirstOrThrow({ where: { orgId } });
  const copy = await db.trainingJob.create({ data: { ...job, config: config as object, orgId, createdById: user.id } });
  for (const { id: _a, jobId: _j, createdAt: _t, ...artifact } of await db.artifact.findMany({ where: { jobId, kind: { in: ["adapter_model", "adapter_config"] } } })) {
    await db.artifact.create({ data: { ...artifact, jobId: copy.id } });
  }
  return copy.id;
}

const serving = () => engineFor(app.services.config, "serving");

async function until(check: () => boolean, what: string, timeoutMs = 60_000) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const complete = (key: string, signal?: AbortSignal) =>
  fetch(`${app.url}${PATH}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ prompt: "How big should my emergency fund be?", max_tokens: 8 }), signal });

/** `count` separate playground calls of the rival, each two long generations. */
const flood = (count: number, maxNewTokens = 128) =>
  Array.from({ length: count }, () => app.gql(PLAY, { j: rival.jobId, p: "Tell me everything about budgets.", n: maxNewTokens }, rival.engineer));

beforeAll(async () => {
  app = await startTestApp({ engineQueuePerOrg: 8, playgroundRateLimitPerMinute: 40 });
  const { jobId, session: engineer } = await trainTinyJob(app, { validationFollows: false, name: "fair advisor" });
  const [qa, owner] = await Promise.all([app.login("qa"), app.login("owner")]);
  const result = (r: any) => Object.values(r.data)[0] as any;
  const version = result(await app.gql(`mutation($j:ID!){ registerModelVersion(input:{jobId:$j, name:"fair-advisor"}){ ... on RegisterModelVersionSuccess { data { id } } } }`, { j: jobId }, engineer)).data;
  await app.gql(`mutation($id:ID!){ approveModelVersion(id:$id){ __typename } }`, { id: version.id }, qa);
  // Not validated: the owner deploys it over the perplexity gate.
  expect(result(await app.gql(`mutation($id:ID!){ deployModelVersion(id:$id, overrideReason:"fairness test"){ __typename } }`, { id: version.id }, owner)).__typename).toBe("DeployModelVersionSuccess");
  const key = (await app.gql(`mutation{ createApiKey(name:"app", scopes:[READ]){ key } }`, {}, engineer)).data.createApiKey.key;
  const demoOrg = await app.services.db.organization.findFirstOrThrow({ where: { slug: "demo" } });
  demo = { orgId: demoOrg.id, jobId, engineer, key, versionId: version.id };

  const rivalEngineer = await createOtherOrganization(app);
  const rivalOrg = await app.services.db.organization.findFirstOrThrow({ where: { name: "Rival Corp" } });
  rival = { orgId: rivalOrg.id, engineer: rivalEngineer, jobId: await copyJobTo(jobId, rivalOrg.id) };
}, 300_000);
afterAll(() => app?.stop());

describe(`engine fairness (${usingPostgres() ? "PostgreSQL" : "SQLite"})`, () => {
  it("serves another organization's completion next, not behind a playground flood (round robin between organizations)", async () => {
    const finished: string[] = [];
    const rivalCalls = flood(4).map((call) => call.then((r) => (finished.push("rival"), r)));
    // Four calls, two generations each: one runs, the others wait.
    await until(() => serving().queued(rival.orgId) >= 6, "the flood to queue");
    const response = await complete(demo.key);
    finished.push("demo");
    expect(response.status).toBe(200);
    const rivals = await Promise.all(rivalCalls);
    expect(rivals.every((r) => r.errors === undefined)).toBe(true);
    // First come, first served would answer all four playground calls (eight generations) first.
    expect(finished.indexOf("demo")).toBeLessThanOrEqual(1);
  });

  it("refuses work beyond an organization's queue: BUSY in GraphQL, 503 with Retry-After from the endpoint", async () => {
    // Ten playground calls want twenty generations; the queue holds eight of the rival's.
    const results = await Promise.all(flood(10, 32));
    const codes = results.map((r) => r.errors?.[0].extensions.code ?? "OK");
    expect(codes).toContain("BUSY");
    expect(codes).toContain("OK");
    expect(codes.every((c) => c === "BUSY" || c === "OK")).toBe(true);

    // The rival keeps the engine busy; twelve completions at once overflow the demo organization's queue.
    const rivalCalls = flood(4);
    await until(() => serving().queued(rival.orgId) >= 6, "the flood to queue");
    const responses = await Promise.all(Array.from({ length: 12 }, () => complete(demo.key)));
    const busy = responses.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 503 || r.status === 200)).toBe(true);
    expect(Number(busy[0].headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await busy[0].json()).error).toMatchObject({ code: "BUSY" });
    await Promise.all(rivalCalls);
  });

  it("drops the queued generation of a client that goes away", async () => {
    const before = (await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: demo.versionId } })).requestCount;
    const rivalCalls = flood(3);
    await until(() => serving().queued(rival.orgId) >= 4, "the flood to queue");
    const client = new AbortController();
    const request = complete(demo.key, client.signal).catch((error) => error);
    await until(() => serving().queued(demo.orgId) === 1, "the completion to queue");
    client.abort();
    await until(() => serving().queued(demo.orgId) === 0, "the completion to leave the queue", 5000);
    expect((await request).name).toBe("AbortError");
    await Promise.all(rivalCalls);
    // It was never generated, so never counted.
    expect((await app.services.db.modelVersion.findUniqueOrThrow({ where: { id: demo.versionId } })).requestCount).toBe(before);
  });

  it("stops an engine task that runs past its time limit, and serves the next one", async () => {
    app.services.config.engineTaskTimeoutSeconds = 0.001;
    try {
      const late = await app.gql(PLAY, { j: demo.jobId, p: "Hello", n: 64 }, demo.engineer);
      expect(late.errors?.[0]).toMatchObject({ extensions: { code: "BUSY" }, message: expect.stringContaining("ran longer than") });
    } finally {
      app.services.config.engineTaskTimeoutSeconds = 120;
    }
    expect((await complete(demo.key)).status).toBe(200);
  });

  it("limits each user's playground prompts a minute", async () => {
    const qa = await app.login("qa");
    const play = (token: string) => app.gql(PLAY, { j: "no-such-job", p: "hi", n: 4 }, token);
    // Each call counts, even one refused for its input: the limit is on calls.
    for (let i = 0; i < 40; i++) expect((await play(qa)).errors?.[0].extensions.code).toBe("NOT_FOUND");
    const limited = await play(qa);
    expect(limited.errors?.[0]).toMatchObject({ extensions: { code: "RATE_LIMITED" }, message: expect.stringContaining("40 playground prompts a minute") });
    // Another user has a budget of their own.
    expect((await play(demo.engineer)).errors?.[0].extensions.code).toBe("NOT_FOUND");
  });
});

describe("deployed endpoint input and keys", () => {
  it("answers a JSON null or non-object body with a typed 400", async () => {
    for (const body of ["null", "[]", "42", '"text"']) {
      const response = await fetch(`${app.url}${PATH}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${demo.key}` }, body });
      expect(response.status, body).toBe(400);
      expect((await response.json()).error, body).toMatchObject({ code: "VALIDATION", field: "body" });
    }
  });

  it("counts the rate limit per key, however the Authorization header is spelled", async () => {
    const key = (await app.gql(`mutation{ createApiKey(name:"spelling", scopes:[READ]){ key } }`, {}, demo.engineer)).data.createApiKey.key;
    const spellings = [`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer   ${key}`];
    const remaining: string[] = [];
    for (const authorization of spellings) {
      const response = await fetch(`${app.url}${PATH}`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: "{}" });
      expect(response.status).toBe(400);
      remaining.push(response.headers.get("ratelimit-remaining")!);
    }
    const limit = app.services.config.modelRateLimitPerMinute;
    expect(remaining).toEqual([limit - 1, limit - 2, limit - 3, limit - 4].map(String));
  });
});
