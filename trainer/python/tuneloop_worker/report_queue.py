"""The worker's outbox, in the same on-disk format as trainer/src/worker/reportQueue.ts:
queue.jsonl (each report appended and fsynced before it is sent) and state.json
({deliveredId, lastId, sequences}). A background thread delivers the reports
strictly in order, retrying with backoff while the server is unreachable; each
report that changes a job carries a per-job sequence so the server ignores copies."""
import json
import os
import shutil
import threading
import time
import uuid

from .api import NetworkError

UNSEQUENCED = {"metrics", "artifact"}
MAX_BACKOFF = 5.0


class ReportQueue:
    def __init__(self, directory, deliver, on_give_up):
        self.dir = directory
        self.files_dir = os.path.join(directory, "files")
        os.makedirs(self.files_dir, mode=0o700, exist_ok=True)
        self.queue_path = os.path.join(directory, "queue.jsonl")
        self.state_path = os.path.join(directory, "state.json")
        self.deliver = deliver
        self.on_give_up = on_give_up
        self.lock = threading.Condition()
        self.unreachable_since = None
        self.closed = False
        self.closing = threading.Event()
        try:
            with open(self.state_path) as f:
                self.state = json.load(f)
        except (OSError, ValueError):
            self.state = {"deliveredId": 0, "lastId": 0, "sequences": {}}
        self.entries = []
        if os.path.exists(self.queue_path):
            with open(self.queue_path) as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # the torn last line of an append cut short by a crash
                    self.state["lastId"] = max(self.state["lastId"], entry["id"])
                    if entry["sequence"] is not None:
                        seqs = self.state["sequences"]
                        seqs[entry["jobId"]] = max(seqs.get(entry["jobId"], 0), entry["sequence"])
                    if entry["id"] > self.state["deliveredId"]:
                        self.entries.append(entry)
        # Files of reports that were never queued (a run killed while writing one).
        referenced = {os.path.dirname(e["report"]["file"]) for e in self.entries if "file" in e["report"]}
        for name in os.listdir(self.files_dir):
            if os.path.join(self.files_dir, name) not in referenced:
                shutil.rmtree(os.path.join(self.files_dir, name), ignore_errors=True)
        self.thread = threading.Thread(target=self._pump, name="report-queue", daemon=True)
        self.thread.start()

    def file_slot(self, name):
        """A fresh path for a file a report will carry; removed with its folder once delivered."""
        folder = os.path.join(self.files_dir, uuid.uuid4().hex)
        os.makedirs(folder, mode=0o700)
        return os.path.join(folder, name)

    def raise_sequence(self, job_id, at_least):
        with self.lock:
            self.state["sequences"][job_id] = max(self.state["sequences"].get(job_id, 0), at_least)

    def enqueue(self, job_id, token, report):
        with self.lock:
            sequence = None
            if report["type"] not in UNSEQUENCED:
                sequence = self.state["sequences"].get(job_id, 0) + 1
                self.state["sequences"][job_id] = sequence
            self.state["lastId"] += 1
            entry = {"id": self.state["lastId"], "jobId": job_id, "token": token, "sequence": sequence, "report": report}
            fd = os.open(self.queue_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (json.dumps(entry) + "\n").encode())
                os.fdatasync(fd)
            finally:
                os.close(fd)
            self.entries.append(entry)
            self.lock.notify_all()
            return entry

    def pending(self):
        with self.lock:
            return len(self.entries)

    def unreachable_for(self):
        """Seconds the server has been unreachable, or 0 while it answers."""
        since = self.unreachable_since
        return 0.0 if since is None else time.monotonic() - since

    def drain(self, timeout=None):
        """True once everything is delivered, False after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.lock:
            while self.entries:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self.lock.wait(left if left is not None else 1.0)
            return True

    def close(self):
        with self.lock:
            self.closed = True
            self.lock.notify_all()
        self.closing.set()
        self.thread.join(timeout=35)

    def _pump(self):
        failures = 0
        while True:
            with self.lock:
                while not self.entries and not self.closed:
                    self.lock.wait()
                if self.closed:
                    return
                entry = self.entries[0]
            try:
                self.deliver(entry)
                failures = 0
                self.unreachable_since = None
            except NetworkError:
                if self.unreachable_since is None:
                    self.unreachable_since = time.monotonic()
                # New reports do not cut the backoff short; closing does.
                self.closing.wait(min(MAX_BACKOFF, 0.25 * 2**failures))
                failures += 1
                continue
            except Exception as error:  # refused (or unreadable): it would block every later report
                self.on_give_up(entry, error)
            self._mark_delivered(entry)

    def _mark_delivered(self, entry):
        with self.lock:
            self.entries.pop(0)
            self.state["deliveredId"] = entry["id"]
            tmp = self.state_path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.state, f)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.state_path)
            if "file" in entry["report"]:
                shutil.rmtree(os.path.dirname(entry["report"]["file"]), ignore_errors=True)
            if not self.entries:
                # Everything is out: start the file afresh (ids keep counting in state.json).
                open(self.queue_path, "w").close()
            self.lock.notify_all()
