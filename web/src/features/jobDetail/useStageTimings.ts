import { useEffect, useMemo } from "react";
import { useQuery } from "urql";
import { graphql } from "../../graphql";
import type { JobDetailFieldsFragment } from "../../graphql/graphql";
import { STAGES, type StageTiming } from "./StageIndicator";
import { overridesOfConfig } from "../newJob/jobForm";

const StageHistory = graphql(`
  query StageHistory($id: ID!, $settings: JobSettingsInput!) {
    job(id: $id) {
      id
      events(types: [status_changed], last: 100) {
        edges {
          node {
            id
            receivedAt
            payload
          }
        }
      }
    }
    costEstimate(input: $settings) {
      stages {
        stage
        seconds
      }
    }
  }
`);

type Job = Pick<
  JobDetailFieldsFragment,
  "id" | "status" | "finishedAt" | "stageProgress" | "config" | "preset" | "gpuType" | "pricingTier" | "dataset"
>;

type Change = { at: number; to: string };
type StageProgress = { status: string; percent: number; secondsLeft?: number | null; reportedAt: string };

/**
 * What the trainer says of the stage it is in (building the demo base model): its percent, and an
 * expected time of elapsed + time left, counted down since the report. The estimator's figure does
 * not know about the build; unknown until the trainer can tell.
 */
export function withStageProgress(timing: StageTiming, progress: StageProgress, now: number): StageTiming {
  const sinceReport = Math.max(0, now - new Date(progress.reportedAt).getTime()) / 1000;
  const left = progress.secondsLeft == null ? null : Math.max(0, progress.secondsLeft - sinceReport);
  return { elapsed: timing.elapsed, expected: left == null ? null : (timing.elapsed ?? 0) + left, percent: progress.percent };
}

/** Seconds spent in each status, from the log of status changes (a stage entered twice, after a recovery, adds up). */
export function timeInStatus(changes: Change[], end: number): Record<string, number> {
  const spent: Record<string, number> = {};
  changes.forEach((change, i) => {
    const until = i + 1 < changes.length ? changes[i + 1].at : end;
    spent[change.to] = (spent[change.to] ?? 0) + Math.max(0, until - change.at) / 1000;
  });
  return spent;
}

/** Elapsed time per stage (from the event log) and expected time (from the estimator, for the job's settings). */
export function useStageTimings(job: Job, now: number): Partial<Record<string, StageTiming>> {
  const settings = useMemo(
    () => ({
      datasetId: job.dataset.id,
      preset: job.preset as "BALANCED",
      gpuType: job.gpuType,
      pricingTier: job.pricingTier as "SPOT",
      overrides: overridesOfConfig(job.config),
    }),
    [job.dataset.id, job.preset, job.gpuType, job.pricingTier, job.config],
  );
  const [{ data }, refetch] = useQuery({ query: StageHistory, variables: { id: job.id, settings } });
  useEffect(() => {
    refetch({ requestPolicy: "network-only" });
  }, [job.status, refetch]);

  return useMemo(() => {
    const changes = (data?.job.events.edges ?? []).map(({ node }) => ({
      at: new Date(node.receivedAt).getTime(),
      to: String((node.payload as { to?: string }).to ?? ""),
    }));
    const end = job.finishedAt ? new Date(job.finishedAt).getTime() : now;
    const spent = timeInStatus(changes, end);
    const expected = Object.fromEntries((data?.costEstimate.stages ?? []).map((s) => [s.stage, s.seconds]));
    const progress = job.stageProgress;
    return Object.fromEntries(
      STAGES.map((stage) => {
        const timing = { elapsed: spent[stage.toUpperCase()] ?? null, expected: expected[stage] ?? null };
        return [stage, progress?.status === stage.toUpperCase() ? withStageProgress(timing, progress, now) : timing];
      }),
    );
  }, [data, job.finishedAt, job.stageProgress, now]);
}
