import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createOtherOrganization, viewerOf } from "@tuneloop/testing/fixtures";
import { createWorkerKey } from "@tuneloop/testing/workerApi";
import { trainTinyJob, waitForValidation } from "@tuneloop/testing/validation";
import { registerModelVersion } from "./service.js";

const VERSION = `id version status benchmarks { perplexityImprovementPct retentionPct } gates { gate passed message } endpoint requestCount
  events { action fromStatus toStatus reason actor { email } payload }`;
const result = (name: string) => `__typename ... on AppError { code message field } ... on ${name} { data { ${VERSION} } }`;
const REGISTER = `mutation($i:RegisterModelVersionInput!){ registerModelVersion(input:$i){ ${result("RegisterModelVersionSuccess")} } }`;
const APPROVE = `mutation($id:ID!,$r:String){ approveModelVersion(id:$id, reason:$r){ ${result("ApproveModelVersionSuccess")} } }`;
const REJECT = `mutation($id:ID!,$r:String!){ rejectModelVersion(id:$id, reason:$r){ ${result("RejectModelVersionSuccess")} } }`;
const DEPLOY = `mutation($id:ID!,$o:String){ deployModelVersion(id:$id, overrideReason:$o){ ${result("DeployModelVersionSuccess")} } }`;
const RETIRE = `mutation($id:ID!){ retireModelVersion(id:$id){ ${result("RetireModelVersionSuccess")} } }`;
const SETTINGS = `mutation($i:QualitySettingsInput!){ updateQualitySettings(input:$i){ __typename ... on AppError { code message field } ... on UpdateQualitySettingsSuccess { data { gateMinPerplexityImprovementPct gateMinRetentionPct } } } }`;

let app: TestApp;
let jobId: string;
let engineer: string;
let qa: string;
let owner: string;

beforeAll(async () => {
  app = await startTestApp({ modelRateLimitPerMinute: 5 });
  ({ jobId, session: engineer } = await trainTinyJob(app, { validationFollows: false }));
  [qa, owner] = await Promise.all([app.login("qa"), app.login("owner")]);
}, 300_000);
afterAll(() => app?.stop());

const data = (r: any) => Object.values(r.data ?? {})[0] as any;

