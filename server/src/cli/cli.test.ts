import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { trainTinyJob } from "@tuneloop/testing/validation";
import { runCli } from "./main.js";

let app: TestApp;
let jobId: string;
let env: { TUNELOOP_URL: string; TUNELOOP_API_KEY: string };
const dir = mkdtempSync(join(tmpdir(), "tuneloop-cli-"));

beforeAll(async () => {
  app = await startTestApp();
  const job = await trainTinyJob(app, { validationFollows: false, name: "CLI advisor" });
  jobId = job.jobId;
  const key = (await app.gql(`mutation{ createApiKey(name:"cli", scopes:[READ, WRITE]){ key } }`, {}, job.session)).data.createApiKey.key;
  env = { TUNELOOP_URL: app.url, TUNELOOP_API_KEY: key };
  for (const version of ["1.0.0", "1.1.0"]) {
    await app.gql(
      `mutation($j:ID!,$v:String!){ registerModelVersion(input:{jobId:$j, name:"cli-advisor", version:$v, description:"Advisor voice"}){ __typename } }`,
      { j: jobId, v: version },
      job.session,
    );
  }
  // Gates off, so an engineer can deploy from the command line.
  await app.gql(
    `mutation{ updateQualitySettings(input:{gateMinPerplexityImprovementPct:null, gateMinRetentionPct:null, gateRequireApproval:false}){ __typename ... on UpdateQualitySettingsSuccess { data { gateRequireApproval } } } }`,
    {},
    await app.login("owner"),
  );
}, 300_000);
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    env,
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("tuneloop CLI", () => {
  it("lists jobs and models, shows a model and compares versions", async () => {
    const jobs = await cli("jobs", "--status", "completed");
    expect(jobs.code).toBe(0);
    expect(jobs.out).toMatch(new RegExp(`${jobId}\\s+CLI advisor\\s+COMPLETED`));
    expect(JSON.parse((await cli("jobs", "--json")).out).map((j: any) => j.id)).toContain(jobId);
    expect((await cli("models")).out).toMatch(/cli-advisor\s+1\.1\.0\s+REGISTERED\s+2\s+Advisor voice/);
    expect((await cli("model", "cli-advisor")).out).toMatch(/1\.0\.0\s+REGISTERED/);
    const info = await cli("model", "cli-advisor", "1.0.0");
    expect(info.out).toContain("cli-advisor 1.0.0  REGISTERED");
    expect(info.out).toMatch(/registered\s+engineer@demo\.tuneloop\.dev/);
    const compare = await cli("compare", "cli-advisor", "1.0.0", "1.1.0");
    expect(compare.out.split("\n")[0]).toMatch(/1\.0\.0\s+1\.1\.0/);
    expect(compare.out).toContain("perplexity gain");
    expect((await cli("search", "advisor")).out).toMatch(/model\s+cli-advisor/);
  });

  it("deploys a version and exports a job's files", async () => {
    const deployed = await cli("deploy", "cli-advisor", "1.1.0");
    expect(deployed.code).toBe(0);
    expect(deployed.out).toBe(`Deployed cli-advisor 1.1.0: POST ${app.url}/api/v1/models/demo/cli-advisor/1.1.0`);
    const file = join(dir, "adapter.zip");
    const exported = await cli("export", jobId, "--kind", "adapter", "--out", file);
    expect(exported.code).toBe(0);
    expect(readFileSync(file).subarray(0, 2).toString()).toBe("PK");
    expect(await app.services.db.download.count({ where: { artifact: { jobId, kind: "adapter_zip" } } })).toBe(1);
  });

  it("reports typed errors and usage mistakes with a non-zero exit code", async () => {
    expect(await cli("deploy", "cli-advisor", "9.9.9")).toMatchObject({ code: 1, err: expect.stringContaining("NOT_FOUND") });
    expect(await cli("export", jobId, "--kind", "weights")).toMatchObject({ code: 1, err: expect.stringContaining("usage: export") });
    expect(await cli("frobnicate")).toMatchObject({ code: 2, err: expect.stringContaining("Unknown command") });
    const noKey = await runCli(
      ["jobs"],
      { TUNELOOP_URL: app.url },
      () => {},
      (t) => expect(t).toContain("TUNELOOP_API_KEY"),
    );
    expect(noKey).toBe(1);
  });

  it("runs as the workspace's `tuneloop` script", async () => {
    // What `pnpm tuneloop` runs: the root package's script, with the workspace's bin folder on PATH
    // (spawned through a shell, so it works where pnpm itself came from npx and is not on PATH).
    const root = join(import.meta.dirname, "../../..");
    const script = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.tuneloop as string;
    const PATH = `${join(root, "node_modules/.bin")}:${process.env.PATH}`;
    const { stdout } = await promisify(execFile)("sh", ["-c", `${script} models`], { cwd: root, env: { ...process.env, ...env, PATH } });
    expect(stdout).toContain("cli-advisor");
  });
});
