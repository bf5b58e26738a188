// A person's sessions: listed and revoked by custos's own routes (GET/DELETE /v1/me/sessions).
// Revocation deletes the row, so the very next request with that cookie is refused; each one is on
// the person's audit chain.
import type { Kysely } from 'kysely';
import { AppError } from '../core/errors.ts';
import type { Principal } from '../core/principal.ts';
import type { IdentityRecorder } from './recorder.ts';
import type { IdentityTables } from './tables.ts';

export interface SessionView {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  current: boolean;
}

export class Sessions {
  readonly #db: Kysely<IdentityTables>;
  readonly #recorder: IdentityRecorder;

  constructor(db: Kysely<IdentityTables>, recorder: IdentityRecorder) {
    this.#db = db;
    this.#recorder = recorder;
  }

  /** The person's live sessions, the one `principal` came with marked current. */
  async list(principal: Principal): Promise<SessionView[]> {
    const rows = await this.#db.selectFrom('sessions').select(['id', 'createdAt', 'expiresAt', 'userAgent'])
      .where('userId', '=', principal.personId).where('expiresAt', '>', new Date()).orderBy('createdAt', 'desc').execute();
    return rows.map((row) => ({ ...row, current: row.id === principal.credentialId }));
  }

  /** Ends one of the person's sessions; 404 when it is not theirs (or gone). */
  async revoke(principal: Principal, sessionId: string): Promise<void> {
    const { personId, client } = principal;
    await this.#recorder.person({ action: 'session.revoked', actorId: personId, client, targetType: 'session', targetId: sessionId }, async (trx) => {
      const result = await trx.deleteFrom('sessions').where('id', '=', sessionId).where('userId', '=', personId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new AppError('not_found', 'no such session');
    });
  }

  /** Ends every session of the person but the one `principal` came with; returns how many. */
  async revokeOthers(principal: Principal): Promise<number> {
    const { personId, client, credentialId } = principal;
    let revoked = 0;
    await this.#recorder.person({ action: 'session.revoked_others', actorId: personId, client, targetType: 'session', targetId: credentialId }, async (trx) => {
      const result = await trx.deleteFrom('sessions').where('userId', '=', personId).where('id', '!=', credentialId).executeTakeFirst();
      revoked = Number(result.numDeletedRows);
    });
    return revoked;
  }
}