describe("model registry", () => {
  let v1: any;
  let v2: any;

  it("registers a completed job's adapter under a unique name with semantic versions", async () => {
    v1 = data(await app.gql(REGISTER, { i: { jobId, name: "advisor-voice", description: "Warm, direct advisor" } }, engineer)).data;
    expect(v1).toMatchObject({ version: "1.0.0", status: "REGISTERED", endpoint: null, benchmarks: { perplexityImprovementPct: null } });
    expect(v1.events).toEqual([
      expect.objectContaining({ action: "registered", toStatus: "REGISTERED", actor: { email: "engineer@demo.tuneloop.dev" } }),
    ]);
    v2 = data(await app.gql(REGISTER, { i: { jobId, name: "advisor-voice" } }, engineer)).data;
    expect(v2.version).toBe("1.1.0");
    expect(data(await app.gql(REGISTER, { i: { jobId, name: "advisor-voice", version: "1.0.0" } }, engineer))).toMatchObject({
      code: "CONFLICT",
      field: "version",
    });
    expect(data(await app.gql(REGISTER, { i: { jobId, name: "advisor-voice", version: "1.0" } }, engineer))).toMatchObject({
      code: "VALIDATION",
      field: "version",
    });
    expect(data(await app.gql(REGISTER, { i: { jobId, name: "Advisor Voice!" } }, engineer))).toMatchObject({
      code: "VALIDATION",
      field: "name",
    });
    expect((await app.gql(REGISTER, { i: { jobId, name: "qa-model" } }, qa)).errors?.[0].extensions.code).toBe("FORBIDDEN");
    const models = await app.gql(`{ models(search:"advisor"){ name versions { version } } }`, {}, engineer);
    expect(models.data.models).toEqual([{ name: "advisor-voice", versions: [{ version: "1.1.0" }, { version: "1.0.0" }] }]);
  });

  it("blocks deploying a version that fails the quality gates", async () => {
    const blocked = data(await app.gql(DEPLOY, { id: v1.id }, engineer));
    expect(blocked).toMatchObject({ code: "QUALITY_GATE_FAILED", field: "versionId" });
    expect(blocked.message).toMatch(/Perplexity improvement: not measured/);
    expect(blocked.message).toMatch(/Not approved by QA/);
  });

  it("takes validation results as benchmarks and records approvals and rejections with reasons", async () => {
    await app.gql(
      `mutation($j:ID!){ runValidation(jobId:$j, options:{questionCount:8, scenarioCount:1, maxNewTokens:4}){ __typename } }`,
      { j: jobId },
      engineer,
    );
    const run = await waitForValidation(app, jobId);
    const approved = data(await app.gql(APPROVE, { id: v1.id, r: "Voice checked on 20 prompts" }, qa)).data;
    expect(approved.status).toBe("APPROVED");
    expect(approved.events.at(-1)).toMatchObject({
      action: "approved",
      fromStatus: "REGISTERED",
      toStatus: "APPROVED",
      reason: "Voice checked on 20 prompts",
      actor: { email: "qa@demo.tuneloop.dev" },
    });
    const gates = Object.fromEntries(approved.gates.map((g: any) => [g.gate, g.passed]));
    expect(gates).toEqual({
      perplexity_improvement: run.perplexityImprovementPct! >= 30,
      knowledge_retention: run.retentionPct! >= 95,
      qa_approval: true,
    });

    expect(data(await app.gql(REJECT, { id: v2.id, r: "  " }, qa))).toMatchObject({ code: "VALIDATION", field: "reason" });
    expect((await app.gql(APPROVE, { id: v2.id }, engineer)).errors?.[0].extensions.code).toBe("FORBIDDEN");
    const rejected = data(await app.gql(REJECT, { id: v2.id, r: "Too formal" }, qa)).data;
    expect(rejected.status).toBe("REJECTED");
    expect(data(await app.gql(DEPLOY, { id: v2.id, o: "ship it" }, owner))).toMatchObject({ code: "INVALID_TRANSITION" });
  });

  it("lets only an owner override a failed gate, with a reason, and records it", async () => {
    // An impossible threshold, so the gate fails whatever this tiny model measured.
    expect((await app.gql(SETTINGS, { i: { gateMinPerplexityImprovementPct: 999 } }, engineer)).errors?.[0].extensions.code).toBe(
      "FORBIDDEN",
    );
    expect(data(await app.gql(SETTINGS, { i: { gateMinPerplexityImprovementPct: 999, gateMinRetentionPct: null } }, owner)).data).toEqual({
      gateMinPerplexityImprovementPct: 999,
      gateMinRetentionPct: null,
    });
    expect(data(await app.gql(SETTINGS, { i: { retentionAlertPct: null } }, owner))).toMatchObject({
      code: "VALIDATION",
      field: "retentionAlertPct",
    });
    expect(data(await app.gql(DEPLOY, { id: v1.id, o: "client deadline" }, engineer))).toMatchObject({
      code: "FORBIDDEN",
      field: "override",
    });
    expect(data(await app.gql(DEPLOY, { id: v1.id, o: " " }, owner))).toMatchObject({ code: "VALIDATION", field: "override.reason" });
    const deployed = data(await app.gql(DEPLOY, { id: v1.id, o: "Client accepted the measured improvement" }, owner)).data;
    expect(deployed.status).toBe("DEPLOYED");
    expect(deployed.endpoint).toBe(`${app.url}/api/v1/models/demo/advisor-voice/1.0.0`);
    const event = deployed.events.at(-1);
    expect(event).toMatchObject({
      action: "deployed_with_override",
      fromStatus: "APPROVED",
      toStatus: "DEPLOYED",
      reason: "Client accepted the measured improvement",
      actor: { email: "owner@demo.tuneloop.dev" },
    });
    expect(event.payload.overridden).toEqual(["perplexity_improvement"]);
  });

  it("deploys without an override when every gate passes", async () => {
    await app.gql(SETTINGS, { i: { gateMinPerplexityImprovementPct: -100, gateMinRetentionPct: 0 } }, owner);
    const v3 = data(await app.gql(REGISTER, { i: { jobId, name: "advisor-voice", version: "2.0.0" } }, engineer)).data;
    expect(data(await app.gql(DEPLOY, { id: v3.id }, engineer))).toMatchObject({ code: "QUALITY_GATE_FAILED" }); // not approved yet
    await app.gql(APPROVE, { id: v3.id }, qa);
    const deployed = data(await app.gql(DEPLOY, { id: v3.id }, engineer)).data;
    expect(deployed.status).toBe("DEPLOYED");
    expect(deployed.gates.every((g: any) => g.passed)).toBe(true);
    expect(deployed.events.map((e: any) => e.action)).toEqual(["registered", "approved", "deployed"]);
    expect(data(await app.gql(RETIRE, { id: v3.id }, engineer)).data.status).toBe("RETIRED");
  });

  it("compares versions side by side", async () => {
    const r = await app.gql(
      `query($ids:[ID!]!){ compareModelVersions(ids:$ids){ version status benchmarks { perplexityImprovementPct } } }`,
      { ids: [v2.id, v1.id] },
      engineer,
    );
    expect(r.data.compareModelVersions.map((v: any) => [v.version, v.status])).toEqual([
      ["1.1.0", "REJECTED"],
      ["1.0.0", "DEPLOYED"],
    ]);
  });

  it("registers a version once when registrations race for it: the others get CONFLICT", async () => {
    // Called side by side (HTTP requests reach the check one after another), so both race on the unique constraints.
    const viewer = await viewerOf(app.services.db, "engineer@demo.tuneloop.dev");
    const settled = await Promise.allSettled(
      Array.from({ length: 4 }, () => registerModelVersion(app.services, viewer, { jobId, name: "raced-model", version: "2.0.0" })),
    );
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    for (const refused of settled.filter((s) => s.status === "rejected")) {
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT", field: "version" });
    }
    expect(await app.services.db.modelVersion.count({ where: { model: { name: "raced-model" } } })).toBe(1);
  });
});

