"""One claimed job, start to finish: stages, training (hf_training), checkpoints,
adapter files and the final report — all through the report queue. A heartbeat
thread keeps the lease and brings news of a cancellation; SIGTERM is turned
into an interruption at the next step (checkpoint first)."""
import collections
import os
import shutil
import threading
import time

from . import operations as ops
from .api import RefusedError, unwrap
from .dataset import parse_chat_jsonl
from .failures import JobTimeoutError, ServerUnreachableError, describe_failure

OUTPUT_LINES_KEPT = 100  # the server takes at most 200
ADAPTER_FILES = {"adapter_model": "adapter_model.safetensors", "adapter_config": "adapter_config.json", "metrics": "metrics.json"}


class JobRun:
    def __init__(self, client, queue, claim, options, log):
        self.client = client
        self.queue = queue
        self.claim = claim
        self.options = options
        # This job's last lines of output, sent with a failure for the error log a support ticket gets.
        self.output_lines = collections.deque(maxlen=OUTPUT_LINES_KEPT)

        def log_line(line):
            log(line)
            self.output_lines.append(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {line}")

        self.log = log_line
        self.job_id = claim["job"]["id"]
        self.token = claim["trainerToken"]
        self.work_dir = os.path.join(options["state_dir"], "jobs", self.job_id)
        self.stop = None  # interrupt | cancel | lost | timeout | offline
        self.started = time.monotonic()
        self.step = (claim.get("resumeFrom") or {}).get("step", 0)
        self.training_started = None  # (monotonic time, step) of this run's first step: the timeout's step time
        self.total_steps = None
        self.metrics = []
        self.metric_steps = set()
        self.finished = threading.Event()
        config = claim["job"]["config"]
        limits = [s for s in (config.get("maxDurationSeconds"), options.get("max_duration_seconds")) if s]
        self.limit_seconds = min(limits) if limits else None
        queue.raise_sequence(self.job_id, claim["lastSequence"])

    def request_stop(self, reason):
        if self.stop is None or reason == "cancel":
            self.stop = reason

    # Hooks the training calls -------------------------------------------------
    def report(self, report):
        self.queue.enqueue(self.job_id, self.token, report)

    def stage(self, status, message, total_steps=None):
        if total_steps:
            self.total_steps = total_steps
        if status == "TRAINING" and self.training_started is None:
            self.training_started = (time.monotonic(), self.step)
        if status == "FINALIZATION":
            self.flush_metrics()
        self.report({"type": "status", "status": status, "message": message, "totalSteps": self.total_steps})

    def resumed(self, from_step):
        self.report({"type": "resumed", "fromStep": from_step})

    def metrics_points(self, points):
        for p in points:
            self.metrics.append(p)
            self.metric_steps.add(p["step"])
            self.step = max(self.step, p["step"])
        if len(self.metric_steps) >= self.options["metrics_every"]:
            self.flush_metrics()

    def checkpoint(self, step, epoch, train_loss, val_loss, archive):
        self.flush_metrics()
        self.report({"type": "checkpoint", "step": step, "epoch": epoch, "trainLoss": train_loss, "valLoss": val_loss, "file": archive})
        self.log(f"job {self.job_id}: checkpoint at step {step} queued for upload")

    def file_slot(self, name):
        return self.queue.file_slot(name)

    def stop_requested(self):
        self._check_limits()
        if self.stop is None:
            return None
        return "cancel" if self.stop == "cancel" else "interrupt"

    # -------------------------------------------------------------------------
    def flush_metrics(self):
        if self.metrics:
            points, self.metrics = self.metrics, []
            self.metric_steps.clear()
            self.report({"type": "metrics", "points": points})

    def _timing(self):
        if not self.training_started or self.step <= self.training_started[1]:
            return None
        at, step = self.training_started
        return {"overheadSeconds": at - self.started, "secondsPerStep": (time.monotonic() - at) / (self.step - step)}

    def _check_limits(self):
        if self.limit_seconds and time.monotonic() - self.started > self.limit_seconds:
            self.request_stop("timeout")
        if self.queue.unreachable_for() > self.options["offline_deadline_seconds"]:
            self.request_stop("offline")

    def _heartbeats(self):
        lease = self.options.get("lease_seconds", 30)
        while not self.finished.wait(min(10.0, max(0.5, lease / 3))):
            try:
                data = unwrap(self.client.request(ops.HEARTBEAT_TRAINING_JOB, {"jobId": self.job_id}, self.token)["heartbeatTrainingJob"])
                if data["cancelRequested"]:
                    self.request_stop("cancel")
                # No renewed lease: the server took the job back (unless this worker's own completion report moved it on).
                elif data["leaseExpiresAt"] is None and data["status"] not in ("VALIDATION", "COMPLETED"):
                    self.request_stop("lost")
            except RefusedError:
                self.request_stop("lost")  # the job is someone else's now
            except Exception:  # unreachable: train on, reports wait in the queue
                pass

    def run(self):
        beats = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        beats.start()
        os.makedirs(self.work_dir, exist_ok=True)
        try:
            outcome = self._execute()
            while outcome == "completed" and not self.queue.drain(1.0) and self.stop is None:
                pass
            return outcome
        except Exception as error:  # noqa: BLE001 — every failure is reported with its class
            if self.stop in ("cancel", "lost"):
                return "cancelled" if self.stop == "cancel" else "lost"
            failure = describe_failure(error)
            if failure.get("facts"):
                failure["facts"] = {"where": f'worker "{self.options["worker_id"]}"', **failure["facts"]}
            self.log(f"job {self.job_id} failed: {failure['errorType']}: {failure['message']}")
            self.flush_metrics()
            stack = (failure.get("details") or {}).get("stack") or ""
            lines = list(self.output_lines) + (stack.splitlines() if isinstance(stack, str) else [])
            self.report({"type": "error", **failure, "outputLines": lines[-OUTPUT_LINES_KEPT:]})
            return "failed"
        finally:
            self.finished.set()
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def _stopped(self):
        if self.stop == "interrupt":
            self.report({"type": "interrupted", "step": self.step, "reason": "worker stopped (SIGTERM, e.g. spot interruption)"})
            self.log(f"job {self.job_id}: interrupted at step {self.step}")
            return "interrupted"
        if self.stop == "timeout":
            raise JobTimeoutError(self.limit_seconds, self.step, self.total_steps, self._timing())
        if self.stop == "offline":
            raise ServerUnreachableError(self.queue.unreachable_for(), self.step)
        return "cancelled" if self.stop == "cancel" else "lost"

    def _execute(self):
        config = self.claim["job"]["config"]
        self.stage("PREPROCESSING", f"Reading the dataset ({len(self.claim['datasetContent'].encode())} bytes)")
        chats = parse_chat_jsonl(self.claim["datasetContent"])
        resume_archive = None
        if self.claim.get("resumeFrom"):
            resume_archive = os.path.join(self.work_dir, "resume.tar.gz")
            self.client.download(self.claim["resumeFrom"]["downloadUrl"], resume_archive, self.claim["resumeFrom"]["sha256"])
        if self.stop:
            return self._stopped()
        # torch and transformers load here, so the protocol works (and is tested) without them.
        from .hf_training import train_job

        result = train_job(config, chats, self.work_dir, resume_archive, _Hooks(self), self.options.get("memory_budget_mb"))
        self.flush_metrics()
        self.step = result["step"]
        if result["status"] != "completed":
            return self._stopped()
        for kind, name in ADAPTER_FILES.items():
            slot = self.queue.file_slot(name)
            shutil.move(os.path.join(result["output_dir"], name), slot)
            self.report({"type": "artifact", "kind": kind, "file": slot})
        self.report({"type": "completed", "summary": result["summary"], "validationFollows": self.options["validation_follows"]})
        s = result["summary"]
        self.log(
            f"job {self.job_id}: completed {result['step']} steps; validation perplexity {s.get('baseValPerplexity')} (base) → {s.get('adaptedValPerplexity')} (adapted)"
        )
        return "completed"


class _Hooks:
    """What hf_training sees of the run."""

    def __init__(self, run):
        self.stage = run.stage
        self.resumed = run.resumed
        self.metrics = run.metrics_points
        self.checkpoint = run.checkpoint
        self.file_slot = run.file_slot
        self.stop_requested = run.stop_requested
