"""One claimed validation run on the python worker: the job's adapter downloaded, the model
loaded (hf_evaluation.load, or another loader with the same interface), each task's result
reported as soon as it is computed. The server stores a task's result once, so a run that a
dead worker left resumes on another with only the tasks still to do."""
import os
import shutil
import threading
import time

from . import operations as ops
from .api import NetworkError, RefusedError
from .dataset import parse_chat_jsonl


def _send(client, query, variables, token, log, attempts=8):
    for failure in range(attempts):
        try:
            return client.request(query, variables, token)
        except NetworkError as error:
            if failure == attempts - 1:
                raise
            log(f"{error}; trying again")
            time.sleep(min(30, 0.5 * 2**failure))


HEARTBEAT_SECONDS = 30


def _keep_lease(client, token, worker_id, run_id, log):
    """Renews the lease while a large model loads or a long task runs (results renew it too); set the returned event to stop."""
    done = threading.Event()

    def beat():
        while not done.wait(HEARTBEAT_SECONDS):
            try:
                client.request(ops.HEARTBEAT_VALIDATION_RUN, {"runId": run_id, "workerId": worker_id}, token)
            except (NetworkError, RefusedError) as error:
                log(f"validation {run_id}: heartbeat failed: {error}")

    threading.Thread(target=beat, daemon=True).start()
    return done


def validate(client, token, worker_id, claim, state_dir, log, load=None):
    """Returns "completed", "failed" or "lost" (the run was taken over, or the server is gone: another worker resumes it)."""
    run_id = claim["run"]["id"]
    work = os.path.join(state_dir, "validation", run_id)
    os.makedirs(work, exist_ok=True)
    beating = _keep_lease(client, token, worker_id, run_id, log)
    try:
        client.download(
            claim["adapterModel"]["downloadUrl"], os.path.join(work, "adapter_model.safetensors"), claim["adapterModel"]["sha256"]
        )
        client.download(claim["adapterConfig"]["downloadUrl"], os.path.join(work, "adapter_config.json"), claim["adapterConfig"]["sha256"])
        # torch (and transformers) only where a validation runs: a worker without them still claims and reports.
        from .evaluation import run_tasks

        if load is None:
            from .hf_evaluation import load
        model, tokenizer, generate = load(claim["job"]["config"], work)

        def report(key, result):
            answer = _send(
                client, ops.REPORT_VALIDATION_RESULT, {"runId": run_id, "workerId": worker_id, "key": key, "result": result}, token, log
            )["reportValidationResult"]
            if answer["__typename"] != "ReportValidationResultSuccess":
                log(f"validation {run_id}: {key} refused: {answer.get('message')}")
                return False
            return True

        chats = parse_chat_jsonl(claim["datasetContent"])
        done = run_tasks(claim["tasks"], model, tokenizer, chats, claim["settings"], generate, claim["reviewSeed"], report)
        return "completed" if done else "lost"
    except NetworkError as error:
        log(f"validation {run_id}: {error}; the run is left for another worker")
        return "lost"
    except Exception as error:  # noqa: BLE001 — any failure to evaluate is the run's failure, reported with its message
        log(f"validation {run_id} failed: {error}")
        try:
            _send(
                client,
                ops.FAIL_VALIDATION_RUN,
                {"runId": run_id, "workerId": worker_id, "message": f"{type(error).__name__}: {error}"},
                token,
                log,
            )
        except (NetworkError, RefusedError):
            pass
        return "failed"
    finally:
        beating.set()
        shutil.rmtree(work, ignore_errors=True)
