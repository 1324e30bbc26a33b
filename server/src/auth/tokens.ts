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

// Passwords: scrypt with N = 2^17 (128 MiB, OWASP's recommendation). The cost is
// stored with each hash — `scrypt$ln=17,r=8,p=1$salt$key` — so that older, cheaper
// hashes (`scrypt$salt$key`, N = 2^14) are recognised and replaced at sign-in.
const COST = { ln: 17, r: 8, p: 1 };
const LEGACY_COST = { ln: 14, r: 8, p: 1 };
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, keyBytes: number, cost: typeof COST): Promise<Buffer> {
  const N = 2 ** cost.ln;
  // maxmem: scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below N = 2^17.
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r };
  return new Promise((resolve, reject) => scrypt(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, KEY_BYTES, COST);
  return `scrypt$ln=${COST.ln},r=${COST.r},p=${COST.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

function parseHash(stored: string) {
  const parts = stored.split("$");
  if (parts[0] !== "scrypt") return null;
  if (parts.length === 3) return { cost: LEGACY_COST, salt: parts[1], key: parts[2] };
  const params = parts[1]?.match(/^ln=(\d+),r=(\d+),p=(\d+)$/);
  if (parts.length !== 4 || !params) return null;
  return { cost: { ln: Number(params[1]), r: Number(params[2]), p: Number(params[3]) }, salt: parts[2], key: parts[3] };
}

/** Whether `password` matches; `outdated` when the hash was made with a lower cost than today's. */
export async function verifyPassword(password: string, stored: string): Promise<{ ok: boolean; outdated: boolean }> {
  const parsed = parseHash(stored);
  if (!parsed?.salt || !parsed.key) return { ok: false, outdated: false };
  const expected = Buffer.from(parsed.key, "base64");
  const actual = await derive(password, Buffer.from(parsed.salt, "base64"), expected.length, parsed.cost);
  const { ln, r, p } = parsed.cost;
  return { ok: timingSafeEqual(actual, expected), outdated: ln < COST.ln || r < COST.r || p < COST.p };
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks a password against a throwaway hash of today's cost: sign-in for an
 * unknown email takes as long as for a known one, so timing does not tell them apart.
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString("base64"));
  await verifyPassword(password, await dummyHash);
}
