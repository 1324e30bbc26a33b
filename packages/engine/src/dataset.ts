// Parsing chat datasets (JSON Lines, one {"messages": [...]} per line) into
// validated Chat objects, reporting the first bad line and field.
import type { Chat, ChatRole } from "./chat";
import { DatasetFormatError } from "./errors";

const ROLES: ReadonlySet<string> = new Set<ChatRole>(["system", "user", "assistant"]);

/** Validate one parsed row; `line` is used for error messages. */
export function validateChat(row: unknown, line: number): Chat {
  if (typeof row !== "object" || row === null || Array.isArray(row)) throw new DatasetFormatError("expected a JSON object", line);
  const messages = (row as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) throw new DatasetFormatError("expected an array of messages", line, "messages");
  if (messages.length === 0) throw new DatasetFormatError("a conversation needs at least one message", line, "messages");
  let hasAssistant = false;
  const out = messages.map((m, i) => {
    if (typeof m !== "object" || m === null) throw new DatasetFormatError("expected an object", line, `messages[${i}]`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || !ROLES.has(role)) {
      throw new DatasetFormatError(
        `role must be one of system, user, assistant (got ${JSON.stringify(role)})`,
        line,
        `messages[${i}].role`,
      );
    }
    if (typeof content !== "string") throw new DatasetFormatError("content must be a string", line, `messages[${i}].content`);
    if (role === "assistant") hasAssistant = true;
    return { role: role as ChatRole, content };
  });
  if (!hasAssistant) throw new DatasetFormatError("no assistant message to learn from", line, "messages");
  return { messages: out };
}

/** Parse JSONL text; blank lines are skipped. Throws DatasetFormatError on the first invalid line. */
export function parseChatJsonl(text: string): Chat[] {
  const chats: Chat[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new DatasetFormatError(`invalid JSON: ${(e as Error).message}`, i + 1);
    }
    chats.push(validateChat(row, i + 1));
  });
  return chats;
}
