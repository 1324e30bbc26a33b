import { randomBytes } from "node:crypto";
import type { AppServices, UserViewer, Viewer } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { hashToken } from "../auth/tokens.js";
import { findOwnRun } from "../validation/service.js";
import { findOwnCustomReport } from "./customReports.js";

/** Read-only report links expire after 30 days (the product's rule) and can be revoked before. */
export const SHARE_LINK_DAYS = 30;
const PREFIX = "tlr_";

/** What a link opens: a validation report or a custom report. */
export type ReportTarget = { runId: string } | { customReportId: string };

/** Exactly one of the two ids, as the API takes them. */
export function reportTarget(ids: { runId?: string | null; customReportId?: string | null }): ReportTarget {
  if (!ids.runId === !ids.customReportId) throw new AppError("VALIDATION", "Give either a validation run or a custom report", "runId");
  return ids.runId ? { runId: ids.runId } : { customReportId: ids.customReportId! };
}

export async function createShareLink(services: AppServices, viewer: UserViewer, target: ReportTarget, now = new Date()) {
  if ("runId" in target) {
    const run = await findOwnRun(services, viewer, target.runId);
    if (run.status !== "COMPLETED") throw new AppError("CONFLICT", "Only a finished validation can be shared", "runId");
  } else await findOwnCustomReport(services, viewer, target.customReportId);
  // The token is shown once; only its hash is stored, like API keys.
  const token = PREFIX + randomBytes(24).toString("base64url");
  const link = await services.db.shareLink.create({
    data: {
      ...target,
      tokenHash: hashToken(token),
      createdById: viewer.userId,
      expiresAt: new Date(now.getTime() + SHARE_LINK_DAYS * 86400_000),
    },
  });
  return { token, link };
}

export async function revokeShareLink(services: AppServices, viewer: Viewer, linkId: string) {
  const link = await services.db.shareLink.findFirst({
    where: { id: linkId, OR: [{ run: { job: { orgId: viewer.orgId } } }, { customReport: { orgId: viewer.orgId } }] },
  });
  if (!link) throw notFound("Share link", "id");
  if (link.revokedAt) return link;
  return services.db.shareLink.update({ where: { id: link.id }, data: { revokedAt: new Date() } });
}

/** The report a share token opens, counting the view; why not when it does not. */
export async function openShareLink(
  services: AppServices,
  token: string,
  now = new Date(),
): Promise<ReportTarget | { refused: "unknown" | "expired" | "revoked" }> {
  if (!token.startsWith(PREFIX)) return { refused: "unknown" };
  const link = await services.db.shareLink.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!link) return { refused: "unknown" };
  if (link.revokedAt) return { refused: "revoked" };
  if (link.expiresAt <= now) return { refused: "expired" };
  await services.db.shareLink.update({ where: { id: link.id }, data: { viewCount: { increment: 1 }, lastViewedAt: now } });
  return link.runId ? { runId: link.runId } : { customReportId: link.customReportId! };
}
