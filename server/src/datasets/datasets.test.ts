import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { createJob, uploadDataset } from "@tuneloop/testing/fixtures";
import { validateChatJsonl } from "./validate.js";

const chat = (user: string, assistant: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
  });

describe("dataset pre-flight", () => {
  it("names the line and the field of each problem", () => {
    const lines = [
      chat("hi", "hello"),
      "{not json",
      JSON.stringify({
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "" },
        ],
      }),
      JSON.stringify({ messages: [{ role: "user", content: "q" }] }),
      JSON.stringify({
        messages: [
          { role: "robot", content: "beep" },
          { role: "assistant", content: "a" },
        ],
      }),
      JSON.stringify({ prompt: "x" }),
    ];
    const { report } = validateChatJsonl(lines.join("\n"));
    expect(report.valid).toBe(false);
    expect(report.conversationCount).toBe(1);
    expect(report.errors.map((e) => e.message)).toEqual([
      "line 2: not valid JSON",
      "line 3: message 2 has no content",
      "line 4: needs at least one assistant message",
      'line 5: message 1 has role "robot"; use system, user or assistant',
      'line 6: has no "messages" list',
    ]);
    expect(report.errors[1].field).toBe("messages[1].content");
  });

  it("counts conversations, user→assistant pairs and approximate tokens", () => {
    const twoTurns = JSON.stringify({
      messages: [
        { role: "system", content: "be kind" },
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: "c" },
        { role: "assistant", content: "d" },
      ],
    });
    const { report } = validateChatJsonl([twoTurns, chat("x", "y"), ""].join("\n"));
    expect(report).toMatchObject({ valid: true, conversationCount: 2, pairCount: 3 });
    expect(report.tokenCount).toBeGreaterThan(0);
  });
});

describe("dataset upload over GraphQL multipart", () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.login("engineer");
  });
  afterAll(() => app.stop());

  it("stores a valid file with its counts", async () => {
    const result = await uploadDataset(app, token, "tiny", [chat("q1", "a1"), chat("q2", "a2")].join("\n"));
    expect(result.data.uploadDataset).toMatchObject({
      __typename: "UploadDatasetSuccess",
      data: { status: "VALID", conversationCount: 2, pairCount: 2 },
    });
  });

  it("keeps an invalid file with its report, and no job can be created on it", async () => {
    const lines = Array.from({ length: 46 }, (_, i) => chat(`q${i}`, `a${i}`));
    lines.push(
      JSON.stringify({
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "ok" },
          { role: "user", content: "  " },
        ],
      }),
    );
    const result = await uploadDataset(app, token, "broken", lines.join("\n"));
    const dataset = result.data.uploadDataset.data;
    expect(dataset.status).toBe("INVALID");
    expect(dataset.validationReport.errors).toEqual([
      { line: 47, field: "messages[2].content", message: "line 47: message 3 has no content" },
    ]);

    const job = await createJob(app, token, { name: "on broken data", settings: { datasetId: dataset.id } });
    expect(job.data.createTrainingJob).toMatchObject({ __typename: "AppError", code: "DATASET_INVALID", field: "datasetId" });
    expect(await app.services.db.trainingJob.count({ where: { datasetId: dataset.id } })).toBe(0);
  });

  it("refuses empty, binary and nameless uploads with a typed error and stores nothing", async () => {
    const before = await app.services.db.dataset.count();
    const empty = await uploadDataset(app, token, "empty", "");
    expect(empty.data.uploadDataset).toMatchObject({ code: "VALIDATION", field: "file", message: "The file is empty" });
    const binary = await uploadDataset(app, token, "binary", new Uint8Array([0xff, 0xfe, 0x00, 0x81]));
    expect(binary.data.uploadDataset).toMatchObject({ code: "VALIDATION", field: "file" });
    const nameless = await uploadDataset(app, token, "  ", chat("q", "a"));
    expect(nameless.data.uploadDataset).toMatchObject({ code: "VALIDATION", field: "name" });
    expect(await app.services.db.dataset.count()).toBe(before);
  });

  it("shows a preview of the first conversations of the demo dataset", async () => {
    const result = await app.gql(
      `{ datasets { edges { node { name status conversationCount preview { messages { role content } } } } } }`,
      {},
      token,
    );
    const demo = result.data.datasets.edges.map((e: any) => e.node).find((d: any) => d.name.includes("demo"));
    expect(demo.status).toBe("VALID");
    expect(demo.conversationCount).toBeGreaterThanOrEqual(40);
    expect(demo.preview).toHaveLength(3);
    expect(demo.preview[0].messages.map((m: any) => m.role)).toEqual(["system", "user", "assistant"]);
  });

  it("names the line that is not UTF-8, and a content that is not a string", async () => {
    const good = Buffer.from(`${chat("q1", "a1")}\n${chat("q2", "a2")}\n`);
    const latin1 = Buffer.from(
      `${JSON.stringify({
        messages: [
          { role: "user", content: "caf\u00e9" },
          { role: "assistant", content: "a" },
        ],
      })}\n`,
      "latin1",
    );
    const bad = await uploadDataset(app, token, "latin-1", Buffer.concat([good, latin1]));
    expect(bad.data.uploadDataset).toMatchObject({
      code: "VALIDATION",
      field: "file",
      message: expect.stringMatching(/^Line 3 is not UTF-8 text/),
    });

    const numeric = JSON.stringify({
      messages: [
        { role: "user", content: 42 },
        { role: "assistant", content: "a" },
      ],
    });
    const report = (await uploadDataset(app, token, "numeric", [chat("q", "a"), numeric].join("\n"))).data.uploadDataset.data
      .validationReport;
    expect(report.errors).toEqual([
      { line: 2, field: "messages[0].content", message: "line 2: message 1 has content of type number; content must be a string" },
    ]);
  });

  it("serves a preview from what was stored at upload, without reading the file again", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => chat(`q${i}`, `a${i}`));
    const { id } = (await uploadDataset(app, token, "previewed", lines.join("\n"))).data.uploadDataset.data;
    const { storagePath } = await app.services.db.dataset.findUniqueOrThrow({ where: { id } });
    rmSync(join(app.dataDir, "datasets", storagePath));
    const preview = async (first: number) =>
      (await app.gql(`query($id:ID!,$n:Int){ dataset(id:$id){ preview(first:$n){ messages { content } } } }`, { id, n: first }, token)).data
        .dataset.preview;
    expect((await preview(2)).map((c: any) => c.messages[0].content)).toEqual(["q0", "q1"]);
    expect(await preview(500)).toHaveLength(20);
  });

  it("does not let a QA analyst upload", async () => {
    const qa = await app.login("qa");
    const result = await uploadDataset(app, qa, "qa upload", chat("q", "a"));
    expect(result.errors[0].extensions.code).toBe("FORBIDDEN");
  });
});
