// The GPU path's protocol (trainer/python), run for real against a real server.
// This machine has no torch: the training itself is not exercised here, and a
// python job fails at the point it needs torch — with the error reported like
// any other. With torch installed the same job trains the tiny model on the CPU.
import { execFileSync, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesNeeded } from "../../../shared/memoryModel";
import { CLAIM } from "@tuneloop/testing/workerApi";
import { queueTinyJob, startWorkerFixture, uploadSyntheticDataset, type RestartableServer } from "@tuneloop/testing/workerProcesses";

const PYTHON_DIR = resolve(import.meta.dirname, "../../python");
const hasTorch = (() => {
  try {
    execFileSync("python3", ["-c", "import torch, transformers, peft"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let server: RestartableServer;
let key: string;
let datasetId: string;
beforeAll(async () => {
  ({ server, key, datasetId } = await startWorkerFixture());
}, 120_000);
afterAll(() => server.dispose());

function runPython(args: string[], input?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn("python3", args, { env: { ...process.env, TUNELOOP_WORKER_TOKEN: key }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("exit", (code) => done({ code, output }));
    child.stdin.end(input ?? "");
  });
}

const jobOf = (id: string) => server.db.trainingJob.findUniqueOrThrow({ where: { id } });

describe("python worker (trainer/python)", () => {
  it("claims only python-backend jobs, reports its stages, and reports failures with their class", async () => {
    const app = server.asTestApp();
    const typescriptJob = await queueTinyJob(app, datasetId, "for the TypeScript engine", 2);
    const pythonJob = await queueTinyJob(app, datasetId, "for the GPU path", 2, { backend: "python" });
    const damagedId = await uploadSyntheticDataset(app, "damaged for python");
    const damaged = await server.db.dataset.findUniqueOrThrow({ where: { id: damagedId } });
    const path = join(server.dataDir, "datasets", damaged.storagePath);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[2] = '{"messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "beep"}]}';
    await writeFile(path, lines.join("\n"));
    const pythonBroken = await queueTinyJob(app, damagedId, "damaged, GPU path", 2, { backend: "python" });

    const stateDir = mkdtempSync(join(tmpdir(), "py-worker-"));
    for (let i = 0; i < 2; i++) {
      const run = await runPython([
        join(PYTHON_DIR, "worker.py"),
        "--server",
        server.url,
        "--once",
        "--no-validation",
        "--worker-id",
        "py-1",
        "--state-dir",
        stateDir,
      ]);
      expect(run.code, run.output).toBe(0);
    }
    expect((await jobOf(typescriptJob)).status).toBe("QUEUED");
    const broken = await jobOf(pythonBroken);
    expect(broken).toMatchObject({ status: "FAILED", errorType: "DatasetFormatError" });
    expect(broken.errorMessage).toContain("line 3 (messages[1].role)");
    // The worker's last lines of output travel with the failure, for the error log export.
    const brokenError = await server.db.jobEvent.findFirstOrThrow({ where: { jobId: pythonBroken, type: "error" } });
    expect((brokenError.payload as any).outputLines).toEqual(expect.arrayContaining([expect.stringMatching(/failed: DatasetFormatError/)]));
    const job = await jobOf(pythonJob);
    // Each stage the trainer reported is one status change.
    const statuses = (
      await server.db.jobEvent.findMany({ where: { jobId: pythonJob, type: "status_changed", source: "trainer" }, orderBy: { id: "asc" } })
    )
      .map((e) => (e.payload as any).to)
      .filter((status) => status !== "FAILED");
    if (hasTorch) {
      expect(job.status).toBe("COMPLETED");
    } else {
      expect(job).toMatchObject({ status: "FAILED", errorType: "UnknownError" });
      expect(job.errorMessage).toMatch(/No module named '(torch|transformers|peft)'/);
      expect(statuses).toEqual(["PREPROCESSING"]);
    }
  });

  it("delivers queued reports and checkpoint uploads in order, with the same wire format as the TypeScript worker", async () => {
    const app = server.asTestApp();
    const jobId = await queueTinyJob(app, datasetId, "python queue", 2, { backend: "python" });
    const claim = (await app.gql(CLAIM, { w: "py-queue", b: ["python"], j: jobId }, key)).data.claimTrainingJob.data.claim;
    const stateDir = mkdtempSync(join(tmpdir(), "py-queue-"));
    const script = `
import io, json, os, sys, tarfile, time
sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
from tuneloop_worker.api import ServerClient
from tuneloop_worker.delivery import deliver_to
from tuneloop_worker.report_queue import ReportQueue
args = json.load(sys.stdin)
given = []
q = ReportQueue(args["stateDir"], deliver_to(ServerClient(args["url"])), lambda e, err: given.append(str(err)))
job, token = args["jobId"], args["token"]
q.raise_sequence(job, args["lastSequence"])
q.enqueue(job, token, {"type": "status", "status": "PREPROCESSING", "message": "reading", "totalSteps": None})
q.enqueue(job, token, {"type": "status", "status": "MODEL_LOADING", "message": "loading", "totalSteps": None})
q.enqueue(job, token, {"type": "status", "status": "TRAINING", "message": "training", "totalSteps": 8})
q.enqueue(job, token, {"type": "metrics", "points": [{"name": "train_loss", "step": s, "value": 3.0 - s / 10, "epoch": s / 4, "wallTime": time.time()} for s in (1, 2, 3, 4)]})
archive = q.file_slot("checkpoint-000004.tar.gz")
with tarfile.open(archive, "w:gz") as tar:
    data = json.dumps({"global_step": 4}).encode()
    info = tarfile.TarInfo("trainer_state.json"); info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
q.enqueue(job, token, {"type": "checkpoint", "step": 4, "epoch": 1.0, "trainLoss": 2.6, "valLoss": None, "file": archive})
q.enqueue(job, token, {"type": "interrupted", "step": 4, "reason": "test"})
print(json.dumps({"drained": q.drain(20), "given": given, "archiveGone": not os.path.exists(archive)}))
q.close()
`;
    const run = await runPython(
      ["-c", script],
      JSON.stringify({ stateDir, url: server.url, jobId, token: claim.trainerToken, lastSequence: claim.lastSequence }),
    );
    expect(run.code, run.output).toBe(0);
    expect(JSON.parse(run.output.trim().split("\n").at(-1)!)).toEqual({ drained: true, given: [], archiveGone: true });
    const job = await jobOf(jobId);
    expect(job).toMatchObject({ status: "RECOVERING", totalSteps: 8, currentStep: 4, lastSequence: 5 });
    const checkpoint = await server.db.checkpoint.findFirstOrThrow({ where: { jobId }, include: { artifact: true } });
    expect(checkpoint).toMatchObject({ step: 4, epoch: 1, trainLoss: 2.6 });
    expect(checkpoint.artifact).toMatchObject({ kind: "checkpoint", name: "checkpoint-000004.tar.gz" });
    expect(await server.db.metricPoint.count({ where: { jobId, name: "train_loss" } })).toBe(4);
    // The TypeScript worker reads the same queue files.
    expect(JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")).sequences[jobId]).toBe(5);
  });

  it("reports an out-of-memory failure with the shared memory model, which the server sizes a fitting retry from", async () => {
    const app = server.asTestApp();
    const overrides = {
      batchSize: 16,
      gradientAccumulationSteps: 2,
      maxSeqLength: 1024,
      rank: 16,
      targetModules: ["q_proj", "v_proj"],
      backend: "python",
    };
    const jobId = await queueTinyJob(app, datasetId, "python too big", 1, overrides);
    const claim = (await app.gql(CLAIM, { w: "py-oom", b: ["python"], j: jobId }, key)).data.claimTrainingJob.data.claim;
    // Llama 3 8B's shape, loaded in 4-bit on a 24 GB card: the python trainer's own estimate refuses it.
    const script = `
import json, sys, types
sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})
from tuneloop_worker.api import ServerClient
from tuneloop_worker.delivery import deliver_to
from tuneloop_worker.failures import OutOfMemoryError, describe_failure
from tuneloop_worker.memory import check_memory, memory_profile
from tuneloop_worker.report_queue import ReportQueue
args = json.load(sys.stdin)
llama = types.SimpleNamespace(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, vocab_size=128256)
profile = memory_profile(llama, 2, quantized=True, can_quantize=True)
try:
    check_memory(profile, args["config"], 24 * 2**30, "GPU_MEMORY", "NVIDIA L4")
    sys.exit("expected an OutOfMemoryError")
except OutOfMemoryError as error:
    failure = describe_failure(error)
q = ReportQueue(args["stateDir"], deliver_to(ServerClient(args["url"])), lambda e, err: print(err))
q.raise_sequence(args["jobId"], args["lastSequence"])
q.enqueue(args["jobId"], args["token"], {"type": "error", **failure})
print(json.dumps({"drained": q.drain(20), "failure": failure}))
q.close()
`;
    const input = {
      stateDir: mkdtempSync(join(tmpdir(), "py-oom-")),
      url: server.url,
      jobId,
      token: claim.trainerToken,
      lastSequence: claim.lastSequence,
      config: claim.job.config,
    };
    const run = await runPython(["-c", script], JSON.stringify(input));
    expect(run.code, run.output).toBe(0);
    const { drained, failure } = JSON.parse(run.output.trim().split("\n").at(-1)!);
    expect(drained).toBe(true);
    const memory = failure.facts.memory;
    expect(failure.facts.where).toBe("NVIDIA L4");
    // The python trainer evaluates the same formula as the TypeScript engine and the server.
    expect(memory.requiredBytes).toBeCloseTo(bytesNeeded(memory.profile, { batchSize: 16, seqLength: 1024, rank: 16 }), 0);
    expect(memory.requiredBytes).toBeGreaterThan(memory.availableBytes);

    const session = await app.login("engineer");
    const guidance = (
      await app.gql(
        `query($id:ID!){ job(id:$id){ status failureGuidance { explanation suggestedChanges { field from to } } } }`,
        { id: jobId },
        session,
      )
    ).data.job;
    expect(guidance.status).toBe("FAILED");
    const change = Object.fromEntries(guidance.failureGuidance.suggestedChanges.map((c: { field: string; to: number }) => [c.field, c.to]));
    // The effective batch of 32 stays; the micro-batch the server offers fits by the trainer's own model.
    expect(change.batchSize * change.gradientAccumulationSteps).toBe(32);
    expect(bytesNeeded(memory.profile, { batchSize: change.batchSize, seqLength: 1024, rank: 16 })).toBeLessThanOrEqual(
      memory.availableBytes,
    );
    expect(bytesNeeded(memory.profile, { batchSize: change.batchSize * 2, seqLength: 1024, rank: 16 })).toBeGreaterThan(
      memory.availableBytes,
    );
    expect(guidance.failureGuidance.explanation).toContain("but the NVIDIA L4 has 24.0 GB");
  });
});
