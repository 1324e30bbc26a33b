import type { Db } from "../db/client.js";
import type { UserViewer } from "../context.js";
import type { Preset, PricingTier } from "../generated/sqlite/enums.js";
import type { Tx } from "../events/service.js";
import { AppError, conflictOnDuplicate, notFound } from "../errors.js";
import { resolveJobConfig } from "../jobs/config.js";

// A template is a whole job setup kept under a name: preset and hyperparameters,
// and (each optional) the dataset, GPU, pricing tier and notes. It counts the
// jobs started from it.

export type TemplateInput = {
  name: string;
  description?: string | null;
  preset: Preset;
  config: unknown;
  datasetId?: string | null;
  gpuType?: string | null;
  pricingTier?: PricingTier | null;
  notes?: string | null;
};

export async function saveTemplate(db: Db, viewer: UserViewer, input: TemplateInput) {
  const name = input.name.trim();
  if (!name) throw new AppError("VALIDATION", "Give the template a name", "name");
  if (name.length > 100) throw new AppError("VALIDATION", "name must be at most 100 characters", "name");
  if (input.notes && input.notes.length > 10_000) throw new AppError("VALIDATION", "notes must be at most 10000 characters", "notes");
  const taken = `A template named "${name}" already exists`;
  if (await db.template.findFirst({ where: { orgId: viewer.orgId, name } })) throw new AppError("CONFLICT", taken, "name");
  // Stored resolved, so later preset changes do not alter what the template means.
  const config = resolveJobConfig(input.preset, input.config);
  const { datasetId = null, gpuType = null, pricingTier = null, notes = null } = input;
  return conflictOnDuplicate(
    () =>
      db.template.create({
        data: {
          orgId: viewer.orgId,
          name,
          description: input.description,
          preset: input.preset,
          config,
          datasetId,
          gpuType,
          pricingTier,
          notes,
          createdById: viewer.userId,
        },
      }),
    taken,
    "name",
  );
}

export async function findOwnTemplate(db: Db, orgId: string, templateId: string) {
  const template = await db.template.findFirst({ where: { id: templateId, orgId } });
  if (!template) throw notFound("Template", "templateId");
  return template;
}

/** Counts a job started from the template, in the transaction that creates the job. */
export async function countTemplateUse(tx: Tx, orgId: string, templateId: string) {
  const { count } = await tx.template.updateMany({
    where: { id: templateId, orgId },
    data: { useCount: { increment: 1 }, lastUsedAt: new Date() },
  });
  if (count === 0) throw notFound("Template", "templateId");
}
