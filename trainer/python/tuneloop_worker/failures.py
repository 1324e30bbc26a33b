"""Why a job failed, as the server's error classes, with the fix in the message."""
import traceback


class OutOfMemoryError(Exception):
    """`facts`: what the server sizes a retry from (memory.py's memory_facts)."""

    def __init__(self, message, required_bytes=None, limit_bytes=None, suggested_batch_size=None, facts=None):
        super().__init__(message)
        self.details = {"requiredBytes": required_bytes, "limitBytes": limit_bytes, "suggestedBatchSize": suggested_batch_size}
        self.facts = facts


class DatasetFormatError(Exception):
    def __init__(self, message, line, field=None):
        super().__init__(f"line {line}{f' ({field})' if field else ''}: {message}")
        self.details = {"line": line, "field": field}


class JobTimeoutError(Exception):
    """`timing`: {overheadSeconds, secondsPerStep} of this run, None when no step finished."""

    def __init__(self, limit_seconds, step, total_steps, timing=None):
        super().__init__(
            f"Training ran past its time limit of {limit_seconds:g} s at step {step}{f' of {total_steps}' if total_steps else ''}. "
            "Reduce epochs, raise the batch size, or allow more time."
        )
        self.details = {"limitSeconds": limit_seconds, "step": step, "totalSteps": total_steps}
        self.facts = (
            {"time": {"limitSeconds": limit_seconds, "stepsDone": step, "totalSteps": total_steps, **timing}}
            if timing and total_steps
            else None
        )


class ServerUnreachableError(Exception):
    def __init__(self, seconds, step):
        super().__init__(
            f"Lost contact with the server for {round(seconds)} s; stopped at step {step} with a checkpoint saved on the worker. "
            "Nothing in the configuration caused this: retry as it is."
        )
        self.details = {"offlineSeconds": round(seconds), "step": step}


def describe_failure(error):
    """{errorType, message, details, facts} for reportTrainingError."""
    if isinstance(error, OutOfMemoryError):
        return {"errorType": "OutOfMemoryError", "message": str(error), "details": error.details, "facts": error.facts}
    if isinstance(error, DatasetFormatError):
        return {
            "errorType": "DatasetFormatError",
            "message": f"Dataset {error}. Fix that conversation and upload the dataset again.",
            "details": error.details,
        }
    if isinstance(error, JobTimeoutError):
        return {"errorType": "TimeoutError", "message": str(error), "details": error.details, "facts": error.facts}
    if isinstance(error, ServerUnreachableError):
        return {"errorType": "NetworkError", "message": str(error), "details": error.details}
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-8:])
    return {
        "errorType": "UnknownError",
        "message": str(error) or type(error).__name__,
        "details": {"name": type(error).__name__, "stack": stack},
    }
