// The text files of the delivery bundles: README.txt of the adapter ZIP, and
// the deployment package's inference.py, requirements.txt, README.md and
// example_prompts.json.
import { readFileSync } from "node:fs";

const INFERENCE_PY = readFileSync(new URL("./inference.py.txt", import.meta.url), "utf8");

export type BundleFacts = {
  jobName: string;
  jobId: string;
  baseModel: string;
  config: Record<string, unknown>;
  finishedAt: Date | null;
  files: { name: string; sha256: string; sizeBytes: number }[];
  validation: {
    perplexityBase: number | null;
    perplexityAdapted: number | null;
    perplexityImprovementPct: number | null;
    retentionPct: number | null;
  } | null;
};

const fmt = (x: number | null | undefined, digits = 1) => (x == null ? "n/a" : x.toFixed(digits));

function validationLines(f: BundleFacts): string[] {
  if (!f.validation) return ["Validation: not run yet."];
  const v = f.validation;
  return [
    `Perplexity on held-out conversations: ${fmt(v.perplexityBase)} (base) -> ${fmt(v.perplexityAdapted)} (adapted), ${fmt(v.perplexityImprovementPct, 0)}% improvement`,
    `Knowledge retention: ${fmt(v.retentionPct, 0)}%`,
  ];
}

export function adapterReadme(f: BundleFacts): string {
  const c = f.config;
  return [
    `LoRA adapter: ${f.jobName}`,
    `Training job ${f.jobId}, finished ${f.finishedAt?.toISOString() ?? "n/a"}`,
    "",
    "Files",
    ...f.files.map((file) => `  ${file.name}  ${file.sizeBytes} bytes  sha256 ${file.sha256}`),
    "",
    `Base model: ${f.baseModel} (Llama architecture). The adapter is in PEFT format:`,
    "  from peft import PeftModel",
    '  model = PeftModel.from_pretrained(base_model, "path/to/this/folder")',
    "",
    `Settings: rank ${c.rank}, alpha ${c.alpha}, dropout ${c.dropout}, learning rate ${c.learningRate}, ${c.epochs} epochs, target modules ${(c.targetModules as string[] | undefined)?.join(", ")}`,
    ...validationLines(f),
    "",
    "For a ready-to-run folder (base model, inference script, requirements), download the deployment package.",
    "",
  ].join("\n");
}

/**
 * A Python string literal holding `text` exactly. A JSON string is one: its
 * escapes (\\ \" \n \uXXXX …) mean the same in Python, and the file is UTF-8.
 */
const pythonString = (text: string) => JSON.stringify(text);

/** The files of a built-in base model that a deployment package carries. */
export const BASE_MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] as const;

/** inference.py for the package: the base model is ./base_model (built-in) or a Hugging Face hub id. */
export function inferencePy(systemPrompt: string | null, hubId: string | null): string {
  // Replacer functions: a replacement string would expand $& $` $' found in the dataset's text.
  return INFERENCE_PY.replace("__SYSTEM_PROMPT__", () => pythonString(systemPrompt ?? "")).replace("__BASE_MODEL__", () =>
    hubId === null ? 'os.path.join(HERE, "base_model")' : pythonString(hubId),
  );
}

export const REQUIREMENTS_TXT = ["torch>=2.1", "transformers>=4.40", "peft>=0.10", "safetensors>=0.4", "accelerate>=0.30", ""].join("\n");

/** A shell word holding `text` exactly. */
const shellWord = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** serve_vllm.sh: the base model from the hub with this adapter, behind vLLM's OpenAI-compatible API. */
export function vllmServeScript(hubId: string, rank: number): string {
  // vLLM takes these LoRA ranks; the adapter's rank rounded up.
  const maxRank = [8, 16, 32, 64, 128, 256, 320, 512].find((r) => r >= rank) ?? 512;
  return `#!/bin/sh
# Serves ${hubId.replace(/[^\w./-]/g, "")} with this package's LoRA adapter behind an OpenAI-compatible API (GPU, vLLM >= 0.6):
#   pip install vllm && sh serve_vllm.sh
#   curl http://127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' \\
#     -d '{"model": "adapter", "messages": [{"role": "user", "content": "Hello"}]}'
# Extra arguments go to vllm serve (e.g. --port 8001 --quantization bitsandbytes).
set -e
HERE="$(cd "$(dirname "$0")" && pwd)"
exec vllm serve ${shellWord(hubId)} --enable-lora --max-lora-rank ${maxRank} --lora-modules "adapter=$HERE/adapter" "$@"
`;
}

