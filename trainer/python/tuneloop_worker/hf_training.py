"""LoRA / QLoRA fine-tuning with transformers + peft, for one job.

On a CUDA GPU the base model is loaded in 4-bit NF4 (bitsandbytes, double
quantization, bf16 compute) and prepared for k-bit training: QLoRA, which
fits a Llama 3 70B on one 80 GB card. On a CPU (or with quantization "none")
it trains in float32, which is how the engine's small models are checked.

The job's hyperparameters are the server's resolved config (rank, alpha,
learningRate, epochs, batchSize, gradientAccumulationSteps, maxSeqLength, dropout, warmupRatio,
weightDecay, gradientClip, targetModules, checkpointEvery, seed, baseModel).
Everything is reported through `hooks` (see runner.py)."""
import json
import math
import os
import resource
import tarfile
import time

import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig, Trainer, TrainerCallback, TrainingArguments

from .chat_tokens import split, tokenize_chat
from .failures import OutOfMemoryError
from .memory import bytes_needed, check_memory, largest_batch_that_fits, memory_facts, memory_profile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def resolve_base_model(name):
    """The engine's own base models (tuneloop-llama-*) live under .cache/base-model; anything else is a
    Hugging Face model id or local path (gated models need HF_TOKEN, or a filled HF cache)."""
    local = os.path.join(REPO, ".cache", "base-model", name)
    return local if os.path.isdir(local) else name


class _Collator:
    """Right-pads a batch; counts the tokens of the micro-batches since the step began, for tokens/s."""

    def __init__(self, pad_id):
        self.pad_id = pad_id
        self.step_tokens = 0

    def __call__(self, rows):
        width = max(len(r["input_ids"]) for r in rows)
        batch = {"input_ids": [], "attention_mask": [], "labels": []}
        for r in rows:
            pad = width - len(r["input_ids"])
            batch["input_ids"].append(r["input_ids"] + [self.pad_id] * pad)
            batch["attention_mask"].append([1] * len(r["input_ids"]) + [0] * pad)
            batch["labels"].append(r["labels"] + [-100] * pad)
        self.step_tokens += sum(len(r["input_ids"]) for r in rows)
        return {k: torch.tensor(v) for k, v in batch.items()}


class _Reporter(TrainerCallback):
    """Turns the Trainer's events into the job's reports, and the worker's stop requests into control flags."""

    def __init__(self, hooks, collator, resumed_from, batch_size):
        self.hooks = hooks
        self.collator = collator
        self.resumed_from = resumed_from
        self.batch_size = batch_size
        self.step_started = None
        self.last_train_loss = None
        self.last_val_loss = None
        self.points = []
        self.tokens_seen = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.hooks.stage(
            "TRAINING",
            f"Resuming at step {self.resumed_from} of {state.max_steps}" if self.resumed_from else f"Training {state.max_steps} steps",
            state.max_steps,
        )
        if self.resumed_from:
            self.hooks.resumed(self.resumed_from)

    def on_step_begin(self, args, state, control, **kwargs):
        self.step_started = time.monotonic()
        self.collator.step_tokens = 0

    def on_step_end(self, args, state, control, **kwargs):
        seconds = max(1e-9, time.monotonic() - (self.step_started or time.monotonic()))
        self.tokens_seen += self.collator.step_tokens
        self._emit(
            state,
            {
                "tokens_per_sec": self.collator.step_tokens / seconds,
                "samples_per_sec": self.batch_size / seconds,
                "memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "eta_seconds": max(0, state.max_steps - state.global_step) * seconds,
                **gpu_usage(),
            },
        )
        stop = self.hooks.stop_requested()
        if stop:
            control.should_training_stop = True
            # An interruption saves a checkpoint first (on_save uploads it); a cancellation does not.
            control.should_save = stop == "interrupt"

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        values = {}
        if "loss" in logs:
            values["train_loss"] = self.last_train_loss = logs["loss"]
        for ours, theirs in (("learning_rate", "learning_rate"), ("grad_norm", "grad_norm"), ("epoch", "epoch")):
            if theirs in logs and logs[theirs] is not None:
                values[ours] = float(logs[theirs])
        if "eval_loss" in logs:
            values["val_loss"] = self.last_val_loss = logs["eval_loss"]
            values["perplexity"] = math.exp(min(50.0, logs["eval_loss"]))
        self._emit(state, values)

    def on_save(self, args, state, control, **kwargs):
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        archive = self.hooks.file_slot(f"checkpoint-{state.global_step:06d}.tar.gz")
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname=".")
        self.hooks.checkpoint(state.global_step, state.epoch, self.last_train_loss, self.last_val_loss, archive)

    def _emit(self, state, values):
        now = time.time()
        points = [
            {"name": k, "step": state.global_step, "value": float(v), "epoch": float(state.epoch or 0), "wallTime": now}
            for k, v in values.items()
        ]
        self.points += points
        self.hooks.metrics(points)


