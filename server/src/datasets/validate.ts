// Pre-flight check of a chat dataset (JSON Lines, one conversation a line):
// every problem names its line and field, so a user can fix the file.
export type ValidationIssue = { line: number; field: string; message: string };
export type ValidationReport = {
  valid: boolean;
  conversationCount: number;
  pairCount: number;
  tokenCount: number;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Errors past this many are counted, not listed. */
  truncatedErrors: number;
};
export type Chat = { messages: { role: "system" | "user" | "assistant"; content: string }[] };

const MAX_LISTED_ERRORS = 100;
const ROLES = new Set(["system", "user", "assistant"]);

const jsonType = (value: unknown) => (Array.isArray(value) ? "array" : typeof value);

/** The 1-based number of the first line that is not valid UTF-8, or null when the whole file is. */
export function firstNonUtf8Line(bytes: Uint8Array): number | null {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return null;
}

/** Rough token count (≈4 characters a token), used for estimates before the trainer tokenizes. */
export const approximateTokens = (text: string) => Math.ceil(text.length / 4);

export function validateChatJsonl(text: string): { report: ValidationReport; chats: Chat[] } {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const chats: Chat[] = [];
  let pairCount = 0;
  let tokenCount = 0;
  let errorCount = 0;
  const fail = (issue: ValidationIssue) => {
    errorCount++;
    if (errors.length < MAX_LISTED_ERRORS) errors.push(issue);
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return fail({ line, field: "", message: `line ${line}: not valid JSON` });
    }
    const messages = (parsed as { messages?: unknown })?.messages;
    if (!Array.isArray(messages)) return fail({ line, field: "messages", message: `line ${line}: has no "messages" list` });
    if (messages.length === 0) return fail({ line, field: "messages", message: `line ${line}: "messages" is empty` });

    let ok = true;
    const roles: string[] = [];
    messages.forEach((m: unknown, i) => {
      const n = i + 1;
      const message = m as { role?: unknown; content?: unknown };
      if (typeof message !== "object" || message === null) {
        ok = false;
        return fail({ line, field: `messages[${i}]`, message: `line ${line}: message ${n} is not an object` });
      }
      if (typeof message.role !== "string" || !ROLES.has(message.role)) {
        ok = false;
        fail({
          line,
          field: `messages[${i}].role`,
          message: `line ${line}: message ${n} has role ${JSON.stringify(message.role ?? null)}; use system, user or assistant`,
        });
      }
      if (message.content != null && typeof message.content !== "string") {
        ok = false;
        fail({
          line,
          field: `messages[${i}].content`,
          message: `line ${line}: message ${n} has content of type ${jsonType(message.content)}; content must be a string`,
        });
      } else if (!message.content?.trim()) {
        ok = false;
        fail({ line, field: `messages[${i}].content`, message: `line ${line}: message ${n} has no content` });
      }
      roles.push(String(message.role));
    });
    if (!ok) return;
    if (!roles.includes("user")) return fail({ line, field: "messages", message: `line ${line}: needs at least one user message` });
    if (!roles.includes("assistant"))
      return fail({ line, field: "messages", message: `line ${line}: needs at least one assistant message` });
    if (roles.indexOf("system") > 0)
      warnings.push({ line, field: "messages", message: `line ${line}: a system message after the first turn is unusual` });

    const chat = parsed as Chat;
    chats.push({ messages: chat.messages.map(({ role, content }) => ({ role, content })) });
    for (let i = 1; i < roles.length; i++) if (roles[i - 1] === "user" && roles[i] === "assistant") pairCount++;
    tokenCount += chat.messages.reduce((sum, m) => sum + approximateTokens(m.content) + 4, 0);
  });

  if (chats.length === 0 && errorCount === 0) fail({ line: 0, field: "file", message: "the file has no conversations" });
  return {
    chats,
    report: {
      valid: errorCount === 0,
      conversationCount: chats.length,
      pairCount,
      tokenCount,
      errors,
      warnings: warnings.slice(0, MAX_LISTED_ERRORS),
      truncatedErrors: Math.max(0, errorCount - errors.length),
    },
  };
}
