import type { Db } from "../db/client.js";
import type { Viewer } from "../context.js";
import type { Preset } from "../generated/sqlite/enums.js";
import { AppError, conflictOnDuplicate } from "../errors.js";
import { resolveJobConfig } from "../jobs/config.js";

export async function saveTemplate(
  db: Db,
  viewer: Extract<Viewer, { kind: "user" }>,
  input: { name: string; description?: string | null; preset: Preset; config: unknown },
) {
  const name = input.name.trim();
  if (!name) throw new AppError("VALIDATION", "Give the template a name", "name");
  if (name.length > 100) throw new AppError("VALIDATION", "name must be at most 100 characters", "name");
  const taken = `A template named "${name}" already exists`;
  if (await db.template.findFirst({ where: { orgId: viewer.orgId, name } })) throw new AppError("CONFLICT", taken, "name");
  // Stored resolved, so later preset changes do not alter what the template means.
  const config = resolveJobConfig(input.preset, input.config);
  return conflictOnDuplicate(
    () => db.template.create({ data: { orgId: viewer.orgId, name, description: input.description, preset: input.preset, config, createdById: viewer.userId } }),
    taken,
    "name",
  );
}
