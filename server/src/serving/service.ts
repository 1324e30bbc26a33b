import type { AppServices, UserViewer } from "../context.js";
import type { Db } from "../db/client.js";
import { AppError } from "../errors.js";
import { findOwnJob } from "../jobs/service.js";
import type { JobConfig } from "../jobs/config.js";
import { raiseAlert } from "../notifications/alerts.js";
import { findOwnVersion } from "../registry/service.js";
import { adapterArtifacts, adapterDir } from "./adapterFiles.js";
import {
  BackendUnavailableError,
  ModelNotLoadedError,
  type ChatMessage,
  type Completion,
  type CompletionPiece,
  type CompletionRequest,
  type GenerationSettings,
  type InferenceBackend,
} from "./backend.js";
import { checkServesBase } from "./backends.js";

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
  if (!Number.isInteger(topK) || topK < 0 || topK > 1000)
    throw new AppError("VALIDATION", "top_k must be a whole number from 0 (all tokens) to 1000", at("topK"));
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1)
    throw new AppError("VALIDATION", "seed must be a non-negative 32-bit integer", at("seed"));
  return { maxNewTokens, temperature, topK, seed };
}

/** Validates a conversation from outside: roles, text, size; the last message must be the user's. */
export function checkMessages(messages: unknown, field = "messages"): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new AppError("VALIDATION", "messages must be a non-empty array of {role, content}", field);
  let chars = 0;
  const out = messages.map((m, i) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (role !== "system" && role !== "user" && role !== "assistant")
      throw new AppError("VALIDATION", "role must be system, user or assistant", `${field}.${i}.role`);
    if (typeof content !== "string" || !content.trim())
      throw new AppError("VALIDATION", "content must be non-empty text", `${field}.${i}.content`);
    chars += content.length;
    return { role, content } as ChatMessage;
  });
  if (chars > MAX_PROMPT_CHARS) throw new AppError("VALIDATION", `The conversation is longer than ${MAX_PROMPT_CHARS} characters`, field);
  if (out[out.length - 1].role !== "user") throw new AppError("VALIDATION", "The last message must be the user's", field);
  return out;
}

type ServedJob = { id: string; orgId: string; config: unknown; status?: string };

/** The name an adapter answers to on its backend: one per trained adapter file, shared by the playground and every version of the job. */
async function adapterName(services: AppServices, job: ServedJob): Promise<string> {
  const names = services.inference.adapterNames;
  const known = names.get(job.id);
  if (known) return known;
  const { model } = await adapterArtifacts(services, job.id);
  const name = `tuneloop-${model.id}`;
  if (job.status === "COMPLETED") {
    if (names.size >= 10_000) names.delete(names.keys().next().value!);
    names.set(job.id, name);
  }
  return name;
}

/** Loads a job's adapter onto its backend (the files unpacked where the backend reads them). */
async function loadAdapter(services: AppServices, backend: InferenceBackend, job: ServedJob, name: string, signal?: AbortSignal | null) {
  await backend.loadAdapter(name, await adapterDir(services, job.id), signal ?? undefined);
}

/**
 * Runs one backend request for a job's model in the organization's turn. An
 * adapter the backend does not know (never loaded, or dropped by a restart) is
 * loaded and the request sent once more.
 */
async function onBackend<T>(
  services: AppServices,
  job: ServedJob,
  adapted: boolean,
  signal: AbortSignal | null | undefined,
  send: (backend: InferenceBackend, model: string) => Promise<T>,
): Promise<T> {
  const baseModel = (job.config as JobConfig).baseModel;
  const { backend, queue } = services.inference.forModel(baseModel);
  const model = adapted ? await adapterName(services, job) : baseModel;
  return queue.run(
    job.orgId,
    async () => {
      try {
        return await send(backend, model);
      } catch (error) {
        if (!(error instanceof ModelNotLoadedError)) throw error;
        if (adapted) await loadAdapter(services, backend, job, model, signal);
        return send(backend, model).catch((again) => {
          // Still unknown after loading (or a base model it does not serve): the backend cannot answer for this model.
          throw again instanceof ModelNotLoadedError ? new BackendUnavailableError(backend.kind, again.message) : again;
        });
      }
    },
    signal,
  );
}

const request = (model: string, chat: { messages: ChatMessage[] }, settings: GenerationSettings): CompletionRequest => ({
  model,
  messages: chat.messages,
  settings,
});

/** The adapted (and optionally base) reply of a job's model; `signal` drops what still waits when the client goes away. */
async function respond(
  services: AppServices,
  job: ServedJob,
  chat: { messages: ChatMessage[] },
  settings: GenerationSettings,
  withBase: boolean,
  signal?: AbortSignal | null,
) {
  const generate = (adapted: boolean) =>
    onBackend(services, job, adapted, signal, (backend, model) => backend.complete(request(model, chat, settings), signal ?? undefined));
  const [adapted, base] = await Promise.all([generate(true), withBase ? generate(false) : null]);
  return { adapted, base };
}