def gpu_usage():
    """The device's memory in use and, where NVML answers, its utilisation: what the job page shows as GPU metrics."""
    if not torch.cuda.is_available():
        return {}
    free, total = torch.cuda.mem_get_info()
    usage = {
        "gpu_memory_used_mb": (total - free) / 2**20,
        "gpu_memory_total_mb": total / 2**20,
        "gpu_memory_allocated_mb": torch.cuda.max_memory_allocated() / 2**20,
    }
    try:
        usage["gpu_utilization_pct"] = float(torch.cuda.utilization())
    except Exception:  # noqa: BLE001 — torch.cuda.utilization needs pynvml; without it the memory still tells
        pass
    return usage


def train_job(config, chats, work_dir, resume_archive, hooks, memory_budget_mb=None):
    """Runs one job. Returns {"status": "completed", "step", "summary", "output_dir"} or {"status": "interrupted" | "cancelled", "step"}."""
    started = time.monotonic()
    cuda = torch.cuda.is_available()
    quantized = cuda and config.get("quantization", "4bit") == "4bit"
    base = resolve_base_model(config["baseModel"])

    hooks.stage("MODEL_LOADING", f"Loading base model {config['baseModel']}{' in 4-bit (QLoRA)' if quantized else ''}")
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.chat_template is None:
        raise ValueError(f"{config['baseModel']} has no chat template; use an instruction-tuned model")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model_config = AutoConfig.from_pretrained(base)
    budget = memory_budget_mb * 2**20 if memory_budget_mb else (torch.cuda.get_device_properties(0).total_memory * 0.95 if cuda else None)
    # The worker's own budget, or the GPU's memory (then the facts name the GPU).
    limit, where = ("WORKER_BUDGET", None) if memory_budget_mb else ("GPU_MEMORY", torch.cuda.get_device_name(0) if cuda else None)
    profile = memory_profile(model_config, len(config["targetModules"]), quantized, can_quantize=cuda)
    if budget:
        check_memory(profile, config, budget, limit, where)
    kwargs = {"torch_dtype": torch.bfloat16 if cuda else torch.float32}
    if quantized:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16
        )
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    if quantized:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    model = get_peft_model(
        model,
        LoraConfig(
            r=config["rank"],
            lora_alpha=config["alpha"],
            lora_dropout=config["dropout"],
            target_modules=config["targetModules"],
            task_type="CAUSAL_LM",
        ),
    )

    train_chats, val_chats = split(chats, config["seed"])
    train_rows = [
        r
        for r in (tokenize_chat(tokenizer, c, config["maxSeqLength"]) for c in train_chats)
        if any(label != -100 for label in r["labels"][1:])
    ]
    val_rows = [
        r
        for r in (tokenize_chat(tokenizer, c, config["maxSeqLength"]) for c in val_chats)
        if any(label != -100 for label in r["labels"][1:])
    ]
    if not train_rows:
        raise ValueError("no training conversation has an assistant reply within maxSeqLength")

    output_dir = os.path.join(work_dir, "hf")
    accumulation = config.get("gradientAccumulationSteps", 1)
    steps_per_epoch = math.ceil(len(train_rows) / (config["batchSize"] * accumulation))
    total = steps_per_epoch * config["epochs"]
    args = TrainingArguments(
        output_dir=output_dir,
        num_train_epochs=config["epochs"],
        per_device_train_batch_size=config["batchSize"],
        # One optimizer step per effective batch (batchSize × accumulation), at the memory of one micro-batch.
        gradient_accumulation_steps=accumulation,
        per_device_eval_batch_size=config["batchSize"],
        learning_rate=config["learningRate"],
        warmup_ratio=config["warmupRatio"],
        weight_decay=config["weightDecay"],
        max_grad_norm=config["gradientClip"],
        lr_scheduler_type="cosine",
        logging_steps=1,
        save_strategy="steps",
        save_steps=max(1, min(config["checkpointEvery"], total // 4 or 1)),
        save_total_limit=2,
        eval_strategy="steps" if val_rows else "no",
        eval_steps=max(1, math.ceil(total / 10)),
        seed=config["seed"],
        data_seed=config["seed"],
        bf16=cuda,
        optim="paged_adamw_8bit" if quantized else "adamw_torch",
        gradient_checkpointing=quantized,
        gradient_checkpointing_kwargs={"use_reentrant": False} if quantized else None,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        report_to=[],
        disable_tqdm=True,
    )
    collator = _Collator(pad_id)
    resumed_from = None
    resume_dir = None
    if resume_archive:
        # The archive holds one Trainer checkpoint folder (adapter, optimizer, scheduler, RNG states).
        unpacked = os.path.join(work_dir, "resume")
        with tarfile.open(resume_archive) as tar:
            tar.extractall(unpacked, filter="data")
        with open(os.path.join(unpacked, "trainer_state.json")) as f:
            resumed_from = json.load(f)["global_step"]
        resume_dir = os.path.join(output_dir, f"checkpoint-{resumed_from}")
        os.makedirs(output_dir, exist_ok=True)
        os.replace(unpacked, resume_dir)
    reporter = _Reporter(hooks, collator, resumed_from, config["batchSize"] * accumulation)
    trainer = Trainer(
        model=model, args=args, train_dataset=train_rows, eval_dataset=val_rows or None, data_collator=collator, callbacks=[reporter]
    )

    try:
        trainer.train(resume_from_checkpoint=resume_dir)
    except torch.cuda.OutOfMemoryError as error:
        # The estimate said it fits, the GPU said otherwise: the facts say both; the server asks for half the activations.
        need = bytes_needed(profile, config["batchSize"], config["maxSeqLength"], config["rank"])
        effective = config["batchSize"] * accumulation
        fit = largest_batch_that_fits(profile, max(1, config["batchSize"] // 2), config["maxSeqLength"], config["rank"], effective, budget)
        raise OutOfMemoryError(
            f"batch_size={config['batchSize']} ran out of GPU memory at step {trainer.state.global_step}: "
            + (
                f"use batch size {fit} with {effective // fit} accumulation steps"
                if fit
                else "shorten max_seq_length, lower the rank or use a larger GPU"
            ),
            need,
            int(budget),
            fit,
            memory_facts(profile, need, int(budget), limit, config["maxSeqLength"], where),
        ) from error
    step = trainer.state.global_step
    stop = hooks.stop_requested()
    if stop:
        return {"status": "cancelled" if stop == "cancel" else "interrupted", "step": step}

    hooks.stage("FINALIZATION", "Saving the adapter")
    adapted = trainer.evaluate()["eval_loss"] if val_rows else None
    with model.disable_adapter():
        base_loss = trainer.evaluate()["eval_loss"] if val_rows else None
    out = os.path.join(work_dir, "output")
    # adapter_config.json names the base model, not the folder it was loaded from on this machine.
    model.peft_config["default"].base_model_name_or_path = config["baseModel"]
    model.save_pretrained(out, safe_serialization=True)
    losses = [p["value"] for p in reporter.points if p["name"] == "train_loss"]
    summary = {
        "steps": step,
        "backend": "python",
        "quantization": "nf4" if quantized else "none",
        "firstTrainLoss": losses[0] if losses else None,
        "finalTrainLoss": reporter.last_train_loss,
        "finalValLoss": adapted,
        "finalPerplexity": math.exp(adapted) if adapted is not None else None,
        "baseValPerplexity": math.exp(base_loss) if base_loss is not None else None,
        "adaptedValPerplexity": math.exp(adapted) if adapted is not None else None,
        "validationConversations": len(val_rows),
        "tokensSeen": reporter.tokens_seen,
        "durationSeconds": time.monotonic() - started,
    }
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"summary": summary, "points": reporter.points}, f)
    return {"status": "completed", "step": step, "summary": summary, "output_dir": out}
