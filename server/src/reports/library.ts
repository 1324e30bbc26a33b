// The report library: every finished validation report and custom report of an
// organization, searchable, with what came of each (the deal an owner recorded).
import type { AppServices, Context, UserViewer } from "../context.js";
import type { DealOutcome } from "../generated/sqlite/enums.js";
import { AppError } from "../errors.js";
import { audit } from "../audit/service.js";
import { findOwnRun } from "../validation/service.js";
import { findOwnCustomReport } from "./customReports.js";
import { reportTarget } from "./shareLinks.js";

export type Deal = { outcome: DealOutcome; valueUsd: number | null; decidedOn: Date | null; note: string | null; updatedAt: Date };
export type LibraryEntry = {
  kind: "VALIDATION" | "CUSTOM";
  id: string;
  title: string;
  clientName: string | null;
  jobId: string;
  jobName: string;
  createdAt: Date;
  shareLinks: number;
  activeShareLinks: number;
  views: number;
  deal: Deal | null;
};

/** The newest reports of each kind the library reads; searching happens over these. */
const WINDOW = 500;

type Link = { expiresAt: Date; revokedAt: Date | null; viewCount: number };
function linkCounts(links: Link[], now: Date) {
  return {
    shareLinks: links.length,
    activeShareLinks: links.filter((l) => !l.revokedAt && l.expiresAt > now).length,
    views: links.reduce((sum, l) => sum + l.viewCount, 0),
  };
}
const dealOf = (d: Deal | null): Deal | null =>
  d ? { outcome: d.outcome, valueUsd: d.valueUsd, decidedOn: d.decidedOn, note: d.note, updatedAt: d.updatedAt } : null;

export async function reportLibrary(
  services: AppServices,
  orgId: string,
  filter: { search?: string | null; outcome?: DealOutcome | null } = {},
) {
  const now = new Date();
  const linkSelect = { select: { expiresAt: true, revokedAt: true, viewCount: true } } as const;
  const [runs, customs] = await Promise.all([
    services.db.validationRun.findMany({
      where: { status: "COMPLETED", job: { orgId } },
      orderBy: { createdAt: "desc" },
      take: WINDOW,
      include: {
        job: {
          select: {
            id: true,
            name: true,
            clientName: true,
            project: { select: { clientName: true, name: true } },
            dataset: { select: { name: true } },
          },
        },
        shareLinks: linkSelect,
        deal: true,
      },
    }),
    services.db.customReport.findMany({
      where: { orgId },
      orderBy: { createdAt: "desc" },
      take: WINDOW,
      include: { job: { select: { id: true, name: true } }, shareLinks: linkSelect, deal: true },
    }),
  ]);
  const entries: (LibraryEntry & { words: string })[] = [
    ...runs.map((r) => ({
      kind: "VALIDATION" as const,
      id: r.id,
      title: `Validation report: ${r.job.name}`,
      clientName: r.job.clientName ?? r.job.project?.clientName ?? null,
      jobId: r.job.id,
      jobName: r.job.name,
      createdAt: r.finishedAt ?? r.createdAt,
      ...linkCounts(r.shareLinks, now),
      deal: dealOf(r.deal),
      words: [r.job.name, r.job.clientName, r.job.project?.clientName, r.job.project?.name, r.job.dataset.name].join(" "),
    })),
    ...customs.map((c) => ({
      kind: "CUSTOM" as const,
      id: c.id,
      title: c.title,
      clientName: c.prospectName,
      jobId: c.job.id,
      jobName: c.job.name,
      createdAt: c.createdAt,
      ...linkCounts(c.shareLinks, now),
      deal: dealOf(c.deal),
      words: [c.title, c.prospectName, c.job.name].join(" "),
    })),
  ];
  const words = (filter.search ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const found = entries
    .filter((e) => words.every((w) => e.words.toLowerCase().includes(w)))
    .filter((e) => !filter.outcome || e.deal?.outcome === filter.outcome)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id))
    .map(({ words: _words, ...entry }) => entry);
  const won = entries.filter((e) => e.deal?.outcome === "WON");
  return {
    entries: found,
    sharedReports: entries.filter((e) => e.shareLinks > 0).length,
    wonDeals: won.length,
    lostDeals: entries.filter((e) => e.deal?.outcome === "LOST").length,
    wonValueUsd: won.reduce((sum, e) => sum + (e.deal!.valueUsd ?? 0), 0),
  };
}
export type ReportLibrary = Awaited<ReturnType<typeof reportLibrary>>;

export type DealInput = {
  runId?: string | null;
  customReportId?: string | null;
  outcome: DealOutcome;
  valueUsd?: number | null;
  decidedOn?: Date | null;
  note?: string | null;
};

/** An owner records (or corrects) what came of a report: one deal per report, audited with what it replaced. */
export async function recordReportDeal(ctx: Context, viewer: UserViewer, input: DealInput) {
  const target = reportTarget(input);
  if ("runId" in target) await findOwnRun(ctx, viewer, target.runId);
  else await findOwnCustomReport(ctx, viewer, target.customReportId);
  if (input.valueUsd != null && !(input.valueUsd >= 0 && input.valueUsd <= 1e9))
    throw new AppError("VALIDATION", "A deal's value must be between $0 and $1,000,000,000", "valueUsd");
  if (input.outcome === "WON" && input.valueUsd == null) throw new AppError("VALIDATION", "A won deal needs its value", "valueUsd");
  const note = input.note?.trim() || null;
  if (note && note.length > 1000) throw new AppError("VALIDATION", "The note may be at most 1,000 characters", "note");
  if (input.decidedOn && Number.isNaN(input.decidedOn.getTime())) throw new AppError("VALIDATION", "decidedOn must be a date", "decidedOn");
  // A closed deal has a date: today unless given.
  const decidedOn = input.outcome === "OPEN" ? null : (input.decidedOn ?? new Date());
  const data = { outcome: input.outcome, valueUsd: input.valueUsd ?? null, decidedOn, note, recordedById: viewer.userId };
  const where = "runId" in target ? { runId: target.runId } : { customReportId: target.customReportId };
  return ctx.db.$transaction(async (tx) => {
    const before = await tx.reportDeal.findUnique({ where });
    const deal = await tx.reportDeal.upsert({ where, create: { orgId: viewer.orgId, ...target, ...data }, update: data });
    await audit({ ...ctx, db: tx }, "report.deal_recorded", {
      target: "runId" in target ? { type: "ValidationRun", id: target.runId } : { type: "CustomReport", id: target.customReportId },
      before: dealOf(before),
      after: dealOf(deal),
    });
    return deal;
  });
}
