import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yauzl from "yauzl";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { trainTinyJob } from "../validation/testKit.js";
import { financeChatsJsonl } from "../validation/trainedJob.js";
import { queueJob } from "../workers/testKit.js";
import { signDownload } from "../artifacts/signing.js";
import { defaultBaseModelDir } from "../../../trainer/src/engine/pretrain";

let app: TestApp;
let jobId: string;
let engineer: string;

/** A dataset's system prompt with what JavaScript replacement patterns, Python string syntax and encodings trip over. */
const SYSTEM_PROMPT = `You advise on money. $\` $& $' $$ "double" 'single' \\ \\n """triple"""\nsecond line\ttab é ü 中文 😀 \u2028.\n") ; import os #`;

beforeAll(async () => {
  app = await startTestApp();
  // One conversation carries the system prompt; the deployment package's inference.py embeds it.
  const chatsJsonl = `${financeChatsJsonl()}\n${JSON.stringify({ messages: [{ role: "system", content: SYSTEM_PROMPT }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello." }] })}`;
  ({ jobId, session: engineer } = await trainTinyJob(app, { validationFollows: false, name: "Advisor voice v1", chatsJsonl }));
}, 300_000);
afterAll(() => app?.stop());

const LINK = `mutation($j:ID!,$k:DeliveryKind!){ createDownloadLink(jobId:$j, kind:$k){ __typename ... on AppError { code message field }
  ... on CreateDownloadLinkSuccess { data { url expiresAt artifact { id name sizeBytes sha256 } } } } }`;

async function link(kind: string, token = engineer) {
  const r = await app.gql(LINK, { j: jobId, k: kind }, token);
  return r.data.createDownloadLink;
}

