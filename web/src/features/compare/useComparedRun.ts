import { graphql } from "../../graphql";
import { useLiveJob } from "../../hooks/useLiveJob";
import { useZoomableMetricSeries } from "../../hooks/useMetricSeries";
import type { StepRange } from "../../components/charts/MetricChart";
import type { ComparedJob } from "./compareRows";

// Spread into the two queries below (codegen reads the fragment from this call).
graphql(`
  fragment ComparedJobFields on TrainingJob {
    id
    name
    status
    isFinal
    preset
    gpuType
    pricingTier
    config
    currentStep
    totalSteps
    latestLoss
    latestValLoss
    latestPerplexity
    actualCostUsd
    actualDurationSec
    billableSeconds
    estimatedCostUsd
    estimatedDurationSec
    latestValidation {
      id
      perplexityImprovementPct
      retentionPct
      reviewResults {
        emotionalIntelligence {
          base
          adapted
          improvementPct
        }
        brandVoice {
          adapted
          adaptedAlignmentPct
        }
      }
    }
  }
`);

const ComparedJobQuery = graphql(`
  query ComparedJob($id: ID!) {
    job(id: $id) {
      ...ComparedJobFields
    }
  }
`);

const ComparedJobUpdated = graphql(`
  subscription ComparedJobUpdated($id: ID!) {
    trainingJobUpdated(id: $id) {
      ...ComparedJobFields
    }
  }
`);

const LOSSES = ["train_loss", "val_loss"];

/**
 * One run of a comparison (nothing while `id` is undefined): its figures and
 * loss curves, both following the run until it finishes. `job.series` is the
 * whole run; `shown` is what the chart draws (the zoomed steps when zoomed).
 */
export function useComparedRun(id: string | undefined, { maxPoints, zoom }: { maxPoints: number; zoom: StepRange | null }) {
  const live = useLiveJob(ComparedJobQuery, ComparedJobUpdated, id ?? "", { pause: !id, stopWhenFinal: true });
  const running = Boolean(live.job && !live.job.isFinal);
  const metrics = useZoomableMetricSeries({ jobId: id ?? "", names: LOSSES, maxPoints, zoom, live: running, enabled: Boolean(id) });
  // Ready once its curves are in too: the chart would otherwise first say there are none.
  const job: ComparedJob | null = live.job && !metrics.loading ? { ...live.job, series: metrics.series } : null;
  return {
    job,
    shown: metrics.shown,
    error: live.error ?? metrics.error,
    retry() {
      live.refetch();
      metrics.refetch();
    },
  };
}
