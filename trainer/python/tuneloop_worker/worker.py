"""The worker loop: deliver what an earlier run left, claim a python-backend job,
run it, repeat. SIGTERM/SIGINT interrupt the job at its next step (checkpoint,
report); a second signal exits at once."""
import argparse
import os
import signal
import socket
import sys
import threading
from datetime import datetime, timezone

from . import operations as ops
from .api import NetworkError, RefusedError, ServerClient, unwrap
from .delivery import deliver_to
from .report_queue import ReportQueue
from .runner import JobRun
from .validation import validate

# A worker launched for one job (--job-id) says by its exit code what should
# happen next; the same numbers as trainer/src/worker/exitCodes.ts.
EXIT_DONE = 0
EXIT_RECOVER = 75  # interrupted: launch another machine to resume from the last checkpoint
EXIT_DO_NOT_RETRY = 78  # failed or refused: another machine would fail the same way


def exit_code_of(outcome):
    if outcome in ("completed", "cancelled"):
        return EXIT_DONE
    return EXIT_DO_NOT_RETRY if outcome == "failed" else EXIT_RECOVER


def log(message):
    print(f"{datetime.now(timezone.utc).isoformat(timespec='milliseconds')} {message}", flush=True)


def run_worker(options):
    client = ServerClient(options["server"])
    queue = ReportQueue(
        options["state_dir"],
        deliver_to(client),
        lambda entry, error: log(f"gave up a {entry['report']['type']} report of job {entry['jobId']}: {error}"),
    )
    state = {"stopping": False, "current": None}
    wake = threading.Event()

    def on_signal(signum, _frame):
        if state["stopping"]:
            log(f"signal {signum} again: exiting now; {queue.pending()} report(s) stay queued on disk")
            os._exit(130)
        state["stopping"] = True
        log(f"signal {signum}: {'checkpointing and stopping' if state['current'] else 'stopping'}")
        if state["current"]:
            state["current"].request_stop("interrupt")
        wake.set()

    def validate_next(job_id):
        """Claims and evaluates one validation run (of job_id when given); False when none was waiting."""
        try:
            answer = unwrap(
                client.request(
                    ops.CLAIM_VALIDATION_RUN,
                    {"workerId": options["worker_id"], "gpuTypes": options["gpu_types"], "backends": ["python"], "jobId": job_id},
                    options["token"],
                )["claimValidationRun"]
            )
        except (NetworkError, RefusedError) as error:
            log(f"could not claim a validation run: {error}")
            return False
        claim = answer["claim"]
        if not claim:
            return False
        log(f"claimed validation {claim['run']['id']} of job {claim['job']['id']} ({len(claim['tasks'])} task(s) to do)")
        outcome = validate(client, options["token"], options["worker_id"], claim, options["state_dir"], log, options.get("load_model"))
        log(f"validation {claim['run']['id']}: {outcome}")
        return True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if queue.pending():
            log(f"delivering {queue.pending()} report(s) left by an earlier run")
        failures = 0
        once = options["once"] or bool(options["job_id"])
        exit_code = EXIT_DONE
        while not state["stopping"]:
            # The server hears everything about earlier jobs first: a job taken up again resumes from its latest checkpoint.
            if not queue.drain(1.0):
                continue
            try:
                claimed = unwrap(
                    client.request(
                        ops.CLAIM_TRAINING_JOB,
                        {
                            "workerId": options["worker_id"],
                            "gpuTypes": options["gpu_types"],
                            "backends": ["python"],
                            "jobId": options["job_id"],
                        },
                        options["token"],
                    )["claimTrainingJob"]
                )
                failures = 0
            except RefusedError as error:
                log(f"the server refused this worker: {error}")
                return EXIT_DO_NOT_RETRY if options["job_id"] else 2
            except NetworkError as error:
                log(f"{error}; trying again")
                wake.wait(min(30, 2**failures))
                failures += 1
                continue
            claim = claimed["claim"]
            if not claim:
                # No training waiting: a validation run of a python job, if one waits (or the job's own, for a machine launched for it).
                if options["validation_follows"] and validate_next(options["job_id"]):
                    if once:
                        break
                    continue
                if once:
                    break
                wake.wait(claimed["pollAfterSeconds"])
                continue
            lease = (datetime.fromisoformat(claim["leaseExpiresAt"].replace("Z", "+00:00")) - datetime.now(timezone.utc)).total_seconds()
            log(
                f"claimed job {claim['job']['id']} \"{claim['job']['name']}\""
                + (f" (resuming from step {claim['resumeFrom']['step']})" if claim.get("resumeFrom") else "")
            )
            state["current"] = JobRun(client, queue, claim, {**options, "lease_seconds": lease}, log)
            if state["stopping"]:
                state["current"].request_stop("interrupt")
            outcome = state["current"].run()
            state["current"] = None
            log(f"job {claim['job']['id']}: {outcome}")
            # The machine that trained the job has the base model cached: it validates the job too.
            if outcome == "completed" and options["validation_follows"] and not state["stopping"]:
                validate_next(claim["job"]["id"])
            if options["job_id"]:
                exit_code = exit_code_of(outcome)
            if once:
                break
        delivered = queue.drain(options["shutdown_grace_seconds"] if state["stopping"] else None)
        if not delivered:
            log(f"{queue.pending()} report(s) stay queued in {options['state_dir']} until the next start")
        return exit_code
    finally:
        queue.close()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python trainer/python/worker.py",
        description="Claims python-backend training jobs and validation runs from a Tuneloop server and runs them with transformers + peft.",
    )
    parser.add_argument("--server", default=os.environ.get("TUNELOOP_SERVER"), help="Tuneloop server (or TUNELOOP_SERVER)")
    parser.add_argument(
        "--token", default=os.environ.get("TUNELOOP_WORKER_TOKEN"), help="API key with the WORKER scope (or TUNELOOP_WORKER_TOKEN)"
    )
    parser.add_argument("--worker-id", default=socket.gethostname())
    parser.add_argument("--gpu-types", default=None, help="comma-separated GPU types to claim jobs for")
    parser.add_argument("--once", action="store_true", help="run at most one job, then exit")
    parser.add_argument(
        "--job-id",
        default=None,
        help="run only this job (a machine launched for it, with its job token), then exit: 0 done, 75 interrupted, 78 do not retry",
    )
    parser.add_argument("--memory-budget-mb", type=float, default=None, help="refuse jobs whose estimated GPU memory exceeds this")
    parser.add_argument("--max-duration-seconds", type=float, default=None)
    parser.add_argument("--offline-deadline-seconds", type=float, default=600)
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--metrics-every", type=int, default=5)
    parser.add_argument("--shutdown-grace-seconds", type=float, default=10)
    parser.add_argument("--no-validation", action="store_true", help="complete jobs without validation, and claim no validation runs")
    args = parser.parse_args(argv)
    if not args.server or not args.token:
        parser.error("--server and --token (or TUNELOOP_SERVER and TUNELOOP_WORKER_TOKEN) are required")
    options = {
        "server": args.server,
        "token": args.token,
        "worker_id": args.worker_id,
        "gpu_types": [g.strip() for g in args.gpu_types.split(",") if g.strip()] if args.gpu_types else None,
        "once": args.once,
        "job_id": args.job_id,
        "memory_budget_mb": args.memory_budget_mb,
        "max_duration_seconds": args.max_duration_seconds,
        "offline_deadline_seconds": args.offline_deadline_seconds,
        "state_dir": os.path.abspath(args.state_dir or os.path.join(os.path.expanduser("~"), ".tuneloop", "python-worker", args.worker_id)),
        "metrics_every": args.metrics_every,
        "shutdown_grace_seconds": args.shutdown_grace_seconds,
        "validation_follows": not args.no_validation,
    }
    sys.exit(run_worker(options))
