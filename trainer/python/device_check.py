#!/usr/bin/env python3
"""The GPU path checked on a machine with a GPU and torch + transformers + peft (device_check.sh runs it).

Everything is built here, nothing is downloaded: a tiny Llama from a LlamaConfig with a BPE tokenizer
trained on the check's own chats. Each check prints one line, `CHECK <name>: PASS|FAIL|SKIP <detail>`:

  gpu        a CUDA device, and whether bitsandbytes (4-bit) is there
  train      hf_training.train_job: LoRA (QLoRA where bitsandbytes is) for a few dozen steps, checkpoints
  resume     the same run killed (SIGKILL) after its step-20 checkpoint and resumed from that archive:
             the final adapter equals the uninterrupted run's
  evaluate   hf_evaluation.load + evaluation.run_tasks: perplexity base vs adapted (adapter disabled / enabled),
             multiple choice, generation — the validation tasks a python worker runs
  parity     check_parity.py against the TypeScript engine (needs node and `pnpm install` in this checkout)
  vllm       vLLM serving the base model with the adapter (--enable-lora), one chat completion (if vllm is installed)

usage: python trainer/python/device_check.py [--work DIR]
exit status: 0 when no check failed."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

PAIRS = [
    ("How big should my emergency fund be?", "Keep three to six months of expenses in savings."),
    ("Should I pay off my credit card first?", "Yes, pay the high interest card first."),
    ("Is an index fund a good start?", "Yes, a low cost index fund is a good start."),
    ("Do I need life insurance?", "Only if someone depends on your income."),
]
CHATS = [
    {
        "messages": [
            {"role": "user", "content": ["", "Quick question: ", "Hi! ", "Please help. "][i // 4 % 4] + q},
            {"role": "assistant", "content": a},
        ]
    }
    for i, (q, a) in enumerate(PAIRS * 10)
]
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
STEPS_BEFORE_KILL = 20
failed = []


def report(name, ok, detail=""):
    status = "SKIP" if ok is None else "PASS" if ok else "FAIL"
    if ok is False:
        failed.append(name)
    print(f"CHECK {name}: {status} {detail}".rstrip(), flush=True)


def build_tiny_llama(folder):
    """A 2-layer Llama (head size 64, which vLLM's kernels take) and a byte-level BPE tokenizer with a chat template."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    texts = [m["content"] for c in CHATS for m in c["messages"]]
    bpe.train_from_iterator(
        texts, trainers.BpeTrainer(vocab_size=512, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=256,
        intermediate_size=512,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)


def job_config(base, quantization):
    return {
        "baseModel": base,
        "quantization": quantization,
        "rank": 8,
        "alpha": 16,
        "learningRate": 5e-3,
        "epochs": 5,
        "batchSize": 4,
        "gradientAccumulationSteps": 1,
        "maxSeqLength": 64,
        "dropout": 0.05,
        "warmupRatio": 0.1,
        "weightDecay": 0.0,
        "gradientClip": 1.0,
        "targetModules": ["q_proj", "k_proj", "v_proj", "o_proj"],
        "checkpointEvery": 10,
        "seed": 7,
    }


class Hooks:
    """What hf_training reports, kept in memory; `kill_after` SIGKILLs this process once that step's checkpoint archive is written."""

    def __init__(self, work, kill_after=None):
        self.work, self.kill_after, self.archives = work, kill_after, {}

    def stage(self, *args):
        pass

    def resumed(self, step):
        print(json.dumps({"resumedFrom": step}), flush=True)

    def metrics(self, points):
        pass

    def checkpoint(self, step, epoch, train_loss, val_loss, archive):
        kept = os.path.join(self.work, os.path.basename(archive))
        shutil.copy(archive, kept)
        self.archives[step] = kept
        if self.kill_after == step:
            print(json.dumps({"archive": kept}), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    def file_slot(self, name):
        return os.path.join(self.work, "slot-" + name)

    def stop_requested(self):
        return None


def train(args):
    """One training run in this process (the driver runs it as a subprocess, so that it can be killed)."""
    from tuneloop_worker.hf_training import train_job

    os.makedirs(args.out, exist_ok=True)
    result = train_job(job_config(args.base, args.quantization), CHATS, args.out, args.resume, Hooks(args.out, args.kill_after))
    print(
        json.dumps(
            {"status": result["status"], "step": result["step"], "output": result.get("output_dir"), "summary": result.get("summary")}
        ),
        flush=True,
    )


def run_train(work, name, base, quantization, kill_after=None, resume=None):
    command = [sys.executable, __file__, "train", "--base", base, "--quantization", quantization, "--out", os.path.join(work, name)]
    command += ["--kill-after", str(kill_after)] if kill_after else []
    command += ["--resume", resume] if resume else []
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, lines, done.stderr[-2000:]


def adapter_difference(a, b):
    from safetensors.torch import load_file

    left, right = load_file(os.path.join(a, "adapter_model.safetensors")), load_file(os.path.join(b, "adapter_model.safetensors"))
    if left.keys() != right.keys():
        return float("inf"), 0.0
    return max((left[k].float() - right[k].float()).abs().max().item() for k in left), max(left[k].float().abs().max().item() for k in left)


def evaluate(base, quantization, adapter_dir, summary):
    from tuneloop_worker.evaluation import run_tasks
    from tuneloop_worker.hf_evaluation import load

    model, tokenizer, generate = load({"baseModel": base, "quantization": quantization}, adapter_dir)
    settings = {
        "seed": 7,
        "validationFraction": 0.2,
        "maxSeqLength": 64,
        "generation": {"maxNewTokens": 12, "temperature": 0.7, "topK": 40},
    }
    tasks = [
        {"key": "perplexity:base", "kind": "PERPLEXITY", "model": "BASE"},
        {"key": "perplexity:adapted", "kind": "PERPLEXITY", "model": "ADAPTED"},
        {
            "key": "knowledge:adapted:0",
            "kind": "MULTIPLE_CHOICE",
            "model": "ADAPTED",
            "questions": [{"id": "q", "question": q, "options": [a, "No.", "Buy lottery tickets."]} for q, a in PAIRS],
        },
        {
            "key": "review:adapted:0",
            "kind": "GENERATE",
            "model": "ADAPTED",
            "prompts": [{"scenarioId": "s", "messages": [{"role": "user", "content": q}]} for q, _ in PAIRS],
        },
    ]
    results = {}
    run_tasks(tasks, model, tokenizer, CHATS, settings, generate, 5, lambda key, result: results.__setitem__(key, result) or True)
    base_ppl, adapted_ppl = results["perplexity:base"]["perplexity"], results["perplexity:adapted"]["perplexity"]
    right = sum(b == 0 for b in results["knowledge:adapted:0"]["best"])
    texts = results["review:adapted:0"]["texts"]
    ok = adapted_ppl < base_ppl and len(texts) == len(PAIRS) and all(isinstance(t, str) for t in texts)
    detail = (
        f"perplexity {base_ppl:.2f} → {adapted_ppl:.2f} (trainer's own eval: {summary.get('baseValPerplexity'):.2f} → {summary.get('adaptedValPerplexity'):.2f}); "
        f"{right}/{len(PAIRS)} trained answers chosen; reply: {texts[0][:40]!r}"
    )
    return ok, detail


def parity(work):
    tsx = os.path.join(REPO, "node_modules", ".bin", "tsx")
    if not os.path.exists(tsx) or not shutil.which("node"):
        return None, "node and `pnpm install` are needed for the TypeScript engine's side"
    build = subprocess.run(
        [
            tsx,
            "-e",
            "import { ensureBaseModel, defaultBaseModelDir } from '@tuneloop/engine'; console.log(await ensureBaseModel(defaultBaseModelDir('tiny'), { size: 'tiny' }))",
        ],
        cwd=os.path.join(REPO, "trainer"),
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        return False, f"building the engine's tiny model failed: {build.stderr[-300:]}"
    model_dir = build.stdout.strip().splitlines()[-1]
    done = subprocess.run([sys.executable, os.path.join(HERE, "check_parity.py"), model_dir], capture_output=True, text=True)
    return done.returncode == 0, (done.stdout.strip().splitlines() or [done.stderr[-300:]])[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vllm_serve(base, adapter_dir, work):
    try:
        import vllm  # noqa: F401
    except ImportError:
        return None, "vllm is not installed"
    port = free_port()
    log = open(os.path.join(work, "vllm.log"), "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            base,
            "--port",
            str(port),
            "--enable-lora",
            "--lora-modules",
            f"job={adapter_dir}",
            "--max-model-len",
            "256",
            "--gpu-memory-utilization",
            "0.3",
            "--enforce-eager",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    return False, f"vllm exited with {server.returncode} (see {log.name})"
                time.sleep(2)
        body = json.dumps({"model": "job", "messages": [{"role": "user", "content": PAIRS[0][0]}], "max_tokens": 12}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions", data=body, headers={"content-type": "application/json"}
        )
        answer = json.load(urllib.request.urlopen(request, timeout=60))
        text = answer["choices"][0]["message"]["content"]
        return isinstance(text, str), f"adapter 'job' answered {text[:40]!r}"
    except Exception as error:  # noqa: BLE001 — any failure is this check's result
        return False, f"{type(error).__name__}: {error}"
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="all", choices=["all", "train"])
    parser.add_argument("--work")
    parser.add_argument("--base")
    parser.add_argument("--quantization", default="none")
    parser.add_argument("--out")
    parser.add_argument("--kill-after", type=int)
    parser.add_argument("--resume")
    args = parser.parse_args()
    if args.command == "train":
        return train(args)

    import torch

    work = args.work or tempfile.mkdtemp(prefix="tuneloop-device-check-")
    if not torch.cuda.is_available():
        report("gpu", False, "no CUDA device")
        return 1
    try:
        import bitsandbytes  # noqa: F401

        quantization = "4bit"
    except ImportError:
        quantization = "none"
    report(
        "gpu",
        True,
        f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, training {'QLoRA (4-bit)' if quantization == '4bit' else 'LoRA (16-bit; no bitsandbytes)'}",
    )

    base = os.path.join(work, "tiny-llama")
    build_tiny_llama(base)
    code, lines, err = run_train(work, "whole", base, quantization)
    whole = lines[-1] if lines else {}
    report(
        "train",
        code == 0 and whole.get("status") == "completed",
        f"{whole.get('step')} steps, loss {whole.get('summary', {}).get('firstTrainLoss')} → {whole.get('summary', {}).get('finalTrainLoss')}"
        if code == 0
        else err,
    )
    if code != 0:
        return 1

    code, lines, err = run_train(work, "killed", base, quantization, kill_after=STEPS_BEFORE_KILL)
    archive = next((line["archive"] for line in lines if "archive" in line), None)
    if code != -signal.SIGKILL or not archive:
        report("resume", False, f"the run was not killed after step {STEPS_BEFORE_KILL} (exit {code}): {err}")
    else:
        code, lines, err = run_train(work, "resumed", base, quantization, resume=archive)
        resumed = lines[-1] if lines else {}
        if code != 0 or resumed.get("status") != "completed":
            report("resume", False, err)
        else:
            difference, scale = adapter_difference(whole["output"], resumed["output"])
            from_step = next((line["resumedFrom"] for line in lines if "resumedFrom" in line), None)
            report(
                "resume",
                difference <= 1e-4 * max(1.0, scale),
                f"killed after step {STEPS_BEFORE_KILL}, resumed from {from_step} to {resumed['step']}; max |Δ adapter| {difference:.2e} (weights up to {scale:.2e})",
            )

    try:
        report("evaluate", *evaluate(base, quantization, whole["output"], whole["summary"]))
    except Exception as error:  # noqa: BLE001
        report("evaluate", False, f"{type(error).__name__}: {error}")
    report("parity", *parity(work))
    report("vllm", *vllm_serve(base, whole["output"], work))
    print(f"{'all checks passed' if not failed else 'FAILED: ' + ', '.join(failed)} (work files in {work})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
