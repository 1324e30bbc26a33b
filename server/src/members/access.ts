import type { Db } from "../db/client.js";

/**
 * Ends a user's access to one organization in the database: their sessions
 * there and their API keys made there, so their next request fails (their
 * work in other organizations goes on). After the transaction commits, call
 * endCredentialSessions (auth) with the same user and organization to close
 * their open subscriptions too.
 */
export async function endAccess(db: Pick<Db, "session" | "apiKey">, userId: string, orgId: string) {
  await db.session.deleteMany({ where: { userId, orgId } });
  await db.apiKey.updateMany({ where: { userId, orgId, revokedAt: null }, data: { revokedAt: new Date() } });
}
