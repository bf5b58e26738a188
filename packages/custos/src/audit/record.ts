// audit.record(trx, chain, entry): the one way into the audit trail. It runs in the transaction of
// the change it records (a withTenant transaction for the chain's tenant, or for INSTANCE_CHAIN),
// so the entry exists if and only if the change committed (P-AUD-1).
import type { ColumnType, Transaction } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { open, personDataKey, personKey, seal, type Keystore, type SealContext } from '../crypto/index.ts';
import { genesisHash, headMac, nextHash, type StoredEntry } from './chain.ts';

const TOKEN = /^[A-Za-z0-9_.:/-]{1,128}$/;
// An IP address in plain text would get around sealing it under the person's key.
const LOOKS_LIKE_IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$/i;
const detailValue = z.union([
  z.number(),
  z.boolean(),
  z.string().regex(TOKEN).refine((value) => !LOOKS_LIKE_IP.test(value), 'an IP address goes in client, sealed'),
]);

/** What an entry may say: ids, an action, a target, model details; never content or addresses. */
export const auditEntrySchema = z.object({
  action: z.string().regex(/^[a-z][a-z0-9_.]*$/).max(64),
  actorId: z.uuid().optional(),
  targetType: z.string().regex(/^[a-z][a-z0-9_]*$/).max(64).optional(),
  targetId: z.string().regex(TOKEN).refine((value) => !LOOKS_LIKE_IP.test(value)).optional(),
  details: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), detailValue).default({}),
  /** Sealed under the actor's own secret: erasing the person makes it unreadable. */
  client: z.object({ ip: z.string().max(64).optional(), userAgent: z.string().max(512).optional() }).optional(),
});
export type AuditEntryInput = z.input<typeof auditEntrySchema>;

export type AuditTables = {
  audit_heads: { tenant_id: string; seq: string; hash: Buffer; mac: Buffer | null };
  // jsonb: read back as an object, written as its JSON text.
  audit_entries: Omit<StoredEntry, 'details'> & { details: ColumnType<Record<string, unknown>, string, never>; hash: Buffer };
};
export type AuditTrx = Transaction<AuditTables>;

export interface Recorded {
  seq: number;
  hash: Buffer;
}

function clientContext(chain: string, seq: number): SealContext {
  return { tenantId: chain, table: 'audit_entries', column: 'client_sealed', rowId: String(seq) };
}


export class AuditTrail {
  readonly #keystore: Keystore;

  constructor(keystore: Keystore) {
    this.#keystore = keystore;
  }

  async macKey(): Promise<Buffer> {
    return this.#keystore.secret('instance:audit-mac');
  }

  async record(trx: AuditTrx, chain: string, input: AuditEntryInput): Promise<Recorded> {
    const parsed = auditEntrySchema.safeParse(input);
    if (!parsed.success) throw new AppError('invalid_request', 'an audit entry holds ids, an action, a target and model details only');
    const entry = parsed.data;
    if (entry.client && !entry.actorId) throw new AppError('invalid_request', 'client details need the actor they belong to');

    // Advance the head first: the row lock serialises writers of this chain until commit.
    let head = await trx.updateTable('audit_heads').set({ seq: sql`seq + 1` })
      .where('tenant_id', '=', chain).returning(['seq', 'hash']).executeTakeFirst();
    if (!head) {
      await trx.insertInto('audit_heads').values({ tenant_id: chain, seq: '0', hash: genesisHash(chain), mac: null })
        .onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
      head = await trx.updateTable('audit_heads').set({ seq: sql`seq + 1` })
        .where('tenant_id', '=', chain).returning(['seq', 'hash']).executeTakeFirstOrThrow();
    }
    const seq = Number(head.seq);
    const client = entry.client && entry.actorId
      ? seal(await personDataKey(this.#keystore, entry.actorId, true), clientContext(chain, seq), Buffer.from(JSON.stringify(entry.client)))
      : null;
    const stored: StoredEntry = {
      tenant_id: chain,
      seq,
      at: new Date(),
      actor_id: entry.actorId ?? null,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      details: entry.details,
      client_sealed: client,
    };
    const hash = nextHash(head.hash, stored);
    const mac = headMac(await this.macKey(), chain, seq, hash);
    // The entry and the head's new hash in one statement (one round trip less per audited change).
    await trx.with('entry', (db) => db.insertInto('audit_entries')
      .values({ ...stored, seq: String(seq), details: JSON.stringify(entry.details), hash }))
      .updateTable('audit_heads').set({ hash, mac }).where('tenant_id', '=', chain).execute();
    return { seq, hash };
  }

  /** The client details of an entry, while its actor has not been erased. */
  async openClient(chain: string, entry: Pick<StoredEntry, 'seq' | 'actor_id' | 'client_sealed'>): Promise<{ ip?: string; userAgent?: string } | null> {
    if (!entry.client_sealed || !entry.actor_id) return null;
    const key = await personKey(this.#keystore, entry.actor_id, false);
    const plaintext = await open(() => key, clientContext(chain, Number(entry.seq)), entry.client_sealed);
    return JSON.parse(plaintext.toString()) as { ip?: string; userAgent?: string };
  }

  /** Erasure of a person: their secret goes, and with it every IP address and user agent sealed under it. */
  async shredPerson(personId: string): Promise<void> {
    await this.#keystore.shred(`person:${personId}`);
  }
}
