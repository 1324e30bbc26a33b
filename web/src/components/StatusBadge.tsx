import { humanize } from "../format";

// A status in words and colour (the colour is never the only signal).
const TONE: Record<string, string> = {
  PENDING: "neutral",
  QUEUED: "neutral",
  PROVISIONING: "info",
  PREPROCESSING: "info",
  MODEL_LOADING: "info",
  TRAINING: "info",
  FINALIZATION: "info",
  VALIDATION: "info",
  RECOVERING: "warning",
  COMPLETED: "success",
  DELIVERED: "success",
  FAILED: "danger",
  CANCELLED: "muted",
};

export function StatusBadge({ status }: { status: string }) {
  const tone = TONE[status] ?? "neutral";
  const live = tone === "info" || tone === "warning";
  return (
    <span className={`badge badge-${tone}`} data-status={status}>
      {live && <span className="badge-dot" aria-hidden="true" />}
      {humanize(status)}
    </span>
  );
}
