"""A tiny causal LM with the Hugging Face forward interface (`model(input_ids=, attention_mask=).logits`),
a LoRA-style adapter with PeftModel's `disable_adapter()` context, and a character tokenizer with
`apply_chat_template`: what evaluation.py needs from transformers + peft, small enough for a CPU test."""
import contextlib
import types

import torch

SPECIAL = {"<pad>": 0, "<eos>": 1, "system": 2, "user": 3, "assistant": 4, "<end>": 5}
CHARS = "abcdefghijklmnopqrstuvwxyz ?!.,'0123456789"
VOCAB = len(SPECIAL) + len(CHARS)


class CharTokenizer:
    pad_token_id = SPECIAL["<pad>"]
    eos_token_id = SPECIAL["<eos>"]

    def encode(self, text):
        return [len(SPECIAL) + CHARS.index(c) for c in text.lower() if c in CHARS]

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False):
        ids = []
        for m in messages:
            ids += [SPECIAL[m["role"]]] + self.encode(m["content"]) + [SPECIAL["<end>"]]
        return ids + ([SPECIAL["assistant"]] if add_generation_prompt else [])

    def decode(self, ids, skip_special_tokens=True):
        return "".join(CHARS[i - len(SPECIAL)] for i in ids if i >= len(SPECIAL))


class TinyLM(torch.nn.Module):
    """Next-token logits from the current token and the mean of the (unmasked) context, so padding
    that leaks into the attention changes the answer; the adapter adds B·A to the output layer."""

    def __init__(self, seed=0, dim=16, rank=4):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.embed = torch.nn.Parameter(torch.randn(VOCAB, dim, generator=g))
        self.out = torch.nn.Parameter(torch.randn(dim, VOCAB, generator=g) * 0.5)
        self.lora_A = torch.nn.Parameter(torch.randn(dim, rank, generator=g))
        self.lora_B = torch.nn.Parameter(torch.randn(rank, VOCAB, generator=g) * 0.5)
        self.adapter_enabled = True

    @contextlib.contextmanager
    def disable_adapter(self):
        self.adapter_enabled = False
        try:
            yield
        finally:
            self.adapter_enabled = True

    def forward(self, input_ids, attention_mask):
        x = self.embed[input_ids]
        m = attention_mask.unsqueeze(-1).float()
        context = (x * m).cumsum(dim=1) / m.cumsum(dim=1).clamp(min=1)
        h = torch.tanh(x + context)
        weight = self.out + (self.lora_A @ self.lora_B if self.adapter_enabled else 0)
        return types.SimpleNamespace(logits=h @ weight)


def sample_generate(model, stop_id=SPECIAL["<eos>"]):
    """`generate` for evaluation.generate_replies, by repeated forward passes: greedy at temperature 0,
    else top-k sampling from a generator seeded per call (what transformers' generate does with a seed)."""

    def generate(input_ids, attention_mask, max_new_tokens, temperature, top_k, seed):
        g = torch.Generator().manual_seed(seed)
        ids, mask = input_ids.clone(), attention_mask.clone()
        new = [[] for _ in range(ids.shape[0])]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                logits = model(input_ids=ids, attention_mask=mask).logits[:, -1]
                if temperature > 0:
                    values, indices = logits.topk(top_k or logits.shape[-1], dim=-1)
                    pick = torch.multinomial(torch.softmax(values / temperature, dim=-1), 1, generator=g)
                    token = indices.gather(-1, pick).squeeze(-1)
                else:
                    token = logits.argmax(dim=-1)
                for row, t in enumerate(token.tolist()):
                    new[row].append(t)
                ids = torch.cat([ids, token.unsqueeze(-1)], dim=1)
                mask = torch.cat([mask, torch.ones_like(token).unsqueeze(-1)], dim=1)
        return new

    return generate
