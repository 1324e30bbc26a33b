import type { Db } from "../db/client.js";

/**
 * Ends a user's access in the database: every session and every API key of
 * theirs, so their next request fails. After the transaction commits, call
 * endCredentialSessions (auth) to close their open subscriptions too.
 */
export async function endAccess(db: Pick<Db, "session" | "apiKey">, userId: string) {
  await db.session.deleteMany({ where: { userId } });
  await db.apiKey.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
}
