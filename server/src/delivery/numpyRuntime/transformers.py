"""AutoTokenizer and AutoModelForCausalLM for the numpy runner (see torch.py).

The tokenizer reads tokenizer.json (byte-level BPE, added tokens) and renders
the chat template from tokenizer_config.json with jinja2, as transformers does;
the model is hf_llama_reference.py's independent port of LlamaForCausalLM, and
generate() is greedy decoding (sampling is not part of the runner).
"""
import json
import os
import re

import jinja2.sandbox
import numpy as np

import torch
from hf_llama_reference import forward, read_safetensors

# GPT-2's pre-tokenizer pattern ('s|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+) in Python's re.
PRE_TOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def _byte_alphabet():
    """GPT-2's byte -> printable character map (the ByteLevel pre-tokenizer and decoder)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


class AutoTokenizer:
    @classmethod
    def from_pretrained(cls, folder):
        return cls(folder)

    def __init__(self, folder):
        with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
            spec = json.load(f)
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            self.config = json.load(f)
        self.vocab = dict(spec["model"]["vocab"])
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in spec["model"]["merges"]]
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.added = {t["content"]: t["id"] for t in spec["added_tokens"]}
        self.special_ids = {t["id"] for t in spec["added_tokens"] if t["special"]}
        self.vocab.update(self.added)
        self.tokens = {i: t for t, i in self.vocab.items()}
        self.bytes_to_chars = _byte_alphabet()
        self.chars_to_bytes = {c: b for b, c in self.bytes_to_chars.items()}
        self.added_pattern = re.compile("(" + "|".join(re.escape(t) for t in sorted(self.added, key=len, reverse=True)) + ")")
        for name in ("bos_token", "eos_token", "pad_token", "unk_token"):
            token = self.config.get(name)
            setattr(self, name, token)
            setattr(self, name + "_id", self.vocab.get(token) if token else None)

    def convert_tokens_to_ids(self, token):
        return self.vocab.get(token, self.unk_token_id)

    def _bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), float("inf")), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == float("inf"):
                break
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        return parts

    def encode(self, text):
        ids = []
        for segment in self.added_pattern.split(text):
            if segment in self.added:
                ids.append(self.added[segment])
                continue
            for word in PRE_TOKENIZE.findall(segment):
                mapped = "".join(self.bytes_to_chars[b] for b in word.encode("utf-8"))
                ids.extend(self.vocab[part] for part in self._bpe(mapped))
        return ids

    def apply_chat_template(self, messages, add_generation_prompt=False, return_tensors=None):
        env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        text = env.from_string(self.config["chat_template"]).render(
            messages=messages, add_generation_prompt=add_generation_prompt, bos_token=self.bos_token or "", eos_token=self.eos_token or ""
        )
        ids = self.encode(text)
        return torch.tensor([ids]) if return_tensors == "pt" else ids

    def decode(self, ids, skip_special_tokens=False):
        data = b""
        for i in map(int, ids):
            if i in self.special_ids and skip_special_tokens:
                continue
            token = self.tokens[i]
            data += token.encode("utf-8") if token in self.added else bytes(self.chars_to_bytes[c] for c in token)
        return data.decode("utf-8", errors="replace")


class _Config:
    def __init__(self, values):
        self.__dict__.update(values)


class AutoModelForCausalLM:
    @classmethod
    def from_pretrained(cls, folder, torch_dtype=None):
        return cls(folder)

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            self.values = json.load(f)
        self.config = _Config(self.values)
        self.weights = read_safetensors(os.path.join(folder, "model.safetensors"))

    def to(self, device):
        return self

    def eval(self):
        return self

    def generate(
        self, input_ids, attention_mask=None, max_new_tokens=20, eos_token_id=None, pad_token_id=None, do_sample=False, **sampling
    ):
        if do_sample:
            raise NotImplementedError("the numpy runner decodes greedily only")
        stops = set(eos_token_id if isinstance(eos_token_id, (list, tuple)) else [eos_token_id])
        ids = [int(i) for i in input_ids[0]]
        for _ in range(max_new_tokens):
            logits = forward(self.values, self.weights, np.array([ids], dtype=np.int64))
            ids.append(int(np.argmax(logits[0, -1])))
            if ids[-1] in stops:
                break
        return torch.tensor([ids])
