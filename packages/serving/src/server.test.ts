import { mkdtemp, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaModel, LoraAdapter, MODEL_SIZES } from "@tuneloop/engine";
import { tinyBaseModel } from "@tuneloop/engine/testing";
import { createServingServer, Turns } from "./server";

// The serving process's API in the shapes vLLM answers (see the header of server.ts),
// on the tiny built-in model with adapters written by the engine.

const BASE = MODEL_SIZES.tiny.name;
let url: string;
let close: () => void;
let adapterDirs: string[];

async function writeAdapter(seed: number, baseName = BASE): Promise<string> {
  const model = await LlamaModel.load(await tinyBaseModel());
  const adapter = LoraAdapter.create(
    model.config,
    { r: 4, alpha: 8, dropout: 0, targetModules: ["q_proj", "v_proj"], baseModelNameOrPath: baseName },
    seed,
  );
  const dir = await mkdtemp(join(tmpdir(), "tuneloop-adapter-"));
  await adapter.save(dir);
  adapter.dispose();
  model.dispose();
  return dir;
}

const post = (path: string, body: unknown) =>
  fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const chat = (model: string, extra: Record<string, unknown> = {}) =>
  post("/v1/chat/completions", { model, messages: [{ role: "user", content: "Hello" }], max_tokens: 24, ...extra });

beforeAll(async () => {
  adapterDirs = [await writeAdapter(1), await writeAdapter(2)];
  const server = createServingServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
}, 120_000);
afterAll(() => close?.());

describe("the serving process", () => {
  it("loads several adapters on one base model, lists them as its children, and unloads them", async () => {
    const added = await post("/v1/load_lora_adapter", { lora_name: "a", lora_path: adapterDirs[0] });
    expect([added.status, await added.text()]).toEqual([200, "Success: LoRA adapter 'a' added successfully."]);
    expect((await post("/v1/load_lora_adapter", { lora_name: "b", lora_path: adapterDirs[1] })).status).toBe(200);
    const again = await post("/v1/load_lora_adapter", { lora_name: "a", lora_path: adapterDirs[0] });
    expect([again.status, (await again.json()).error.message]).toEqual([400, "The lora adapter 'a' has already been loaded."]);

    const models = (await (await fetch(`${url}/v1/models`)).json()).data;
    expect(models.filter((m: any) => m.parent === BASE).map((m: any) => [m.id, m.root])).toEqual([
      ["a", adapterDirs[0]],
      ["b", adapterDirs[1]],
    ]);

    // A fresh adapter (B = 0) changes nothing: it answers as the base model does.
    const [base, a] = await Promise.all([chat(BASE), chat("a")].map(async (r) => (await (await r).json()).choices[0].message.content));
    expect(a).toBe(base);

    const removed = await post("/v1/unload_lora_adapter", { lora_name: "b" });
    expect([removed.status, await removed.text()]).toEqual([200, "Success: LoRA adapter 'b' removed successfully."]);
    const gone = await chat("b");
    expect([gone.status, (await gone.json()).error]).toEqual([
      404,
      { message: "The model `b` does not exist.", type: "NotFoundError", param: null, code: 404 },
    ]);
    expect((await post("/v1/unload_lora_adapter", { lora_name: "b" })).status).toBe(404);
  });

  it("refuses an adapter trained on a base model it does not serve, and bad requests", async () => {
    const other = await writeAdapter(3, "meta-llama/Llama-3.1-8B-Instruct");
    const refused = await post("/v1/load_lora_adapter", { lora_name: "c", lora_path: other });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.message).toContain('trained on "meta-llama/Llama-3.1-8B-Instruct"');
    await writeFile(join(other, "adapter_config.json"), "not json");
    expect((await post("/v1/load_lora_adapter", { lora_name: "c", lora_path: other })).status).toBe(400);
    expect((await post("/v1/chat/completions", { model: BASE, messages: [] })).status).toBe(400);
  });

  it("gives at most maxRunning generations a turn, lines up maxWaiting more, and refuses the rest with 503 and Retry-After", async () => {
    const turns = new Turns({ maxRunning: 1, maxWaiting: 1 });
    const leaveFirst = await turns.enter();
    let secondIn = false;
    const second = turns.enter().then((leave) => ((secondIn = true), leave));
    await expect(turns.enter()).rejects.toMatchObject({ status: 503, type: "ServiceUnavailableError" });
    expect(secondIn).toBe(false);
    leaveFirst();
    (await second)();
    expect(secondIn).toBe(true);

    const full = createServingServer(undefined, { maxRunning: 0, maxWaiting: 0 });
    await new Promise<void>((resolve) => full.listen(0, "127.0.0.1", resolve));
    try {
      const busy = await fetch(`http://127.0.0.1:${(full.address() as AddressInfo).port}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: BASE, messages: [{ role: "user", content: "Hi" }] }),
      });
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("1");
      expect((await busy.json()).error.type).toBe("ServiceUnavailableError");
    } finally {
      full.close();
    }
  });
});
