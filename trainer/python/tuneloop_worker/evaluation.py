"""A validation run's tasks, computed with any causal LM that has the Hugging Face forward
interface — `model(input_ids=..., attention_mask=...).logits` — and, for the base side,
PeftModel's `disable_adapter()` context. The same task contract as the TypeScript worker
(trainer/src/worker/validationRun.ts):

- PERPLEXITY: token-weighted mean negative log-likelihood of the assistant tokens of the
  held-out conversations (the trainer's own split), batched and right-padded;
- MULTIPLE_CHOICE: each option as the assistant's reply, the highest mean log-probability
  per token wins (a sum would favour short options);
- GENERATE: a sampled reply per prompt, through the chat template's generation prompt.

Only loading the model and calling `generate` are transformers' (hf_evaluation.py); the rest
is here and tested with a tiny torch model (trainer/python/tests)."""
import contextlib
import math
import time

import torch

from .chat_tokens import IGNORE, split, tokenize_chat


def pad_rows(rows, pad_id):
    """Right-padded input_ids, attention_mask and labels tensors of tokenized rows."""
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"])
        mask[i, :n] = 1
        labels[i, :n] = torch.tensor(r["labels"])
    return ids, mask, labels


def row_nll(model, rows, pad_id, batch_size):
    """(summed negative log-likelihood, loss tokens) of each row; label t is predicted from the tokens before it."""
    out = []
    device = _device_of(model)
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            ids, mask, labels = pad_rows(rows[start : start + batch_size], pad_id)
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float().cpu()
            targets = labels[:, 1:]
            logp = torch.log_softmax(logits[:, :-1], dim=-1)
            picked = logp.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            keep = targets != IGNORE
            nll = -(picked * keep).sum(dim=1)
            out += list(zip(nll.tolist(), keep.sum(dim=1).tolist()))
    return out


def perplexity(model, tokenizer, chats, max_len, batch_size=8):
    """Held-out perplexity; conversations without an assistant token within max_len carry no loss."""
    rows = [r for r in (tokenize_chat(tokenizer, c, max_len) for c in chats) if any(label != IGNORE for label in r["labels"][1:])]
    if not rows:
        raise ValueError("no held-out conversation has an assistant reply within maxSeqLength")
    results = row_nll(model, rows, pad_id_of(tokenizer), batch_size)
    total = sum(n for n, _ in results)
    tokens = sum(t for _, t in results)
    loss = total / tokens
    return {"loss": loss, "perplexity": math.exp(loss), "tokens": int(tokens), "conversations": len(chats)}


def choose_options(model, tokenizer, question, options, batch_size=8):
    """Index of the option with the highest mean log-probability per token, as the assistant's reply."""
    rows = [
        tokenize_chat(tokenizer, {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": o}]}, 1 << 30)
        for o in options
    ]
    scores = [-n / max(t, 1) for n, t in row_nll(model, rows, pad_id_of(tokenizer), batch_size)]
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def generate_replies(generate, tokenizer, prompts, settings, seed):
    """Sampled replies to chat prompts. `generate(input_ids, attention_mask, max_new_tokens, temperature, top_k, seed)`
    returns the new token ids of each (left-padded) row; the text ends at the first end-of-sequence token."""
    rows = [tokenizer.apply_chat_template(p["messages"], tokenize=True, add_generation_prompt=True) for p in prompts]
    width = max(len(r) for r in rows)
    pad = pad_id_of(tokenizer)
    # Left padding: every row's next token comes right after its own prompt.
    ids = torch.tensor([[pad] * (width - len(r)) + list(r) for r in rows], dtype=torch.long)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
    new = generate(ids, mask, settings["maxNewTokens"], settings["temperature"], settings["topK"], seed)
    stops = set(_as_list(tokenizer.eos_token_id))
    texts = []
    for tokens in new:
        tokens = list(tokens)
        end = next((i for i, t in enumerate(tokens) if t in stops), len(tokens))
        texts.append(tokenizer.decode(tokens[:end], skip_special_tokens=True).strip())
    return texts


def side(model, which):
    """The base model is the adapted one with its adapter disabled (PeftModel.disable_adapter)."""
    return model.disable_adapter() if which == "BASE" else contextlib.nullcontext()


def held_out(chats, settings):
    """The conversations the trainer held out: its own split, with the job's seed."""
    return split(chats, settings["seed"], settings["validationFraction"])[1]


def compute(task, model, tokenizer, chats, settings, generate, review_seed, batch_size=8):
    """One task's result, in the shape reportValidationResult expects for its kind."""
    started = time.monotonic()
    with side(model, task["model"]):
        if task["kind"] == "PERPLEXITY":
            result = perplexity(model, tokenizer, held_out(chats, settings), settings["maxSeqLength"], batch_size)
        elif task["kind"] == "MULTIPLE_CHOICE":
            result = {"best": [choose_options(model, tokenizer, q["question"], q["options"], batch_size) for q in task["questions"]]}
        elif task["kind"] == "GENERATE":
            result = {"texts": generate_replies(generate, tokenizer, task["prompts"], settings["generation"], review_seed)}
        else:
            raise ValueError(f"unknown validation task kind {task['kind']}")
    return {**result, "ms": (time.monotonic() - started) * 1000}


def run_tasks(tasks, model, tokenizer, chats, settings, generate, review_seed, report, batch_size=8):
    """Computes the tasks in order and reports each as soon as it is done; stops (returns False) when a report is refused."""
    for task in tasks:
        if not report(task["key"], compute(task, model, tokenizer, chats, settings, generate, review_seed, batch_size)):
            return False
    return True


def pad_id_of(tokenizer):
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else _as_list(tokenizer.eos_token_id)[0]


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _device_of(model):
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")
