// Verifies audit chains and names the first broken link: an edited, deleted, inserted or
// reordered entry breaks the recomputed hashes; a chain rewritten from some point on, with every
// later hash recomputed, still fails on the head's MAC, which needs a key the database never holds.
import type { Kysely } from 'kysely';
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
export async function verifyChain(db: Kysely<AuditTables>, chain: string, macKey: Buffer): Promise<ChainReport> {
  let previous = genesisHash(chain);
  let expected = 1;
  for (;;) {
    const page = await db.selectFrom('audit_entries').selectAll().where('tenant_id', '=', chain)
      .where('seq', '>=', String(expected)).orderBy('seq').limit(PAGE).execute();
    for (const row of page) {
      const seq = Number(row.seq);
      if (seq !== expected) return { chain, entries: expected - 1, problem: `entry ${expected} is missing (deleted or moved)` };
      const hash = nextHash(previous, { ...row, details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details });
      if (!hash.equals(row.hash)) return { chain, entries: expected - 1, problem: `entry ${seq} does not match its hash (edited, reordered or re-chained)` };
      previous = hash;
      expected += 1;
    }
    if (page.length < PAGE) break;
  }
  const last = expected - 1;
  const head = await db.selectFrom('audit_heads').selectAll().where('tenant_id', '=', chain).executeTakeFirst();
  if (!head) return { chain, entries: last, problem: last === 0 ? null : 'the chain has entries but no head' };
  if (Number(head.seq) !== last) return { chain, entries: last, problem: `the head is at entry ${head.seq} but the last entry is ${last} (entries removed or added)` };
  if (!head.hash.equals(previous)) return { chain, entries: last, problem: `the head's hash does not match entry ${last}` };
  if (!head.mac || !headMac(macKey, chain, head.seq, head.hash).equals(head.mac)) {
    return { chain, entries: last, problem: 'the head’s MAC is wrong: the chain was rewritten without the audit key' };
  }
  return { chain, entries: last, problem: null };
}

/** Every chain the connection can see (the owner sees all). */
export async function chainsOf(db: Kysely<AuditTables>): Promise<string[]> {
  const rows = await db.selectFrom('audit_heads').select('tenant_id').orderBy('tenant_id').execute();
  return rows.map((row) => row.tenant_id);
}