/** Inference playground: a prompt answered by the base and the adapted model, side by side. */
export async function playground(
  services: AppServices,
  viewer: UserViewer,
  input: {
    jobId?: string | null;
    modelVersionId?: string | null;
    prompt: string;
    system?: string | null;
    options?: GenerationOptions | null;
  },
  signal?: AbortSignal | null,
) {
  const rate = await services.rateLimits.take("playground", viewer.userId);
  if (!rate.allowed)
    throw new AppError("RATE_LIMITED", `You may send ${rate.limit} playground prompts a minute; try again in ${rate.resetSeconds} s`);
  if (!input.jobId === !input.modelVersionId) throw new AppError("VALIDATION", "Give either a job or a model version", "jobId");
  const job = input.jobId
    ? await findOwnJob(services, viewer, input.jobId)
    : await services.db.trainingJob.findUniqueOrThrow({
        where: { id: (await findOwnVersion(services, viewer, input.modelVersionId!)).jobId },
      });
  const messages = checkMessages(
    [...(input.system?.trim() ? [{ role: "system", content: input.system }] : []), { role: "user", content: input.prompt }],
    "prompt",
  );
  const settings = generationSettings(input.options ?? {}, "options");
  const { base, adapted } = await respond(services, job, { messages }, settings, true, signal);
  return { prompt: input.prompt, base: base!, adapted, settings };
}

/** The deployed version named by an endpoint path; null when there is none to serve (the endpoint asks through its DeploymentCache). */
export async function deployedVersion(db: Db, orgSlug: string, modelName: string, version: string) {
  const model = await db.registeredModel.findFirst({ where: { name: modelName, org: { slug: orgSlug } }, include: { org: true } });
  if (!model) return null;
  // "latest" is the newest deployed version; otherwise the exact one, if deployed.
  const found = await db.modelVersion.findFirst({
    where: { modelId: model.id, status: "DEPLOYED", ...(version !== "latest" && { version }) },
    orderBy: [{ major: "desc" }, { minor: "desc" }, { patch: "desc" }],
    include: { job: true },
  });
  return found ? { ...found, model } : null;
}

export type DeployedVersion = NonNullable<Awaited<ReturnType<typeof deployedVersion>>>;

/** A deployed version whose backend cannot be reached stays deployed; its organization is told (once an hour). */
export async function alertServingDown(
  services: AppServices,
  version: { id: string; jobId: string; version: string; model: { name: string; orgId: string } },
  error: BackendUnavailableError,
) {
  const hour = new Date().toISOString().slice(0, 13);
  const name = `${version.model.name} ${version.version}`;
  await raiseAlert(services, {
    orgId: version.model.orgId,
    type: "MODEL_SERVING_DOWN",
    title: `${name}: inference backend unreachable`,
    message: `Requests to the deployed model ${name} are answered 503: ${error.message}`,
    jobId: version.jobId,
    dedupeKey: `serving-down:${version.id}:${hour}`,
    data: { versionId: version.id, backend: error.backend },
  });
}

/** A completion from a deployed version, counted in its usage. */
export async function complete(
  services: AppServices,
  version: DeployedVersion,
  chat: { messages: ChatMessage[] },
  settings: GenerationSettings,
  signal: AbortSignal,
): Promise<Completion> {
  const { adapted } = await respond(services, version.job, chat, settings, false, signal);
  services.usage.count(version.id);
  return adapted;
}

/**
 * A streamed completion from a deployed version: the organization's turn is
 * held until the stream ends (or the client leaves); counted once it has ended.
 */
export async function* completeStream(
  services: AppServices,
  version: DeployedVersion,
  chat: { messages: ChatMessage[] },
  settings: GenerationSettings,
  signal: AbortSignal,
): AsyncGenerator<CompletionPiece> {
  // Pieces pass from the backend's stream (inside the queue's turn) to the caller through this hand-off.
  const pieces: CompletionPiece[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let failure: unknown = null;
  const turn = onBackend(services, version.job, true, signal, async (backend, model) => {
    // The first piece is read inside the retry: an unknown adapter fails there, before anything is sent to the client.
    for await (const piece of backend.stream(request(model, chat, settings), signal)) {
      pieces.push(piece);
      wake?.();
    }
  })
    .then(
      () => (ended = true),
      (error) => ((failure = error), (ended = true)),
    )
    .finally(() => wake?.());
  try {
    for (;;) {
      while (pieces.length) yield pieces.shift()!;
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
    if (failure) throw failure;
    services.usage.count(version.id);
  } finally {
    await turn;
  }
}

/** On deploy: the version's adapter is loaded on its backend (a base model it does not serve is refused before anything changes). */
export async function deployAdapter(services: AppServices, job: ServedJob) {
  const baseModel = (job.config as JobConfig).baseModel;
  const { backend } = services.inference.forModel(baseModel);
  await checkServesBase(backend, baseModel);
  await loadAdapter(services, backend, job, await adapterName(services, job));
}

/** On retire: the adapter is unloaded once no deployed version uses it (the playground loads it again when asked). */
export async function retireAdapter(services: AppServices, job: ServedJob) {
  if (await services.db.modelVersion.count({ where: { jobId: job.id, status: "DEPLOYED" } })) return;
  const { backend } = services.inference.forModel((job.config as JobConfig).baseModel);
  await backend.unloadAdapter(await adapterName(services, job));
}
