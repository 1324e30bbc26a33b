import type { AppServices, UserViewer, Viewer } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import type { ModelVersionStatus } from "../generated/sqlite/enums.js";
import { AppError, conflictOnDuplicate, notFound } from "../errors.js";
import { findOwnJob } from "../jobs/service.js";
import { adapterArtifacts } from "../serving/adapterFiles.js";
import { BackendUnavailableError } from "../serving/backend.js";
import { alertServingDown, deployAdapter, retireAdapter } from "../serving/service.js";
import { reviewResults } from "../validation/service.js";
import { qualitySettings } from "../validation/settings.js";
import { evaluateGates, type Benchmarks } from "./gates.js";
import { nextVersion, parseSemver } from "./semver.js";
import { hasRole, ROLES_THAT } from "../auth/permissions.js";

/** The lifecycle of a model version; each move is recorded with who, when and why. */
const TRANSITIONS: Record<ModelVersionStatus, ModelVersionStatus[]> = {
  REGISTERED: ["APPROVED", "REJECTED", "DEPLOYED", "RETIRED"],
  APPROVED: ["DEPLOYED", "REJECTED", "RETIRED"],
  REJECTED: ["RETIRED"],
  DEPLOYED: ["RETIRED"],
  RETIRED: [],
};

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The benchmark scores of a job's adapter: its latest finished validation, with human review once closed. */
export async function benchmarksOf(services: AppServices, jobId: string): Promise<Benchmarks> {
  const run = await services.db.validationRun.findFirst({
    where: { jobId, status: "COMPLETED" },
    orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
  });
  const review = run ? await reviewResults(services, run) : null;
  return {
    validationRunId: run?.id ?? null,
    perplexityBase: run?.perplexityBase ?? null,
    perplexityAdapted: run?.perplexityAdapted ?? null,
    perplexityImprovementPct: run?.perplexityImprovementPct ?? null,
    knowledgeBaseCorrect: run?.knowledgeBaseCorrect ?? null,
    knowledgeAdaptedCorrect: run?.knowledgeAdaptedCorrect ?? null,
    retentionPct: run?.retentionPct ?? null,
    reviewImprovementPct: review?.emotionalIntelligence.improvementPct ?? null,
    brandVoicePct: review?.brandVoice.adaptedAlignmentPct ?? null,
  };
}

export async function findOwnVersion(services: AppServices, viewer: Viewer, versionId: string) {
  const version = await services.db.modelVersion.findFirst({
    where: { id: versionId, model: { orgId: viewer.orgId } },
    include: { model: true },
  });
  if (!version) throw notFound("Model version", "versionId");
  return version;
}

export type RegisterInput = { jobId: string; name: string; version?: string | null; description?: string | null; notes?: string | null };

/** Registers a completed job's adapter as a new version of a named model (created on first use). */
export async function registerModelVersion(services: AppServices, viewer: UserViewer, input: RegisterInput) {
  const name = input.name.trim().toLowerCase();
  if (!NAME.test(name))
    throw new AppError(
      "VALIDATION",
      "A model name is 1–63 lowercase letters, digits or dashes, starting with a letter or digit (it appears in the endpoint URL)",
      "name",
    );
  const job = await findOwnJob(services, viewer, input.jobId);
  if (job.status !== "COMPLETED")
    throw new AppError("INVALID_TRANSITION", `Only a completed job can be registered; this one is ${job.status.toLowerCase()}`, "jobId");
  await adapterArtifacts(services, job.id);
  const benchmarks = await benchmarksOf(services, job.id);
  const register = () =>
    services.db.$transaction(async (tx) => {
      const model =
        (await tx.registeredModel.findUnique({ where: { orgId_name: { orgId: viewer.orgId, name } } })) ??
        (await tx.registeredModel.create({
          data: { orgId: viewer.orgId, name, description: input.description, createdById: viewer.userId },
        }));
      const latest = await tx.modelVersion.findFirst({
        where: { modelId: model.id },
        orderBy: [{ major: "desc" }, { minor: "desc" }, { patch: "desc" }],
      });
      const text = input.version?.trim() || nextVersion(latest ? [latest.major, latest.minor, latest.patch] : null);
      const [major, minor, patch] = parseSemver(text);
      if (await tx.modelVersion.findUnique({ where: { modelId_version: { modelId: model.id, version: text } } })) {
        throw new AppError("CONFLICT", `${name} ${text} is already registered`, "version");
      }
      const created = await tx.modelVersion.create({
        data: {
          modelId: model.id,
          version: text,
          major,
          minor,
          patch,
          jobId: job.id,
          validationRunId: benchmarks.validationRunId,
          benchmarks,
          notes: input.notes,
          createdById: viewer.userId,
        },
      });
      await tx.modelVersionEvent.create({
        data: {
          versionId: created.id,
          action: "registered",
          toStatus: "REGISTERED",
          actorId: viewer.userId,
          payload: { jobId: job.id, benchmarks },
        },
      });
      return created;
    });
  // Two registrations at once may both create the model or pick the same next version: the loser gets CONFLICT.
  return conflictOnDuplicate(register, `${name} was registered by another request at the same time; reload and try again`, "version");
}

