"""The few torch names the deployment package's inference.py uses, on numpy (CPU only, no gradients).

Part of a runner that executes the generated inference.py where torch,
transformers and peft are not installed (CI has numpy only): put this folder
and packages/engine/scripts (hf_llama_reference.py) first on PYTHONPATH.
"""
import contextlib

import numpy as np

float32 = np.float32


class Tensor(np.ndarray):
    """A numpy array that accepts .to(device)."""

    def to(self, *args, **kwargs):
        return self


def tensor(data, dtype=None):
    return np.asarray(data, dtype=dtype or np.int64).view(Tensor)


def ones_like(t):
    return np.ones_like(t).view(Tensor)


def no_grad():
    return contextlib.nullcontext()


class cuda:
    @staticmethod
    def is_available():
        return False
