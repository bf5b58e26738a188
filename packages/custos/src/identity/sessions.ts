// A person's sessions: listed and revoked by custos's own routes (GET/DELETE /v1/me/sessions).
// Revocation deletes the row, so the very next request with that cookie is refused.
import type { Kysely } from 'kysely';
import type { IdentityTables } from './tables.ts';

export interface SessionView {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  current: boolean;
}

export async function listSessions(db: Kysely<IdentityTables>, personId: string, currentId: string): Promise<SessionView[]> {
  const rows = await db.selectFrom('sessions').select(['id', 'createdAt', 'expiresAt', 'userAgent'])
    .where('userId', '=', personId).where('expiresAt', '>', new Date()).orderBy('createdAt', 'desc').execute();
  return rows.map((row) => ({ ...row, current: row.id === currentId }));
}

/** Deletes one of the person's sessions; false when it is not theirs (or gone). */
export async function revokeSession(db: Kysely<IdentityTables>, personId: string, sessionId: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', sessionId).where('userId', '=', personId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes every session of the person but `keepId`; returns how many. */
export async function revokeOtherSessions(db: Kysely<IdentityTables>, personId: string, keepId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('userId', '=', personId).where('id', '!=', keepId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
