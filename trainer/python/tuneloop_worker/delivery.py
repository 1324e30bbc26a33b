"""Turns a queued report into its GraphQL mutation."""
from . import operations as ops
from .api import unwrap


def deliver_to(client):
    def deliver(entry):
        job_id, token, seq, report = entry["jobId"], entry["token"], entry["sequence"], entry["report"]
        kind = report["type"]
        if kind == "metrics":
            unwrap(client.request(ops.REPORT_METRICS, {"jobId": job_id, "points": report["points"]}, token)["reportMetrics"])
        elif kind == "status":
            variables = {
                "jobId": job_id,
                "sequence": seq,
                "status": report["status"],
                "message": report["message"],
                "totalSteps": report["totalSteps"],
            }
            unwrap(client.request(ops.REPORT_TRAINING_STATUS, variables, token)["reportTrainingStatus"])
        elif kind == "artifact":
            unwrap(client.upload(ops.UPLOAD_ARTIFACT, {"jobId": job_id, "kind": report["kind"]}, report["file"], token)["uploadArtifact"])
        elif kind == "checkpoint":
            # Upload, then report; a retried upload of the same bytes returns the same artifact.
            artifact = unwrap(
                client.upload(ops.UPLOAD_ARTIFACT, {"jobId": job_id, "kind": "checkpoint"}, report["file"], token)["uploadArtifact"]
            )
            variables = {
                "jobId": job_id,
                "sequence": seq,
                "step": report["step"],
                "epoch": report["epoch"],
                "artifactId": artifact["id"],
                "trainLoss": report["trainLoss"],
                "valLoss": report["valLoss"],
            }
            unwrap(client.request(ops.REPORT_CHECKPOINT, variables, token)["reportCheckpoint"])
        elif kind == "interrupted":
            variables = {"jobId": job_id, "sequence": seq, "step": report["step"], "reason": report["reason"]}
            unwrap(client.request(ops.REPORT_INTERRUPTED, variables, token)["reportInterrupted"])
        elif kind == "resumed":
            unwrap(
                client.request(ops.REPORT_RESUMED, {"jobId": job_id, "sequence": seq, "fromStep": report["fromStep"]}, token)[
                    "reportResumed"
                ]
            )
        elif kind == "error":
            variables = {
                "jobId": job_id,
                "sequence": seq,
                "errorType": report["errorType"],
                "message": report["message"],
                "details": report["details"],
                "facts": report.get("facts"),
                "outputLines": report.get("outputLines"),
            }
            unwrap(client.request(ops.REPORT_TRAINING_ERROR, variables, token)["reportTrainingError"])
        elif kind == "completed":
            variables = {"jobId": job_id, "sequence": seq, "summary": report["summary"], "validationFollows": report["validationFollows"]}
            unwrap(client.request(ops.COMPLETE_TRAINING_JOB, variables, token)["completeTrainingJob"])
        else:
            raise ValueError(f"unknown report type {kind}")

    return deliver