export function deploymentReadme(f: BundleFacts, includesBaseModel: boolean): string {
  return `# ${f.jobName}: deployment package

A fine-tuned model ready to run with Hugging Face transformers and peft:
the LoRA adapter trained by Tuneloop job \`${f.jobId}\`${includesBaseModel ? " and the base model it was trained on" : ""}.

| Folder or file | What it is |
| --- | --- |
| \`adapter/\` | The LoRA adapter (PEFT format: \`adapter_model.safetensors\`, \`adapter_config.json\`) |
${includesBaseModel ? `| \`base_model/\` | The base model \`${f.baseModel}\` (Llama architecture, weights, tokenizer, chat template) |\n` : ""}| \`inference.py\` | Loads base model + adapter and answers prompts |
| \`requirements.txt\` | Python packages |
| \`example_prompts.json\` | Prompts to try, with the system prompt used in training |
${includesBaseModel ? "" : "| `serve_vllm.sh` | Serves the model with vLLM behind an OpenAI-compatible API (GPU) |\n"}
${includesBaseModel ? "" : `The base model is not in this package: \`inference.py\` and \`serve_vllm.sh\` download \`${f.baseModel}\` from the Hugging Face Hub (set \`HF_TOKEN\` if it is gated), or set \`TUNELOOP_BASE_MODEL\` to a local copy.\n`}
## Quick start

\`\`\`bash
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
python inference.py "How big should my emergency fund be?"
python inference.py --prompts example_prompts.json
\`\`\`

From your own code:

\`\`\`python
from inference import load, reply
tokenizer, model, device = load()
print(reply(tokenizer, model, device, [{"role": "user", "content": "Should I pay off debt or invest first?"}]))
\`\`\`

## Validation

${validationLines(f)
  .map((l) => `- ${l}`)
  .join("\n")}

## Troubleshooting

- **\`ModuleNotFoundError: No module named 'peft'\` (or torch, transformers)**: install the requirements inside the environment you run Python from: \`pip install -r requirements.txt\`.
- **\`KeyError: 'llama'\` or \`Unrecognized configuration class\`**: transformers is too old; upgrade with \`pip install -U "transformers>=4.40"\`.
- **\`size mismatch for base_model.model...lora_A\`**: the adapter is loaded on a different base model than it was trained on. ${includesBaseModel ? "Use the included `base_model/`, or set" : "Set"} \`TUNELOOP_BASE_MODEL\` to the exact model \`${f.baseModel}\`.
- **\`Cannot use chat template functions because tokenizer.chat_template is not set\`**: load the tokenizer from \`base_model/\` (its \`tokenizer_config.json\` carries the chat template), not from another model.
- **Answers run on or repeat**: generation stops at the \`<|end|>\` token; keep \`--max-new-tokens\` small (the base model's window is ${"`max_position_embeddings`"} tokens in \`base_model/config.json\`) and leave temperature at 0 for deterministic answers.
- **\`CUDA out of memory\`**: run on CPU (\`CUDA_VISIBLE_DEVICES= python inference.py ...\`) or free the GPU; this model is small and runs well on CPU.
- **Different answers from the Tuneloop playground**: both use greedy decoding by default; sampling (\`--temperature\` above 0) changes answers from run to run.
`;
}

export function examplePromptsJson(systemPrompt: string | null, prompts: string[]): string {
  return `${JSON.stringify({ system: systemPrompt, prompts: prompts.map((prompt) => ({ prompt })) }, null, 2)}\n`;
}
