import type { AppServices, Viewer } from "../context.js";
import { AppError } from "../errors.js";
import { findOwnJob } from "../jobs/service.js";
import type { JobConfig } from "../jobs/config.js";
import { findOwnVersion } from "../registry/service.js";
import { takeRequest } from "../rateLimits.js";
import { adapterDir } from "./adapterFiles.js";
import { engineFor } from "./engineHost.js";
import type { Chat, ChatMessage, GenerationSettings } from "./engineProtocol.js";

export const GENERATION_LIMITS = { maxNewTokens: 256, defaultMaxNewTokens: 64 };
const MAX_PROMPT_CHARS = 8000;

export type GenerationOptions = { maxNewTokens?: number | null; temperature?: number | null; topK?: number | null; seed?: number | null };

/** Checked generation settings; greedy (temperature 0) unless asked otherwise, so answers are reproducible. */
export function generationSettings(o: GenerationOptions = {}, field = ""): GenerationSettings {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  const maxNewTokens = o.maxNewTokens ?? GENERATION_LIMITS.defaultMaxNewTokens;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > GENERATION_LIMITS.maxNewTokens) {
    throw new AppError("VALIDATION", `max tokens must be between 1 and ${GENERATION_LIMITS.maxNewTokens}`, at("maxNewTokens"));
  }
  const temperature = o.temperature ?? 0;
  if (!(temperature >= 0 && temperature <= 2)) throw new AppError("VALIDATION", "temperature must be between 0 and 2", at("temperature"));
  const topK = o.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0 || topK > 1000) throw new AppError("VALIDATION", "top_k must be a whole number from 0 (all tokens) to 1000", at("topK"));
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new AppError("VALIDATION", "seed must be a non-negative 32-bit integer", at("seed"));
  return { maxNewTokens, temperature, topK, seed };
}

/** Validates a conversation from outside: roles, text, size; the last message must be the user's. */
export function checkMessages(messages: unknown, field = "messages"): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new AppError("VALIDATION", "messages must be a non-empty array of {role, content}", field);
  let chars = 0;
  const out = messages.map((m, i) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (role !== "system" && role !== "user" && role !== "assistant") throw new AppError("VALIDATION", "role must be system, user or assistant", `${field}.${i}.role`);
    if (typeof content !== "string" || !content.trim()) throw new AppError("VALIDATION", "content must be non-empty text", `${field}.${i}.content`);
    chars += content.length;
    return { role, content } as ChatMessage;
  });
  if (chars > MAX_PROMPT_CHARS) throw new AppError("VALIDATION", `The conversation is longer than ${MAX_PROMPT_CHARS} characters`, field);
  if (out[out.length - 1].role !== "user") throw new AppError("VALIDATION", "The last message must be the user's", field);
  return out;
}

/**
 * Generates the adapted (and optionally base) reply of a job's model, queued
 * for the job's organization; `signal` drops what still waits when the client goes away.
 */
async function respond(services: AppServices, job: { id: string; orgId: string; config: unknown }, chat: Chat, settings: GenerationSettings, withBase: boolean, signal?: AbortSignal | null) {
  const baseModel = (job.config as JobConfig).baseModel;
  const engine = engineFor(services.config, "serving");
  const dir = await adapterDir(services, job.id);
  const generate = (adapter: string | null) => engine.run({ kind: "generate", model: { baseModel, adapterDir: adapter }, prompts: [chat], settings }, { owner: job.orgId, signal }).then(([reply]) => reply);
  const [adapted, base] = await Promise.all([generate(dir), withBase ? generate(null) : null]);
  return { adapted, base };
}

/** Inference playground: a prompt answered by the base and the adapted model, side by side. */
export async function playground(
  services: AppServices,
  viewer: Extract<Viewer, { kind: "user" }>,
  input: { jobId?: string | null; modelVersionId?: string | null; prompt: string; system?: string | null; options?: GenerationOptions | null },
  signal?: AbortSignal | null,
) {
  const rate = await takeRequest(services.config, "playground", viewer.userId);
  if (!rate.allowed) throw new AppError("RATE_LIMITED", `You may send ${rate.limit} playground prompts a minute; try again in ${rate.resetSeconds} s`);
  if (!input.jobId === !input.modelVersionId) throw new AppError("VALIDATION", "Give either a job or a model version", "jobId");
  const job = input.jobId
    ? await findOwnJob(services, viewer, input.jobId)
    : await services.db.trainingJob.findUniqueOrThrow({ where: { id: (await findOwnVersion(services, viewer, input.modelVersionId!)).jobId } });
  const messages = checkMessages([...(input.system?.trim() ? [{ role: "system", content: input.system }] : []), { role: "user", content: input.prompt }], "prompt");
  const settings = generationSettings(input.options ?? {}, "options");
  const { base, adapted } = await respond(services, job, { messages }, settings, true, signal);
  return { prompt: input.prompt, base: base!, adapted, settings };
}

/** The deployed version named by an endpoint path; null when there is none to serve. */
export async function deployedVersion(services: AppServices, orgSlug: string, modelName: string, version: string) {
  const model = await services.db.registeredModel.findFirst({ where: { name: modelName, org: { slug: orgSlug } }, include: { org: true } });
  if (!model) return null;
  // "latest" is the newest deployed version; otherwise the exact one, if deployed.
  const found = await services.db.modelVersion.findFirst({
    where: { modelId: model.id, status: "DEPLOYED", ...(version !== "latest" && { version }) },
    orderBy: [{ major: "desc" }, { minor: "desc" }, { patch: "desc" }],
    include: { job: true },
  });
  return found ? { ...found, model } : null;
}

/** A completion from a deployed version, counted in its usage. */
export async function complete(services: AppServices, version: NonNullable<Awaited<ReturnType<typeof deployedVersion>>>, chat: Chat, settings: GenerationSettings, signal: AbortSignal) {
  const { adapted } = await respond(services, version.job, chat, settings, false, signal);
  await services.db.modelVersion.update({ where: { id: version.id }, data: { requestCount: { increment: 1 }, lastRequestAt: new Date() } });
  return adapted;
}
