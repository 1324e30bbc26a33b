import type { PricingTier } from "../../graphql/graphql";
import { FieldMessage } from "../../components/States";

export type GpuInfo = {
  id: string;
  name: string;
  memoryGb: number;
  spotUsdPerHour: number;
  onDemandUsdPerHour: number;
  spotInterruptionsPerHour: number;
};

type Props = {
  gpus: GpuInfo[];
  gpuType: string;
  tier: PricingTier;
  onGpu(id: string): void;
  onTier(tier: PricingTier): void;
  gpuError?: string | null;
  fallback: { allowed: boolean; afterPreemptions: string; error?: string | null };
  onFallback(allowed: boolean, afterPreemptions: string): void;
};

/** GPU type and spot vs on-demand, with what each choice trades away. */
export function ComputeChoice({ gpus, gpuType, tier, onGpu, onTier, gpuError, fallback, onFallback }: Props) {
  const gpu = gpus.find((g) => g.id === gpuType) ?? gpus[0];
  const saving = gpu ? Math.round((1 - gpu.spotUsdPerHour / gpu.onDemandUsdPerHour) * 100) : 0;
  return (
    <div className="compute">
      <div className="field">
        <label htmlFor="gpu-type">GPU</label>
        <select
          id="gpu-type"
          value={gpu?.id ?? ""}
          onChange={(e) => onGpu(e.target.value)}
          aria-invalid={Boolean(gpuError)}
          aria-describedby="gpu-type-message"
        >
          {gpus.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name} ({g.memoryGb} GB)
            </option>
          ))}
        </select>
        <FieldMessage id="gpu-type-message" error={gpuError}>
          More memory allows larger batches and longer sequences.
        </FieldMessage>
      </div>
      {gpu && (
        <fieldset className="choice-grid choice-grid-2">
          <legend>Pricing</legend>
          <label className={`choice-card ${tier === "SPOT" ? "choice-card-selected" : ""}`}>
            <input type="radio" name="tier" value="SPOT" checked={tier === "SPOT"} onChange={() => onTier("SPOT")} />
            <span className="choice-title">
              Spot <span className="choice-price">${gpu.spotUsdPerHour.toFixed(2)}/h</span>
            </span>
            <span className="choice-text">
              {saving}% cheaper. The instance can be taken back (about {Math.round(gpu.spotInterruptionsPerHour * 100)}% chance per hour);
              the job then resumes from its last checkpoint, and the lost time is billed and adds to the duration.
            </span>
          </label>
          <label className={`choice-card ${tier === "ON_DEMAND" ? "choice-card-selected" : ""}`}>
            <input type="radio" name="tier" value="ON_DEMAND" checked={tier === "ON_DEMAND"} onChange={() => onTier("ON_DEMAND")} />
            <span className="choice-title">
              On-demand <span className="choice-price">${gpu.onDemandUsdPerHour.toFixed(2)}/h</span>
            </span>
            <span className="choice-text">
              Never interrupted: the most predictable finish time, for deadlines. Costs about{" "}
              {(gpu.onDemandUsdPerHour / gpu.spotUsdPerHour).toFixed(1)}× as much.
            </span>
          </label>
        </fieldset>
      )}
      {tier === "SPOT" && (
        <div className="field">
          <label>
            <input type="checkbox" checked={fallback.allowed} onChange={(e) => onFallback(e.target.checked, fallback.afterPreemptions)} />{" "}
            Allow on-demand when spot fails the job
          </label>
          {fallback.allowed && (
            <>
              <label htmlFor="on-demand-after">Switch to on-demand after this many preemptions</label>
              <input
                id="on-demand-after"
                name="onDemandAfterPreemptions"
                inputMode="numeric"
                value={fallback.afterPreemptions}
                onChange={(e) => onFallback(true, e.target.value)}
                aria-invalid={Boolean(fallback.error)}
                aria-describedby="on-demand-after-message"
              />
              <FieldMessage id="on-demand-after-message" error={fallback.error}>
                Empty: only when no spot capacity is left. The on-demand machine is billed at the on-demand price.
              </FieldMessage>
            </>
          )}
        </div>
      )}
    </div>
  );
}
