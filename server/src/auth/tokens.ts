import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** Kinds of bearer token, told apart by prefix so a leaked one is recognisable. */
export const TOKEN_PREFIX = { apiKey: "tlk_", session: "tls_", trainer: "tlt_" } as const;

export function newToken(kind: keyof typeof TOKEN_PREFIX): string {
  return TOKEN_PREFIX[kind] + randomBytes(24).toString("base64url");
}

/** Tokens are random and long, so a plain SHA-256 is enough to store them safely. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

// Passwords: scrypt with N = 2^PASSWORD_HASH_COST (2^17 = 128 MiB by default,
// OWASP's recommendation; tests lower it). The cost is stored with each hash —
// `scrypt$ln=17,r=8,p=1$salt$key` — so that hashes made at a lower cost than the
// configured one (and the oldest, `scrypt$salt$key`, N = 2^14) are replaced at sign-in.
type Cost = { ln: number; r: number; p: number };
const LEGACY_COST: Cost = { ln: 14, r: 8, p: 1 };
const costOf = (ln: number): Cost => ({ ln, r: 8, p: 1 });
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, keyBytes: number, cost: Cost): Promise<Buffer> {
  const N = 2 ** cost.ln;
  // maxmem: scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below N = 2^17.
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `costLog2`: the configured PASSWORD_HASH_COST. */
export async function hashPassword(password: string, costLog2: number): Promise<string> {
  const cost = costOf(costLog2);
  const salt = randomBytes(16);
  const key = await derive(password, salt, KEY_BYTES, cost);
  return `scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

function parseHash(stored: string) {
  const parts = stored.split("$");
  if (parts[0] !== "scrypt") return null;
  if (parts.length === 3) return { cost: LEGACY_COST, salt: parts[1], key: parts[2] };
  const params = parts[1]?.match(/^ln=(\d+),r=(\d+),p=(\d+)$/);
  if (parts.length !== 4 || !params) return null;
  return { cost: { ln: Number(params[1]), r: Number(params[2]), p: Number(params[3]) }, salt: parts[2], key: parts[3] };
}

/** Whether `password` matches; `outdated` when the hash was made with a lower cost than the configured `costLog2`. */
export async function verifyPassword(password: string, stored: string, costLog2: number): Promise<{ ok: boolean; outdated: boolean }> {
  const parsed = parseHash(stored);
  if (!parsed?.salt || !parsed.key) return { ok: false, outdated: false };
  const expected = Buffer.from(parsed.key, "base64");
  const actual = await derive(password, Buffer.from(parsed.salt, "base64"), expected.length, parsed.cost);
  const { ln, r, p } = parsed.cost;
  const current = costOf(costLog2);
  return { ok: timingSafeEqual(actual, expected), outdated: ln < current.ln || r < current.r || p < current.p };
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * Checks a password against a throwaway hash of the configured cost: sign-in for an
 * unknown email takes as long as for a known one, so timing does not tell them apart.
 */
export async function verifyAgainstDummy(password: string, costLog2: number): Promise<void> {
  if (!dummyHashes.has(costLog2)) dummyHashes.set(costLog2, hashPassword(randomBytes(16).toString("base64"), costLog2));
  await verifyPassword(password, await dummyHashes.get(costLog2)!, costLog2);
}
