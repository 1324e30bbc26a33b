"""Tuneloop's GPU trainer: the worker protocol of trainer/src/worker, with
transformers + peft (QLoRA) doing the training. See trainer/README.md."""
