import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatMetric, formatUsd, humanize, secondsBetween } from "./format";

describe("format", () => {
  it("writes money, durations and metrics for people", () => {
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(0.004)).toBe("$0.0040");
    expect(formatUsd(null)).toBe("—");
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(125 * 60)).toBe("2 h 05 min");
    expect(formatDuration(3 * 86400 + 7200)).toBe("3 d 2 h");
    expect(formatMetric(2.345678)).toBe("2.346");
    expect(formatMetric(0.0002)).toBe("2e-4");
    expect(formatBytes(43_000)).toBe("42 KB");
    expect(humanize("MODEL_LOADING")).toBe("Model loading");
    expect(secondsBetween("2024-01-01T00:00:00Z", "2024-01-01T00:01:30Z")).toBe(90);
  });
});
