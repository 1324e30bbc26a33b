import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerConfig } from "./config.js";

/** The server's secret keys: the HMAC key of artifact download links and the key that encrypts stored credentials. */
export type ServerKeys = { artifactSigning: string; computeSecrets: string };

/** Each key from the environment, or else from its file in DATA_DIR, made on the first start (a start-up step of buildApp). */
export function serverKeys(config: Pick<ServerConfig, "dataDir" | "artifactSigningSecret" | "computeSecretsKey">): ServerKeys {
  return {
    artifactSigning: config.artifactSigningSecret ?? loadOrCreateSecret(config.dataDir, "artifact-signing.key"),
    computeSecrets: config.computeSecretsKey ?? loadOrCreateSecret(config.dataDir, "compute-secrets.key"),
  };
}

/**
 * A random secret kept in the data folder, so that links signed before a
 * restart stay valid after it. Created once, then read. Instances starting
 * together each write a whole file of their own and link it into place; the
 * first link wins, so none reads a half-written or different secret.
 */
function loadOrCreateSecret(dataDir: string, fileName: string): string {
  const file = join(dataDir, fileName);
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const draft = `${file}.${process.pid}.${randomBytes(6).toString("hex")}`;
  writeFileSync(draft, randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(draft);
  }
  return readFileSync(file, "utf8").trim();
}
