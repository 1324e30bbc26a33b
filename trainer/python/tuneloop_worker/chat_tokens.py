"""Conversations as token ids for training and evaluation: the model's own chat template,
labels only on the assistant turns, and the trainer's held-out split. No transformers import:
anything with `apply_chat_template` (a Hugging Face tokenizer) works."""
import random

VALIDATION_FRACTION = 0.2
IGNORE = -100


def tokenize_chat(tokenizer, chat, max_len):
    """Token ids of a conversation through the model's chat template, with labels only on the
    assistant turns (-100 elsewhere). Each message's tokens are what the template adds for it."""
    ids, labels = [], []
    for i, message in enumerate(chat["messages"]):
        upto = tokenizer.apply_chat_template(chat["messages"][: i + 1], tokenize=True)
        new = upto[len(ids) :]
        ids = list(upto)
        labels += new if message["role"] == "assistant" else [IGNORE] * len(new)
    # Labels stay aligned with the inputs: transformers shifts them when it computes the loss.
    return {"input_ids": ids[:max_len], "labels": labels[:max_len]}


def split(chats, seed, fraction=VALIDATION_FRACTION):
    """(training, held-out) conversations: the same split for the same seed, in training and in validation."""
    order = list(range(len(chats)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(chats) * fraction)) if len(chats) >= 2 else 0
    return [chats[i] for i in sorted(order[n_val:])], [chats[i] for i in sorted(order[:n_val])]
