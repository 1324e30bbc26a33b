// Custom reports for a prospect: their own prompts, answered by a job's base
// and fine-tuned model through the playground's generation path (so they follow
// wherever the serving backend runs), stored once and shown as a page, a PDF
// and through the same share links as validation reports.
import type { AppServices, UserViewer, Viewer } from "../context.js";
import type { Prisma } from "../generated/sqlite/client.js";
import { AppError, notFound } from "../errors.js";
import { findOwnJob } from "../jobs/service.js";
import type { JobConfig } from "../jobs/config.js";
import { playground } from "../serving/service.js";
import { SCENARIO_SYSTEM_PROMPT } from "../validation/content/scenarios.js";

export const CUSTOM_REPORT_LIMITS = { prompts: 10, promptChars: 2000, titleChars: 200, defaultMaxNewTokens: 64 };

export type CustomReportItem = { prompt: string; base: string; adapted: string };
export type CustomReportSettings = { maxNewTokens: number; temperature: number };
export type CustomReportData = {
  id: string;
  title: string;
  prospectName: string | null;
  createdAt: string;
  baseModel: string;
  job: { id: string; name: string };
  items: CustomReportItem[];
  settings: CustomReportSettings;
};

export type CustomReportInput = {
  jobId: string;
  title: string;
  prospectName?: string | null;
  prompts: string[];
  maxNewTokens?: number | null;
};

function checkInput(input: CustomReportInput) {
  const title = input.title.trim();
  if (!title || title.length > CUSTOM_REPORT_LIMITS.titleChars)
    throw new AppError("VALIDATION", `Give the report a title of 1–${CUSTOM_REPORT_LIMITS.titleChars} characters`, "title");
  const prospectName = input.prospectName?.trim() || null;
  if (prospectName && prospectName.length > 200)
    throw new AppError("VALIDATION", "prospectName must be at most 200 characters", "prospectName");
  const prompts = input.prompts.map((p) => p.trim());
  if (prompts.length === 0 || prompts.length > CUSTOM_REPORT_LIMITS.prompts)
    throw new AppError("VALIDATION", `Enter 1 to ${CUSTOM_REPORT_LIMITS.prompts} prompts`, "prompts");
  prompts.forEach((p, i) => {
    if (!p || p.length > CUSTOM_REPORT_LIMITS.promptChars)
      throw new AppError("VALIDATION", `Each prompt needs 1–${CUSTOM_REPORT_LIMITS.promptChars} characters`, `prompts.${i}`);
  });
  return { title, prospectName, prompts };
}

/** Answers every prompt with both models (one playground request each, counted in the user's playground rate) and stores the report. */
export async function createCustomReport(services: AppServices, viewer: UserViewer, input: CustomReportInput, signal?: AbortSignal | null) {
  const { title, prospectName, prompts } = checkInput(input);
  const job = await findOwnJob(services, viewer, input.jobId);
  if (job.status !== "COMPLETED")
    throw new AppError("INVALID_TRANSITION", "Only a job that finished training has a fine-tuned model to answer with", "jobId");
  const items: CustomReportItem[] = [];
  let settings: CustomReportSettings | null = null;
  for (const prompt of prompts) {
    const answer = await playground(
      services,
      viewer,
      {
        jobId: job.id,
        prompt,
        system: SCENARIO_SYSTEM_PROMPT,
        options: { maxNewTokens: input.maxNewTokens ?? CUSTOM_REPORT_LIMITS.defaultMaxNewTokens },
      },
      signal,
    );
    items.push({ prompt, base: answer.base.text, adapted: answer.adapted.text });
    settings = { maxNewTokens: answer.settings.maxNewTokens, temperature: answer.settings.temperature };
  }
  return services.db.customReport.create({
    data: {
      orgId: viewer.orgId,
      jobId: job.id,
      title,
      prospectName,
      items: items as Prisma.InputJsonValue,
      settings: settings as Prisma.InputJsonValue,
      createdById: viewer.userId,
    },
  });
}

export async function findOwnCustomReport(services: AppServices, viewer: Viewer, id: string) {
  const report = await services.db.customReport.findFirst({ where: { id, orgId: viewer.orgId } });
  if (!report) throw notFound("Custom report", "customReportId");
  return report;
}

/** The report as data: what its page, PDF and share link render. */
export async function customReportData(services: AppServices, id: string): Promise<CustomReportData> {
  const r = await services.db.customReport.findUnique({
    where: { id },
    include: { job: { select: { id: true, name: true, config: true } } },
  });
  if (!r) throw notFound("Custom report", "customReportId");
  return {
    id: r.id,
    title: r.title,
    prospectName: r.prospectName,
    createdAt: r.createdAt.toISOString(),
    baseModel: (r.job.config as JobConfig).baseModel,
    job: { id: r.job.id, name: r.job.name },
    items: r.items as CustomReportItem[],
    settings: r.settings as CustomReportSettings,
  };
}
