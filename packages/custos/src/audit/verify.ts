// Verifies audit chains and names the first broken link: an edited, deleted, inserted or
// reordered entry breaks the recomputed hashes; a chain rewritten from some point on, with every
// later hash recomputed, still fails on the head's MAC, which needs a key the database never holds.
// Not detected (docs/audit.md): cutting a chain's tail while putting back a head saved earlier
// (every head MAC passes through the database), or deleting a whole chain with its head. Anchoring
// heads outside the database would close that; it is not built yet.
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { genesisHash, headMac, nextHash } from './chain.ts';
import type { AuditTables } from './record.ts';

export interface ChainReport {
  chain: string;
  entries: number;
  /** The first broken link, or null for an intact chain. */
  problem: string | null;
}

const PAGE = 1000;

/**
 * Verifies one chain. `db` must see the chain's rows: the owner, or a runtime transaction of
 * the chain's tenant. Reads in pages by key, so a long chain never holds one long transaction.
 */
export async function verifyChain(db: Kysely<AuditTables> | Transaction<AuditTables>, chain: string, macKey: Buffer): Promise<ChainReport> {
  // The head first: an entry and its head advance commit together, so every entry up to the head
  // read now is committed, and entries written while we verify (beyond it) are not our concern.
  const head = await db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', chain).executeTakeFirst();
  const headSeq = head ? Number(head.seq) : 0;
  let previous = genesisHash(chain);
  let expected = 1;
  while (expected <= headSeq) {
    const page = await db.selectFrom('audit_entries').selectAll().where('tenant_id', '=', chain)
      .where('seq', '>=', String(expected)).where('seq', '<=', String(headSeq)).orderBy('seq').limit(PAGE).execute();
    if (page.length === 0) break;
    for (const row of page) {
      const seq = Number(row.seq);
      if (seq !== expected) return { chain, entries: expected - 1, problem: `entry ${expected} is missing (deleted or moved)` };
      const hash = nextHash(previous, { ...row, details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details });
      if (!hash.equals(row.hash)) return { chain, entries: expected - 1, problem: `entry ${seq} does not match its hash (edited, reordered or re-chained)` };
      previous = hash;
      expected += 1;
    }
  }
  const last = expected - 1;
  if (!head) {
    const orphan = await db.selectFrom('audit_entries').select('seq').where('tenant_id', '=', chain).limit(1).executeTakeFirst();
    return { chain, entries: 0, problem: orphan ? 'the chain has entries but no head' : null };
  }
  if (last < headSeq) return { chain, entries: last, problem: `entry ${last + 1} is missing (deleted or moved)` };
  if (!head.hash.equals(previous)) return { chain, entries: last, problem: `the head's hash does not match entry ${last}` };
  if (!head.mac || !crypto.timingSafeEqual(headMac(macKey, chain, head.seq, head.hash), head.mac)) {
    return { chain, entries: last, problem: 'the head’s MAC is wrong: the chain was rewritten without the audit key' };
  }
  // Entries beyond the head that were committed before it was read would be additions without a
  // head (the writer advances both in one transaction).
  const beyond = await db.selectFrom('audit_entries').select('seq').where('tenant_id', '=', chain)
    .where('seq', '>', String(headSeq)).orderBy('seq').limit(1).executeTakeFirst();
  if (beyond && Number(beyond.seq) !== headSeq + 1) {
    return { chain, entries: last, problem: `entry ${beyond.seq} lies beyond the head (added without it)` };
  }
  return { chain, entries: last, problem: null };
}

/** Every chain the connection can see (the owner sees all). */
export async function chainsOf(db: Kysely<AuditTables>): Promise<string[]> {
  const rows = await db.selectFrom('audit_heads').select('tenant_id').orderBy('tenant_id').execute();
  return rows.map((row) => row.tenant_id);
}
