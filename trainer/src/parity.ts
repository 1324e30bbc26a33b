// The engine's side of trainer/python/check_parity.py: what the TypeScript
// engine makes of a base model (+ adapter), for the Hugging Face stack to be
// compared against.
//   tsx trainer/src/parity.ts tokens MODEL_DIR CHAT_JSON          → ids of the chat template, as JSON
//   tsx trainer/src/parity.ts logits MODEL_DIR ADAPTER_DIR|- IDS_JSON OUT_F32
//     IDS_JSON: [[id, …], …] (rows of equal length); OUT_F32: little-endian float32 [rows, length, vocab]
import { writeFile } from "node:fs/promises";
import { applyChatTemplate, BpeTokenizer, LlamaModel, LoraAdapter, tf } from "@tuneloop/engine";

const [command, modelDir, ...rest] = process.argv.slice(2);
if (command === "tokens") {
  const tok = await BpeTokenizer.load(modelDir);
  console.log(JSON.stringify(applyChatTemplate(tok, JSON.parse(rest[0])).ids));
} else if (command === "logits") {
  const [adapterDir, idsJson, out] = rest;
  const rows = JSON.parse(idsJson) as number[][];
  const model = await LlamaModel.load(modelDir);
  const adapter = adapterDir && adapterDir !== "-" ? await LoraAdapter.load(adapterDir, model.config) : undefined;
  const logits = tf.tidy(
    () => model.forward(Int32Array.from(rows.flat()), rows.length, rows[0].length, { hook: adapter }).dataSync() as Float32Array,
  );
  await writeFile(out, new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
} else {
  console.error("usage: tsx trainer/src/parity.ts tokens MODEL_DIR CHAT_JSON | logits MODEL_DIR ADAPTER_DIR|- IDS_JSON OUT_F32");
  process.exit(64);
}
