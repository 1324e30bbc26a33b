#!/usr/bin/env python3
"""Does Hugging Face see the same model as the TypeScript engine?

Loads a base model written by the engine (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json) with transformers, and a LoRA adapter
written by the engine (adapter_config.json, adapter_model.safetensors) with
peft, then compares with the engine's own output for the same conversation:

  1. token ids of the chat template (tokenizer.json + chat_template vs BpeTokenizer + applyChatTemplate);
  2. logits of the base model;
  3. logits of the base model with the adapter.

The engine's side comes from `tsx trainer/src/parity.ts` (run here through
node_modules/.bin/tsx, so run this from a checkout with `pnpm install` done).
Needs torch, transformers and peft (trainer/python/requirements.txt); runs on
the CPU in float32, with eager attention.

usage: python trainer/python/check_parity.py MODEL_DIR [ADAPTER_DIR] [--tolerance 1e-3] [--chat JSON]
exit status: 0 when everything agrees within the tolerance, 1 when not.

Example, with the small base model and the adapter of a finished job:
  python trainer/python/check_parity.py .cache/base-model/tuneloop-llama-1m ./downloaded-adapter
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CHAT = {
    "messages": [
        {"role": "system", "content": "You are a financial planner."},
        {"role": "user", "content": "Should I pay off my credit card or invest first?"},
        {"role": "assistant", "content": "Pay off the high-interest card first: it is a guaranteed return."},
    ]
}


def engine(*args):
    tsx = os.path.join(REPO, "node_modules", ".bin", "tsx")
    return subprocess.run(
        [tsx, os.path.join(REPO, "trainer", "src", "parity.ts"), *args], check=True, capture_output=True, text=True, cwd=REPO
    ).stdout


def engine_logits(model_dir, adapter_dir, ids, vocab):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "logits.f32")
        engine("logits", model_dir, adapter_dir or "-", json.dumps([ids]), out)
        return np.fromfile(out, dtype="<f4").reshape(len(ids), vocab)


def compare(name, ours, theirs, tolerance):
    diff = np.abs(ours - theirs)
    agree = float(np.mean(ours.argmax(-1) == theirs.argmax(-1)))
    ok = diff.max() <= tolerance and agree == 1.0
    print(
        f"{'ok  ' if ok else 'FAIL'} {name}: max |Δ| {diff.max():.2e} (mean {diff.mean():.2e}, tolerance {tolerance:g}); next-token argmax agrees on {agree:.0%} of positions"
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("adapter_dir", nargs="?")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="largest allowed absolute logit difference (float32 on both sides)")
    parser.add_argument(
        "--chat", type=json.loads, default=DEFAULT_CHAT, help='a conversation as JSON: {"messages": [{"role": …, "content": …}, …]}'
    )
    args = parser.parse_args()
    model_dir = os.path.abspath(args.model_dir)
    adapter_dir = os.path.abspath(args.adapter_dir) if args.adapter_dir else None

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    theirs_ids = list(tokenizer.apply_chat_template(args.chat["messages"], tokenize=True))
    ours_ids = json.loads(engine("tokens", model_dir, json.dumps(args.chat)))
    ok = theirs_ids == ours_ids
    print(
        f"{'ok  ' if ok else 'FAIL'} chat template: {len(ours_ids)} ids from the engine, {len(theirs_ids)} from transformers{'' if ok else f' (engine {ours_ids} vs transformers {theirs_ids})'}"
    )
    ids = ours_ids

    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    vocab = model.config.vocab_size
    with torch.no_grad():
        base = model(torch.tensor([ids])).logits[0].numpy()
    ok &= compare("base model logits", engine_logits(model_dir, None, ids, vocab), base, args.tolerance)

    if adapter_dir:
        adapted_model = PeftModel.from_pretrained(model, adapter_dir)
        adapted_model.eval()
        with torch.no_grad():
            adapted = adapted_model(torch.tensor([ids])).logits[0].numpy()
        ok &= compare("adapted model logits", engine_logits(model_dir, adapter_dir, ids, vocab), adapted, args.tolerance)
        moved = float(np.abs(adapted - base).max())
        print(f"     (the adapter moves the logits by up to {moved:.2e}; a check that cannot fail would show 0 here)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
