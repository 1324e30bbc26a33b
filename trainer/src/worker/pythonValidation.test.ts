// The python worker's validation (trainer/python/tuneloop_worker/evaluation.py and
// validation.py) with torch on the CPU: its unit tests on a tiny model with the
// Hugging Face forward interface, and a python job's validation run against a
// real server — claimed, evaluated task by task, resumed on a second worker
// after the first one died, nothing counted twice. Only the transformers + peft
// loader (hf_evaluation.py) is replaced by the tiny model here; the device check
// (trainer/python/device_check.sh) runs it on a GPU.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIM } from "@tuneloop/testing/workerApi";
import { REPORT } from "@tuneloop/testing/trainerReports";
import { queueTinyJob, startWorkerFixture, type RestartableServer } from "@tuneloop/testing/workerProcesses";

const PYTHON_DIR = resolve(import.meta.dirname, "../../python");
/** Debian's python3-torch is on the system python; TUNELOOP_TORCH_PYTHON names another one. */
const PYTHON = process.env.TUNELOOP_TORCH_PYTHON ?? "/usr/bin/python3";
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function runPython(args: string[], input = "", env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(PYTHON, args, { cwd: PYTHON_DIR, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => done({ code, output }));
    child.stdin.end(input);
  });
}

// The tiny model as the job's "adapter": its seed in adapter_config.json, its LoRA factors in adapter_model.
const PRELUDE = `
import json, os, sys, torch
sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
from tests.tiny_model import CharTokenizer, TinyLM, sample_generate
from tuneloop_worker import operations as ops
from tuneloop_worker.api import ServerClient, unwrap
args = json.load(sys.stdin)
client = ServerClient(args["url"])

def load_tiny(config, adapter_dir):
    seed = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))["tiny_seed"]
    model = TinyLM(seed=seed)
    factors = torch.load(os.path.join(adapter_dir, "adapter_model.safetensors"))
    model.lora_A.data, model.lora_B.data = factors["lora_A"], factors["lora_B"]
    return model, CharTokenizer(), sample_generate(model)
`;

let server: RestartableServer;
let key: string;
let datasetId: string;
beforeAll(async () => {
  ({ server, key, datasetId } = await startWorkerFixture());
}, 120_000);
afterAll(() => server?.dispose());

