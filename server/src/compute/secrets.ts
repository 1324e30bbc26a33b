import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

// Organizations' provider credentials are stored encrypted (AES-256-GCM, a
// random IV each time, authenticated): a database dump alone does not reveal
// them. The key is COMPUTE_SECRETS_KEY, or one generated into DATA_DIR.

const VERSION = "v1";
const keyOf = (secret: string) => createHash("sha256").update(secret).digest();

export function encryptSecret(plain: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secret), iv);
  const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), data].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

/** Throws when the value was not encrypted with this key (or was altered). */
export function decryptSecret(stored: string, secret: string): string {
  const [version, iv, tag, data] = stored.split(".");
  if (version !== VERSION || !iv || !tag || data === undefined) throw new Error("Not an encrypted compute credential");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(secret), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}
