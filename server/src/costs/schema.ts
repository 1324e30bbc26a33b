import { builder } from "../builder.js";
import { gpuCatalog } from "./catalog.js";
import type { CostEstimate } from "./estimate.js";
import { resolveSettings } from "./service.js";
import { JobSettingsInput } from "../jobs/inputs.js";

const GpuTypeRef = builder.objectRef<(typeof gpuCatalog)[number]>("GpuType").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    memoryGb: t.exposeFloat("memoryGb"),
    spotUsdPerHour: t.exposeFloat("spotUsdPerHour"),
    onDemandUsdPerHour: t.exposeFloat("onDemandUsdPerHour"),
    spotInterruptionsPerHour: t.exposeFloat("spotInterruptionsPerHour", { description: "Expected spot interruptions per hour of running." }),
  }),
});

const StageEstimate = builder.objectRef<CostEstimate["stages"][number]>("StageEstimate").implement({
  fields: (t) => ({ stage: t.exposeString("stage"), seconds: t.exposeFloat("seconds") }),
});

export const CostEstimateRef = builder.objectRef<CostEstimate>("CostEstimate").implement({
  description: "Expected duration and cost of a job, as a range with its confidence.",
  fields: (t) => ({
    trainingTokens: t.exposeInt("trainingTokens"),
    durationSeconds: t.exposeFloat("durationSeconds"),
    durationLowSeconds: t.exposeFloat("durationLowSeconds"),
    durationHighSeconds: t.exposeFloat("durationHighSeconds"),
    costUsd: t.exposeFloat("costUsd"),
    costLowUsd: t.exposeFloat("costLowUsd"),
    costHighUsd: t.exposeFloat("costHighUsd"),
    hourlyRateUsd: t.exposeFloat("hourlyRateUsd"),
    uncertainty: t.exposeFloat("uncertainty"),
    confidence: t.exposeString("confidence"),
    stages: t.field({ type: [StageEstimate], resolve: (e) => e.stages }),
  }),
});

builder.queryFields((t) => ({
  gpuTypes: t.field({ type: [GpuTypeRef], authScopes: { user: true }, resolve: () => gpuCatalog }),
  costEstimate: t.field({
    type: CostEstimateRef,
    authScopes: { user: true },
    args: { input: t.arg({ type: JobSettingsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => (await resolveSettings(ctx.db, ctx.viewer!.orgId, input)).estimate,
  }),
}));
