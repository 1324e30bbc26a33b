"""Chat datasets (JSON Lines, one {"messages": [...]} per line), validated with the
line and field of the first problem — the same rules as packages/engine/src/dataset.ts."""
import json

from .failures import DatasetFormatError

ROLES = {"system", "user", "assistant"}


def parse_chat_jsonl(text):
    chats = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise DatasetFormatError(f"invalid JSON: {error}", number) from error
        if not isinstance(row, dict):
            raise DatasetFormatError("expected a JSON object", number)
        messages = row.get("messages")
        if not isinstance(messages, list):
            raise DatasetFormatError("expected an array of messages", number, "messages")
        if not messages:
            raise DatasetFormatError("a conversation needs at least one message", number, "messages")
        for i, m in enumerate(messages):
            if not isinstance(m, dict):
                raise DatasetFormatError("expected an object", number, f"messages[{i}]")
            if m.get("role") not in ROLES:
                raise DatasetFormatError(
                    f"role must be one of system, user, assistant (got {json.dumps(m.get('role'))})", number, f"messages[{i}].role"
                )
            if not isinstance(m.get("content"), str):
                raise DatasetFormatError("content must be a string", number, f"messages[{i}].content")
        if not any(m["role"] == "assistant" for m in messages):
            raise DatasetFormatError("no assistant message to learn from", number, "messages")
        chats.append({"messages": [{"role": m["role"], "content": m["content"]} for m in messages]})
    return chats
