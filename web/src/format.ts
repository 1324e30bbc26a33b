// How numbers, money, times and statuses read on screen, in one place so that
// every page says them the same way.

export function formatUsd(value: number | null | undefined): string {
  if (value == null || Number.isNaN(value)) return "—";
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function formatUsdRange(low: number, high: number): string {
  return `${formatUsd(low)}–${formatUsd(high)}`;
}

/** 45 s, 12 min, 3 h 05 min, 2 d 4 h. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || Number.isNaN(seconds) || seconds < 0) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function formatDurationRange(low: number, high: number): string {
  return `${formatDuration(low)} – ${formatDuration(high)}`;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** Losses and other metrics: four significant digits, scientific for tiny values (learning rates). */
export function formatMetric(value: number | null | undefined): string {
  if (value == null || Number.isNaN(value)) return "—";
  if (value !== 0 && Math.abs(value) < 0.001) return Number(value.toPrecision(3)).toExponential();
  return Number(value.toPrecision(4)).toString();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

/** MODEL_LOADING → "Model loading". */
export function humanize(value: string): string {
  const words = value.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Seconds between two instants (the second defaults to now). */
export function secondsBetween(fromIso: string | null | undefined, toIso?: string | null, now = Date.now()): number | null {
  if (!fromIso) return null;
  const end = toIso ? new Date(toIso).getTime() : now;
  return Math.max(0, (end - new Date(fromIso).getTime()) / 1000);
}
