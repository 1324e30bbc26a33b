import type { Viewer } from "../context.js";
import type { Role } from "../generated/sqlite/enums.js";
import { viewerHasScope } from "./service.js";

/**
 * Which roles may do what, in one place: the mutations' rules
 * (`authScopes: { role: ROLES_THAT.train }`) and the viewer's permissions
 * (what the web offers) read these lists. ADMIN may do everything.
 */
export const ROLES_THAT: Record<"train" | "contribute" | "review" | "manage", Role[]> = {
  /** Train models: jobs, datasets, templates, model versions. */
  train: ["ENGINEER", "OWNER"],
  /** Change anything at all: run validation, share reports, make API keys. */
  contribute: ["ENGINEER", "OWNER", "QA"],
  /** Review answers and model versions; read the audit log. */
  review: ["QA", "OWNER"],
  /** Manage the organization: members, budgets, settings, spending over a budget. */
  manage: ["OWNER"],
};

/** The `role` auth scope: a user whose role is one of these (or ADMIN), with a credential that may write. */
export function roleAllows(viewer: Viewer | null, roles: Role[]): boolean {
  return viewer?.kind === "user" && viewerHasScope(viewer, "write") && (roles.includes(viewer.role) || viewer.role === "ADMIN");
}

/** The viewer is a user whose role is one of these (or ADMIN), whatever the credential's scopes (reading needs no write scope). */
export const hasRole = (viewer: Viewer | null, roles: Role[]) =>
  viewer?.kind === "user" && (roles.includes(viewer.role) || viewer.role === "ADMIN");
