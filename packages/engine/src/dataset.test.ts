import { describe, expect, it } from "vitest";
import { parseChatJsonl } from "./dataset";
import { DatasetFormatError } from "./errors";

const ok = JSON.stringify({
  messages: [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello." },
  ],
});

function errorOf(text: string): DatasetFormatError {
  try {
    parseChatJsonl(text);
  } catch (e) {
    if (e instanceof DatasetFormatError) return e;
    throw e;
  }
  throw new Error("expected a DatasetFormatError");
}

describe("parseChatJsonl", () => {
  it("parses one chat per line and skips blank lines", () => {
    expect(parseChatJsonl(`${ok}\n\n${ok}\n`)).toHaveLength(2);
  });

  it("reports the line and field of the first problem", () => {
    expect(errorOf(`${ok}\n{nope`)).toMatchObject({ line: 2, field: null });
    expect(errorOf(`${ok}\n${ok}\n{"messages":[{"role":"bot","content":"x"}]}`)).toMatchObject({ line: 3, field: "messages[0].role" });
    expect(errorOf('{"messages":[{"role":"assistant","content":3}]}')).toMatchObject({ line: 1, field: "messages[0].content" });
    expect(errorOf('{"messages":[{"role":"user","content":"x"}]}').message).toMatch(/line 1 \(messages\): no assistant message/);
    expect(errorOf("[1]")).toMatchObject({ line: 1, code: "DATASET_FORMAT" });
  });
});