async function move(
  services: AppServices,
  viewer: UserViewer,
  versionId: string,
  to: ModelVersionStatus,
  action: string,
  options: { reason?: string | null; payload?: Record<string, unknown>; data?: Prisma.ModelVersionUncheckedUpdateManyInput } = {},
) {
  const version = await findOwnVersion(services, viewer, versionId);
  if (!TRANSITIONS[version.status].includes(to)) {
    const allowed = TRANSITIONS[version.status].map((s) => s.toLowerCase()).join(", ") || "nothing";
    throw new AppError(
      "INVALID_TRANSITION",
      `A ${version.status.toLowerCase()} model version cannot become ${to.toLowerCase()}; it can become: ${allowed}`,
      "versionId",
    );
  }
  const moved = await services.db.$transaction(async (tx) => {
    // Conditional on the status read above, so two racing reviewers cannot both move it.
    const { count } = await tx.modelVersion.updateMany({
      where: { id: version.id, status: version.status },
      data: { status: to, ...options.data },
    });
    if (count === 0) throw new AppError("CONFLICT", "The model version changed meanwhile; reload and try again", "versionId");
    await tx.modelVersionEvent.create({
      data: {
        versionId: version.id,
        action,
        fromStatus: version.status,
        toStatus: to,
        reason: options.reason?.trim() || null,
        actorId: viewer.userId,
        payload: (options.payload ?? {}) as Prisma.InputJsonValue,
      },
    });
    return tx.modelVersion.findUniqueOrThrow({ where: { id: version.id } });
  });
  // The endpoint's paths of the model may lead elsewhere now, on every instance.
  if (to === "DEPLOYED" || version.status === "DEPLOYED") services.pubsub.publish("model:deployments", { modelId: version.modelId });
  return moved;
}

export function approveModelVersion(services: AppServices, viewer: UserViewer, versionId: string, reason?: string | null) {
  return move(services, viewer, versionId, "APPROVED", "approved", { reason });
}

export function rejectModelVersion(services: AppServices, viewer: UserViewer, versionId: string, reason: string) {
  if (!reason?.trim()) throw new AppError("VALIDATION", "Say why the model is rejected", "reason");
  return move(services, viewer, versionId, "REJECTED", "rejected", { reason });
}

export async function retireModelVersion(services: AppServices, viewer: UserViewer, versionId: string, reason?: string | null) {
  const retired = await move(services, viewer, versionId, "RETIRED", "retired", { reason });
  // Its adapter leaves the backend; a backend that is down has lost it anyway.
  const job = await services.db.trainingJob.findUniqueOrThrow({ where: { id: retired.jobId } });
  await retireAdapter(services, job).catch((error) => {
    if (!(error instanceof BackendUnavailableError)) throw error;
  });
  return retired;
}

/** The gates as they stand now for a version (benchmarks refreshed: a review closed after registration counts). */
export async function gateReport(
  services: AppServices,
  version: { jobId: string; status: ModelVersionStatus; modelId: string },
  orgId: string,
) {
  const [settings, benchmarks] = await Promise.all([qualitySettings(services.db, orgId), benchmarksOf(services, version.jobId)]);
  const approved = version.status === "APPROVED" || version.status === "DEPLOYED";
  return { benchmarks, gates: evaluateGates(settings, benchmarks, approved) };
}

/**
 * Deploys a version behind /api/v1/models/{org}/{model}/{version}. A version
 * failing a gate is refused unless an owner overrides, with a reason.
 */
export async function deployModelVersion(
  services: AppServices,
  viewer: UserViewer,
  versionId: string,
  override?: { reason: string } | null,
) {
  const version = await findOwnVersion(services, viewer, versionId);
  const { benchmarks, gates } = await gateReport(services, version, viewer.orgId);
  const failed = gates.filter((g) => !g.passed);
  if (failed.length && !override) {
    throw new AppError(
      "QUALITY_GATE_FAILED",
      `Blocked by quality gates: ${failed.map((g) => g.message).join("; ")}. An owner can override with a reason.`,
      "versionId",
    );
  }
  if (failed.length && override) {
    if (!hasRole(viewer, ROLES_THAT.manage))
      throw new AppError("FORBIDDEN", "Only an owner can override a failed quality gate", "override");
    if (!override.reason?.trim()) throw new AppError("VALIDATION", "Say why the gates are overridden", "override.reason");
  }
  // Refused transitions are refused before the backend is asked anything.
  if (TRANSITIONS[version.status].includes("DEPLOYED")) {
    await loadOnDeploy(services, version, await services.db.trainingJob.findUniqueOrThrow({ where: { id: version.jobId } }));
  }
  return move(services, viewer, versionId, "DEPLOYED", failed.length ? "deployed_with_override" : "deployed", {
    reason: failed.length ? override!.reason : null,
    payload: { gates, overridden: failed.map((g) => g.gate) },
    data: { deployedAt: new Date(), benchmarks },
  });
}

/**
 * Loads the version's adapter on its inference backend before the version is
 * deployed: an adapter the backend cannot serve (another base model) is refused
 * first. A backend that cannot be reached does not block the deploy: the
 * adapter loads on the first request, and the organization is told.
 */
async function loadOnDeploy(
  services: AppServices,
  version: { id: string; jobId: string; version: string; model: { name: string; orgId: string } },
  job: { id: string; orgId: string; config: unknown },
) {
  try {
    await deployAdapter(services, job);
  } catch (error) {
    if (!(error instanceof BackendUnavailableError)) throw error;
    await alertServingDown(services, version, error);
  }
}
