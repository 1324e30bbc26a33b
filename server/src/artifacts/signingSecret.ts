import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A random secret kept in the data folder, so that links signed before a
 * restart stay valid after it. Created once, then read. Instances starting
 * together each write a whole file of their own and link it into place; the
 * first link wins, so none reads a half-written or different secret.
 */
export function loadOrCreateSecret(dataDir: string, fileName: string): string {
  const file = join(dataDir, fileName);
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
