import { AppError } from "../errors.js";

/** major.minor.patch, no prerelease or build parts: versions that name a deployed endpoint. */
export function parseSemver(version: string, field = "version"): [number, number, number] {
  const m = version.trim().match(/^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/);
  if (!m) throw new AppError("VALIDATION", `"${version}" is not a semantic version like 1.0.0`, field);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The next version after the latest: a minor bump (a new training run of the same model). */
export function nextVersion(latest: [number, number, number] | null): string {
  return latest ? `${latest[0]}.${latest[1] + 1}.0` : "1.0.0";
}