describe("deployed endpoint", () => {
  const post = (path: string, body: unknown, key?: string) =>
    fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key && { authorization: `Bearer ${key}` }) },
      body: JSON.stringify(body),
    });
  const PATH = "/api/v1/models/demo/advisor-voice/1.0.0";
  const question = "How big should my emergency fund be?";

  it("serves completions from the deployed adapter (the playground's adapted answer) with an API key", async () => {
    const key = (await app.gql(`mutation{ createApiKey(name:"app", scopes:[READ]){ key } }`, {}, engineer)).data.createApiKey.key;
    const response = await post(PATH, { messages: [{ role: "user", content: question }], max_tokens: 16 }, key);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "demo/advisor-voice/1.0.0",
      choices: [{ index: 0, message: { role: "assistant" } }],
    });
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);

    const play = await app.gql(
      `query($j:ID!,$p:String!){ playground(jobId:$j, prompt:$p, options:{maxNewTokens:16}){ base { text } adapted { text finishReason } } }`,
      { j: jobId, p: question },
      engineer,
    );
    expect(play.errors).toBeUndefined();
    expect(body.choices[0].message.content).toBe(play.data.playground.adapted.text);
    expect(play.data.playground.adapted.text).not.toBe(play.data.playground.base.text);
    // {prompt} is a single user turn: the same answer.
    const fromPrompt = await (await post("/api/v1/models/demo/advisor-voice/latest", { prompt: question, max_tokens: 16 }, key)).json();
    expect(fromPrompt.choices[0].message.content).toBe(body.choices[0].message.content);
    // Counted in memory, written in batches.
    await app.services.usage.flush();
    expect((await app.services.db.modelVersion.findFirstOrThrow({ where: { version: "1.0.0" } })).requestCount).toBe(2);
  });

  it("refuses missing keys, other organizations, bad bodies and versions that are not deployed", async () => {
    const key = (await app.gql(`mutation{ createApiKey(name:"app2", scopes:[READ]){ key } }`, {}, engineer)).data.createApiKey.key;
    expect((await post(PATH, { prompt: "hi" })).status).toBe(401);
    expect((await post(PATH, { prompt: "hi" }, await createWorkerKey(app, ["WORKER"]))).status).toBe(401);
    const rival = await createOtherOrganization(app);
    expect((await post(PATH, { prompt: "hi" }, rival)).status).toBe(404);
    expect((await post("/api/v1/models/demo/advisor-voice/1.1.0", { prompt: "hi" }, key)).status).toBe(404);
    const bad = await post(PATH, { messages: [{ role: "robot", content: "hi" }] }, key);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "VALIDATION", field: "messages.0.role" } });
    expect((await (await post(PATH, { prompt: "hi", max_tokens: 9999 }, key)).json()).error).toMatchObject({
      code: "VALIDATION",
      field: "maxNewTokens",
    });
    expect((await fetch(`${app.url}${PATH}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(405);
  });

  it("limits each key to its completions a minute, with the standard headers", async () => {
    const [key, other] = await Promise.all(
      ["busy app", "quiet app"].map(
        async (name) =>
          (await app.gql(`mutation($n:String!){ createApiKey(name:$n, scopes:[READ]){ key } }`, { n: name }, engineer)).data.createApiKey
            .key,
      ),
    );
    // Cheap requests (refused bodies) count like completions: the limit is on calls.
    for (let i = 0; i < 5; i++) {
      const response = await post(PATH, { prompt: 42 }, key);
      expect(response.status).toBe(400);
      expect(response.headers.get("ratelimit-remaining")).toBe(String(4 - i));
    }
    const limited = await post(PATH, { prompt: "hi", max_tokens: 4 }, key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await limited.json()).error).toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringContaining("5 completion requests a minute"),
    });
    expect((await post(PATH, { prompt: "hi", max_tokens: 4 }, other)).status).toBe(200);
  });

  it("stops serving a retired version", async () => {
    const v = await app.services.db.modelVersion.findFirstOrThrow({ where: { version: "1.0.0" } });
    expect(data(await app.gql(RETIRE, { id: v.id }, engineer)).data.status).toBe("RETIRED");
    const key = (await app.gql(`mutation{ createApiKey(name:"app3", scopes:[READ]){ key } }`, {}, engineer)).data.createApiKey.key;
    expect((await post(PATH, { prompt: "hi" }, key)).status).toBe(404);
  });
});