describe.skipIf(!hasTorch)("python worker validation (torch on the CPU)", () => {
  it("evaluation.py: batching, masking, adapter on and off, multiple choice, generation, reporting (trainer/python/tests)", async () => {
    const run = await runPython(["-m", "unittest", "discover", "-s", "tests", "-t", "."]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Ran \d+ tests/);
  });

  it("validates a python job task by task; a second worker resumes what a dead one left, and nothing is counted twice", async () => {
    const app = server.asTestApp();
    const owner = await app.login("owner");
    await app.gql(`mutation{ updateQualitySettings(input:{reviewMaxNewTokens:8}){ __typename } }`, {}, owner);
    const jobId = await queueTinyJob(app, datasetId, "python validation", 1, { backend: "python" });
    const claim = (await app.gql(CLAIM, { w: "py-train", b: ["python"], j: jobId }, key)).data.claimTrainingJob.data.claim;

    // "Training": the adapter uploaded with the job's token, then the job completes into VALIDATION.
    const trained = await runPython(
      [
        "-c",
        `${PRELUDE}
work = args["dir"]
model = TinyLM(seed=4)
torch.save({"lora_A": model.lora_A.data * 1.5, "lora_B": model.lora_B.data}, os.path.join(work, "adapter_model.safetensors"))
json.dump({"tiny_seed": 4}, open(os.path.join(work, "adapter_config.json"), "w"))
for kind, name in (("adapter_model", "adapter_model.safetensors"), ("adapter_config", "adapter_config.json")):
    print(unwrap(client.upload(ops.UPLOAD_ARTIFACT, {"jobId": args["jobId"], "kind": kind}, os.path.join(work, name), args["token"])["uploadArtifact"])["id"])
`,
      ],
      JSON.stringify({ url: server.url, jobId, token: claim.trainerToken, dir: mkdtempSync(join(tmpdir(), "py-adapter-")) }),
    );
    expect(trained.code, trained.output).toBe(0);
    let sequence = claim.lastSequence;
    for (const status of ["PREPROCESSING", "MODEL_LOADING", "TRAINING"]) {
      expect(
        (await app.gql(REPORT.status, { j: jobId, s: ++sequence, st: status }, claim.trainerToken)).data.reportTrainingStatus.__typename,
      ).toBe("ReportTrainingStatusSuccess");
    }
    expect(
      (await app.gql(REPORT.complete, { j: jobId, s: ++sequence, v: true }, claim.trainerToken)).data.completeTrainingJob.data.status,
    ).toBe("VALIDATION");

    // Worker A claims the run, reports three tasks (one of them twice, the second time with another value) and dies.
    const first = await runPython(
      [
        "-c",
        `${PRELUDE}
from tuneloop_worker.evaluation import compute
claim = unwrap(client.request(ops.CLAIM_VALIDATION_RUN, {"workerId": "py-a", "gpuTypes": None, "backends": ["python"], "jobId": args["jobId"]}, args["key"])["claimValidationRun"])["claim"]
from tuneloop_worker import evaluation, validation
real_run_tasks = evaluation.run_tasks
def three_then_die(tasks, model, tok, chats, settings, generate, seed, send):
    real_run_tasks(tasks[:3], model, tok, chats, settings, generate, seed, send)
    first = compute(tasks[0], model, tok, chats, settings, generate, seed)
    send(tasks[0]["key"], {**first, "loss": first["loss"] + 1, "perplexity": first["perplexity"] * 2.7})
    print(json.dumps({"firstPerplexity": first["perplexity"]}), flush=True)
    os._exit(0)
evaluation.run_tasks = three_then_die
print(json.dumps({"tasks": len(claim["tasks"])}), flush=True)
validation.validate(client, args["key"], "py-a", claim, args["stateDir"], print, load_tiny)
`,
      ],
      JSON.stringify({ url: server.url, jobId, key, stateDir: mkdtempSync(join(tmpdir(), "py-val-a-")) }),
    );
    expect(first.code, first.output).toBe(0);
    const lines = first.output.trim().split("\n");
    const total = JSON.parse(lines[0]).tasks;
    const { firstPerplexity } = JSON.parse(lines.at(-1)!);
    const runRow = await server.db.validationRun.findFirstOrThrow({ where: { jobId } });
    expect(runRow).toMatchObject({ status: "RUNNING", workerId: "py-a", automaticForJobId: jobId });
    expect(runRow.progress).toBeCloseTo(3 / total, 6);
    const before = await server.db.validationResult.findMany({ where: { runId: runRow.id } });
    expect(before.map((r) => r.workerId)).toEqual(["py-a", "py-a", "py-a"]);

    // Its lease runs out; worker B (the worker loop, nothing to train) takes the run over and does only the rest.
    await server.db.validationRun.update({ where: { id: runRow.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    const second = await runPython(
      [
        "-c",
        `${PRELUDE}
from tuneloop_worker.worker import run_worker
options = {"server": args["url"], "token": args["key"], "worker_id": "py-b", "gpu_types": None, "once": True, "job_id": None, "memory_budget_mb": None,
  "max_duration_seconds": None, "offline_deadline_seconds": 60, "state_dir": args["stateDir"], "metrics_every": 1, "shutdown_grace_seconds": 1,
  "validation_follows": True, "load_model": load_tiny}
sys.exit(run_worker(options))
`,
      ],
      JSON.stringify({ url: server.url, key, stateDir: mkdtempSync(join(tmpdir(), "py-val-b-")) }),
    );
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(`(${total - 3} task(s) to do)`);

    const results = await server.db.validationResult.findMany({ where: { runId: runRow.id } });
    expect(results).toHaveLength(total);
    expect(results.filter((r) => r.workerId === "py-a")).toHaveLength(3);
    const session = await app.login("engineer");
    const job = (
      await app.gql(
        `query($id:ID!){ job(id:$id){ status validationRuns { status progress heldOutConversations perplexityBase perplexityAdapted knowledgeQuestions retentionPct reviewItems { responseA responseB } } } }`,
        { id: jobId },
        session,
      )
    ).data.job;
    expect(job.status).toBe("COMPLETED");
    const run = job.validationRuns[0];
    expect(run).toMatchObject({ status: "COMPLETED", progress: 1, knowledgeQuestions: 100, heldOutConversations: 8 });
    // The first report of perplexity:base counts; the second (another value) changed nothing.
    expect(run.perplexityBase).toBeCloseTo(firstPerplexity, 9);
    expect(run.perplexityAdapted).not.toBe(run.perplexityBase);
    expect(run.reviewItems).toHaveLength(50);

    // The dead worker's late report is refused: the run is no longer its.
    const late = await app.gql(
      `mutation($r:ID!,$k:String!){ reportValidationResult(runId:$r, workerId:"py-a", key:$k, result:{best:[]}){ __typename ... on AppError { code } } }`,
      { r: runRow.id, k: "knowledge:base:0" },
      key,
    );
    expect(late.data.reportValidationResult).toEqual({ __typename: "AppError", code: "CONFLICT" });
  }, 180_000);
});