/** Every entry of a ZIP, read back with yauzl. */
function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const files = new Map<string, Buffer>();
      zip.on("entry", (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve(files));
      zip.readEntry();
    });
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("downloads", () => {
  it("gives a 24-hour signed link to the adapter ZIP, records every download, and refuses expired or altered links", async () => {
    const { data } = await link("ADAPTER_ZIP");
    expect(data.artifact.name).toBe("advisor-voice-v1-adapter.zip");
    expect(new Date(data.expiresAt).getTime() - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);
    const expires = Number(new URL(data.url).searchParams.get("expires"));
    expect(expires * 1000 - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const response = await fetch(data.url);
    expect(response.status).toBe(200);
    const zip = Buffer.from(await response.arrayBuffer());
    expect(sha(zip)).toBe(data.artifact.sha256);
    const files = await unzip(zip);
    expect([...files.keys()].sort()).toEqual(["README.txt", "adapter_config.json", "adapter_model.safetensors"]);
    const uploaded = await app.services.db.artifact.findFirstOrThrow({ where: { jobId, kind: "adapter_model" } });
    expect(sha(files.get("adapter_model.safetensors")!)).toBe(uploaded.sha256);
    const adapterConfig = JSON.parse(files.get("adapter_config.json")!.toString());
    expect(adapterConfig.peft_type).toBe("LORA");
    // The base model by its name, not a folder of the machine that trained it.
    expect(adapterConfig.base_model_name_or_path).toBe("tuneloop-llama-tiny");
    expect(files.get("README.txt")!.toString()).toContain(uploaded.sha256);

    // A second link serves the same file; each download is recorded with who asked for the link.
    const qa = await app.login("qa");
    const second = await link("ADAPTER_ZIP", qa);
    expect(second.data.artifact.id).toBe(data.artifact.id);
    expect((await fetch(second.data.url)).status).toBe(200);
    const audit = await app.gql(`query($j:ID!){ job(id:$j){ deliveries { kind downloadCount downloads { user { email } createdAt } } } }`, { j: jobId }, engineer);
    const zipDelivery = audit.data.job.deliveries.find((d: any) => d.kind === "adapter_zip");
    expect(zipDelivery.downloadCount).toBe(2);
    expect(zipDelivery.downloads.map((d: any) => d.user.email).sort()).toEqual(["engineer@demo.tuneloop.dev", "qa@demo.tuneloop.dev"]);

    // The signature covers the expiry and the user: changing either refuses the link.
    const tampered = new URL(data.url);
    tampered.searchParams.set("expires", String(expires + 3600));
    expect((await fetch(tampered)).status).toBe(403);
    // A link made 24 hours and one second ago has expired.
    const user = new URL(data.url).searchParams.get("u");
    const stale = `${app.url}/api/artifacts/${data.artifact.id}?${signDownload(app.services.config.artifactSigningSecret, data.artifact.id, user, Date.now() - (24 * 3600 + 1) * 1000)}`;
    const expired = await fetch(stale);
    expect(expired.status).toBe(403);
    expect((await expired.json()).error.code).toBe("LINK_EXPIRED");
    expect(await app.services.db.download.count({ where: { artifactId: data.artifact.id } })).toBe(2);
  });

  it("builds a deployment package with the adapter, the base model, inference.py, requirements, README and example prompts", async () => {
    const { data } = await link("DEPLOYMENT_PACKAGE");
    const files = await unzip(Buffer.from(await (await fetch(data.url)).arrayBuffer()));
    expect([...files.keys()].sort()).toEqual([
      "README.md",
      "adapter/adapter_config.json",
      "adapter/adapter_model.safetensors",
      "base_model/config.json",
      "base_model/model.safetensors",
      "base_model/tokenizer.json",
      "base_model/tokenizer_config.json",
      "example_prompts.json",
      "inference.py",
      "requirements.txt",
    ]);
    // The base model is the one the adapter was trained on, byte for byte.
    const baseDir = defaultBaseModelDir("tiny");
    expect(sha(files.get("base_model/model.safetensors")!)).toBe(sha(readFileSync(join(baseDir, "model.safetensors"))));
    expect(JSON.parse(files.get("base_model/tokenizer_config.json")!.toString()).chat_template).toContain("<|");
    const inference = files.get("inference.py")!.toString();
    expect(inference).toContain("from peft import PeftModel");
    expect(inference).toContain("PeftModel.from_pretrained(model, adapter)");
    // It is valid Python, and SYSTEM_PROMPT holds the dataset's system prompt exactly (nothing else got in).
    const read = `import ast, json, sys
tree = ast.parse(sys.stdin.read())
[value] = [n.value for n in tree.body if isinstance(n, ast.Assign) and [t.id for t in n.targets if isinstance(t, ast.Name)] == ["SYSTEM_PROMPT"]]
print(json.dumps(ast.literal_eval(value)))`;
    expect(JSON.parse(execFileSync("/usr/bin/python3", ["-c", read], { input: inference }).toString())).toBe(SYSTEM_PROMPT);
    expect(JSON.parse(files.get("example_prompts.json")!.toString()).system).toBe(SYSTEM_PROMPT);
    expect(files.get("requirements.txt")!.toString()).toMatch(/^transformers>=/m);
    expect(files.get("requirements.txt")!.toString()).toMatch(/^peft>=/m);
    expect(files.get("README.md")!.toString()).toContain("## Troubleshooting");
    const prompts = JSON.parse(files.get("example_prompts.json")!.toString());
    expect(prompts.prompts.map((p: any) => p.prompt)).toContain("How big should my emergency fund be?");
  });

  it("exports the metric history as CSV and JSON", async () => {
    const points = await app.services.db.metricPoint.count({ where: { jobId } });
    const csv = await (await fetch((await link("METRICS_CSV")).data.url)).text();
    const lines = csv.trim().split("\n");
    expect(lines[0]).toBe("name,step,value,epoch,wall_time");
    expect(lines.length - 1).toBe(points);
    expect(lines.some((l) => l.startsWith("train_loss,1,"))).toBe(true);
    const json = await (await fetch((await link("METRICS_JSON")).data.url)).json();
    expect(json.series.reduce((n: number, s: any) => n + s.points.length, 0)).toBe(points);
  });

  it("refuses jobs that have not completed", async () => {
    jobId = await queueJob(app, "not yet");
    expect(await link("ADAPTER_ZIP")).toMatchObject({ code: "CONFLICT", field: "jobId" });
  });
});
