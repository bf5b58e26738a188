// The identity events custos records: one short transaction per event, holding the audit entry
// (and, when the event sends mail, the outbox row), on the instance chain for a person's own events
// and on the workspace's chain for a workspace's. Better Auth's own writes have committed by the
// time its after-hooks call these.
import type { Kysely } from 'kysely';
import { INSTANCE_CHAIN, type AuditEntryInput, type AuditTrail } from '../audit/index.ts';
import { withTenant } from '../db/tenant.ts';
import { currentClient } from './request-context.ts';
import type { IdentityTables, IdentityTrx } from './tables.ts';

export class IdentityRecorder {
  readonly #db: Kysely<IdentityTables>;
  readonly #audit: AuditTrail;
  readonly #changed: () => void;

  /** `changed` runs after each event commits: cached credentials may no longer hold. */
  constructor(db: Kysely<IdentityTables>, audit: AuditTrail, changed: () => void = () => undefined) {
    this.#db = db;
    this.#audit = audit;
    this.#changed = changed;
  }

  /** An event of a person's own (sign-up, sign-in, sessions, keys they hold). */
  async person(entry: AuditEntryInput, also?: (trx: IdentityTrx) => Promise<void>): Promise<void> {
    await this.workspace(INSTANCE_CHAIN, entry, also);
  }

  /** An event of a workspace (created, renamed, role changed, key created or revoked). */
  async workspace(workspaceId: string, entry: AuditEntryInput, also?: (trx: IdentityTrx) => Promise<void>): Promise<void> {
    await withTenant(this.#db, workspaceId, async (trx) => {
      await also?.(trx);
      await this.record(trx, workspaceId, entry);
    });
    this.#changed();
  }

  /** Within a transaction the caller already holds for `chain`'s tenant. */
  async record(trx: IdentityTrx, chain: string, entry: AuditEntryInput): Promise<void> {
    // The request's client, unless the caller names it (a route passes its principal's).
    const { ip, userAgent } = entry.client ?? currentClient();
    const client = entry.actorId && (ip || userAgent) ? { ip, userAgent } : undefined;
    await this.#audit.record(trx, chain, { ...entry, client });
  }
}
