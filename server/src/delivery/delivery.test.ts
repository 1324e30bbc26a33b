import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import yauzl from "yauzl";
import { startTestApp, type TestApp } from "@tuneloop/testing/app";
import { trainTinyJob } from "@tuneloop/testing/validation";
import { financeChatsJsonl } from "@tuneloop/testing/trainedJob";
import { queueJob } from "@tuneloop/testing/workerApi";
import { signDownload } from "../artifacts/signing.js";
import { defaultBaseModelDir } from "@tuneloop/engine";

let app: TestApp;
let jobId: string;
let engineer: string;

/** A dataset's system prompt with what JavaScript replacement patterns, Python string syntax and encodings trip over. */
const SYSTEM_PROMPT = `You advise on money. $\` $& $' $$ "double" 'single' \\ \\n """triple"""\nsecond line\ttab é ü 中文 😀 \u2028.\n") ; import os #`;

beforeAll(async () => {
  app = await startTestApp();
  // One conversation carries the system prompt; the deployment package's inference.py embeds it.
  const chatsJsonl = `${financeChatsJsonl()}\n${JSON.stringify({
    messages: [
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
    ],
  })}`;
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
    const audit = await app.gql(
      `query($j:ID!){ job(id:$j){ deliveries { kind downloadCount downloads { user { email } createdAt } } } }`,
      { j: jobId },
      engineer,
    );
    const zipDelivery = audit.data.job.deliveries.find((d: any) => d.kind === "adapter_zip");
    expect(zipDelivery.downloadCount).toBe(2);
    expect(zipDelivery.downloads.map((d: any) => d.user.email).sort()).toEqual(["engineer@demo.tuneloop.dev", "qa@demo.tuneloop.dev"]);

    // The signature covers the expiry and the user: changing either refuses the link.
    const tampered = new URL(data.url);
    tampered.searchParams.set("expires", String(expires + 3600));
    expect((await fetch(tampered)).status).toBe(403);
    // A link made 24 hours and one second ago has expired.
    const user = new URL(data.url).searchParams.get("u");
    const stale = `${app.url}/api/artifacts/${data.artifact.id}?${signDownload(app.services.keys.artifactSigning, data.artifact.id, user, Date.now() - (24 * 3600 + 1) * 1000)}`;
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

  it("ships an inference.py that runs against the files it ships and answers as the playground does", async () => {
    const { data } = await link("DEPLOYMENT_PACKAGE");
    const files = await unzip(Buffer.from(await (await fetch(data.url)).arrayBuffer()));
    const dir = mkdtempSync(join(tmpdir(), "tuneloop-package-"));
    for (const [name, content] of files) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    // torch, transformers and peft are not installed here (CI has numpy): the runner stands in for them with numpy
    // (./numpyRuntime: a byte-level BPE tokenizer and jinja2 chat template, and the independent numpy Llama of
    // packages/engine/scripts/hf_llama_reference.py with the adapter merged). What it cannot run: sampling, GPUs.
    const runtime = [join(import.meta.dirname, "numpyRuntime"), resolve(import.meta.dirname, "../../../packages/engine/scripts")].join(":");
    const python = (args: string[]) =>
      execFileSync("/usr/bin/python3", args, { cwd: dir, env: { ...process.env, PYTHONPATH: runtime }, encoding: "utf8" });
    const question = "How big should my emergency fund be?";
    const script = `import json, inference
tokenizer, model, device = inference.load()
print(json.dumps(inference.reply(tokenizer, model, device, [{"role": "user", "content": ${JSON.stringify(question)}}], max_new_tokens=8)))`;
    const answer = JSON.parse(python(["-c", script]));
    const play = await app.gql(
      `query($j:ID!,$p:String!){ playground(jobId:$j, prompt:$p, options:{maxNewTokens:8}){ adapted { text } } }`,
      { j: jobId, p: question },
      engineer,
    );
    expect(answer.length).toBeGreaterThan(0);
    expect(answer).toBe(play.data.playground.adapted.text.trim());
    // The command line too, with the dataset's system prompt (longer than the tiny model's window: the oldest tokens go).
    expect(python(["inference.py", "--max-new-tokens", "4", question]).trim().length).toBeGreaterThan(0);
  });

  it("references a Hugging Face base model by its hub id, with a vLLM serve command, instead of bundling it", async () => {
    const hubId = "meta-llama/Llama-3.1-8B-Instruct";
    const db = app.services.db;
    const { id: _id, createdAt: _c, updatedAt: _u, config, ...job } = await db.trainingJob.findUniqueOrThrow({ where: { id: jobId } });
    const copy = await db.trainingJob.create({
      data: { ...job, name: "Advisor on Llama", config: { ...(config as object), baseModel: hubId, rank: 16 } },
    });
    for (const { id: _a, jobId: _j, createdAt: _t, ...artifact } of await db.artifact.findMany({
      where: { jobId, kind: { in: ["adapter_model", "adapter_config"] } },
    })) {
      await db.artifact.create({ data: { ...artifact, jobId: copy.id } });
    }
    const r = await app.gql(LINK, { j: copy.id, k: "DEPLOYMENT_PACKAGE" }, engineer);
    const files = await unzip(Buffer.from(await (await fetch(r.data.createDownloadLink.data.url)).arrayBuffer()));
    expect([...files.keys()].sort()).toEqual([
      "README.md",
      "adapter/adapter_config.json",
      "adapter/adapter_model.safetensors",
      "example_prompts.json",
      "inference.py",
      "requirements.txt",
      "serve_vllm.sh",
    ]);
    const base = `import ast, json, sys
tree = ast.parse(sys.stdin.read())
[value] = [n.value for n in tree.body if isinstance(n, ast.Assign) and [t.id for t in n.targets if isinstance(t, ast.Name)] == ["BASE_MODEL"]]
print(json.dumps(ast.literal_eval(value.args[1])))`;
    expect(JSON.parse(execFileSync("/usr/bin/python3", ["-c", base], { input: files.get("inference.py")! }).toString())).toBe(hubId);
    const serve = files.get("serve_vllm.sh")!.toString();
    expect(serve).toContain(`exec vllm serve '${hubId}' --enable-lora --max-lora-rank 16 --lora-modules "adapter=$HERE/adapter"`);
    execFileSync("sh", ["-n"], { input: serve });
    expect(files.get("README.md")!.toString()).toContain(`download \`${hubId}\` from the Hugging Face Hub`);
    expect(files.get("requirements.txt")!.toString()).toMatch(/^peft>=/m);
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
