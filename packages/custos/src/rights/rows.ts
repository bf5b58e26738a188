// Reading a person's rows out of any registered table: page by page along the primary key, each
// page in a short transaction of its own (a tenant transaction for a workspace's rows), sealed
// columns opened, hidden ones (hashes, tokens, secrets) left out. Memory holds one page at a time
// however many rows there are; no transaction stays open while the caller writes the rows out.
import { isUtf8 } from 'node:buffer';
import { sql, type Kysely } from 'kysely';
import { personKey, open, type Keystore, type Sealer, type SealContext } from '../crypto/index.ts';
import { transaction } from '../db/transaction.ts';
import { withTenant } from '../db/tenant.ts';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import type { TableEntry } from '../db/registry.ts';
import type { Selection } from './scope.ts';

/**
 * Pages are bounded in rows and, roughly, in bytes: they start at FIRST_PAGE rows and each next
 * page is sized from the bytes per row of the last, aiming at PAGE_BYTES, so that an account of
 * large messages holds no more in memory than one of small ones.
 */
export const MAX_PAGE_ROWS = 1000;
const FIRST_PAGE_ROWS = 100;
const PAGE_BYTES = 4 * 1024 * 1024;

/** A row's rough size: its byte and text values. */
function rowBytes(row: Record<string, unknown>): number {
  let bytes = 64;
  for (const value of Object.values(row)) {
    if (Buffer.isBuffer(value)) bytes += value.length;
    else if (typeof value === 'string') bytes += value.length;
    else if (value !== null && typeof value === 'object') bytes += 256;
    else bytes += 8;
  }
  return bytes;
}

export interface RowsDeps {
  db: Kysely<never>;
  sealer: Pick<Sealer, 'openerFor'>;
  keystore: Keystore;
}

type Row = Record<string, unknown>;
export type ExportedRow = Record<string, unknown>;

/** Runs `fn` in the transaction a selection's rows are read in. */
export function inSelection<T>(db: Kysely<never>, selection: Selection, fn: (trx: Kysely<never>) => Promise<T>): Promise<T> {
  return selection.tenantId ? withTenant(db, selection.tenantId, fn) : transaction(db, fn);
}

export async function countRows(db: Kysely<never>, selection: Selection): Promise<{ count: number; oldest: Date | null; newest: Date | null }> {
  const { entry } = selection;
  const at = entry.createdAt ? sql.ref(entry.createdAt) : sql`null::timestamptz`;
  const { rows } = await inSelection(db, selection, (trx) => sql<{ count: number; oldest: Date | null; newest: Date | null }>`
    select count(*)::int as count, min(${at}) as oldest, max(${at}) as newest
      from ${sql.table(entry.table)} where ${selection.where}`.execute(trx));
  const row = rows[0]!;
  return { count: row.count, oldest: row.oldest, newest: row.newest };
}

/** The seal context of a row's column, by the registry's convention (src/db/registry.ts). */
export function sealContextOf(entry: TableEntry, row: Row, column: string): SealContext {
  const rowKey = entry.key.filter((name) => name !== 'tenant_id').map((name) => {
    const value = row[name];
    return Buffer.isBuffer(value) ? value.toString('hex') : String(value);
  });
  return { tenantId: typeof row.tenant_id === 'string' ? row.tenant_id : INSTANCE_CHAIN, table: entry.table, column, rowId: rowKey.join(':') };
}

/** A column's value as JSON can carry it. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Opened content: JSON stays JSON, text stays text, anything else is base64. */
function opened(plaintext: Buffer): unknown {
  if (isUtf8(plaintext)) {
    const text = plaintext.toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return { base64: plaintext.toString('base64') };
}

/** Whether a row names the person (a person-sealed column opens under their key only if so). */
function rowNames(entry: TableEntry, row: Row, personId: string): boolean {
  const columns = [...(entry.owner.kind === 'person' && !entry.owner.jsonField ? [entry.owner.column] : []), ...(entry.people ?? [])];
  return columns.some((column) => String(row[column]) === personId);
}

/**
 * The rows of one selection, a page at a time. Sealed values that cannot be opened (another
 * person's, or shredded) come out as null and are named in `_unreadable`.
 */
export async function* readRows(deps: RowsDeps, selection: Selection, personId: string, maxPageRows = MAX_PAGE_ROWS): AsyncGenerator<ExportedRow[]> {
  const { entry } = selection;
  const hidden = new Set(entry.hidden ?? []);
  const keyColumns = sql.join(entry.key.map((column) => sql.ref(column)));
  let after: unknown[] | undefined;
  // Opened once, and only if a row needs it: a person's key may be shredded already.
  let ownKey: Promise<Buffer> | undefined;
  const ownKeyOnce = () => (ownKey ??= personKey(deps.keystore, personId, false));
  let pageSize = Math.min(FIRST_PAGE_ROWS, maxPageRows);
  for (;;) {
    // Opened inside the page's transaction: a data key is looked up in it the first time it is needed.
    const page = await inSelection(deps.db, selection, async (trx) => {
      const { rows } = await sql<Row>`
        select * from ${sql.table(entry.table)}
         where ${selection.where} ${after ? sql`and (${keyColumns}) > (${sql.join(after)})` : sql``}
         order by ${keyColumns} limit ${pageSize}`.execute(trx);
      const opener = selection.tenantId && Object.values(entry.sealed).includes('workspace') ? await deps.sealer.openerFor(trx as never, selection.tenantId) : undefined;
      const out: ExportedRow[] = [];
      let bytes = 0;
      for (const row of rows) {
        bytes += rowBytes(row);
        out.push(await exportRow({ entry, personId, hidden, opener, ownKey: ownKeyOnce }, row));
      }
      return { out, last: rows.at(-1), full: rows.length === pageSize, bytes };
    });
    const { out } = page;
    if (out.length > 0) yield out;
    if (!page.full || !page.last) return;
    const last = page.last;
    after = entry.key.map((column) => last[column]);
    const perRow = page.bytes / page.out.length;
    pageSize = Math.max(1, Math.min(maxPageRows, Math.floor(PAGE_BYTES / perRow)));
  }
}

interface RowContext {
  entry: TableEntry;
  personId: string;
  hidden: Set<string>;
  opener: ((ctx: SealContext, sealed: Buffer) => Promise<Buffer>) | undefined;
  ownKey: () => Promise<Buffer>;
}

async function exportRow({ entry, personId, hidden, opener, ownKey }: RowContext, row: Row): Promise<ExportedRow> {
  const out: ExportedRow = {};
  const unreadable: string[] = [];
  for (const [column, value] of Object.entries(row)) {
    if (hidden.has(column)) continue;
    const under = entry.sealed[column];
    if (!under || value === null) {
      out[column] = plain(value);
      continue;
    }
    try {
      if (under === 'workspace' && opener) out[column] = opened(await opener(sealContextOf(entry, row, column), value as Buffer));
      else if (under === 'person' && rowNames(entry, row, personId)) {
        const key = await ownKey();
        out[column] = opened(await open(() => key, sealContextOf(entry, row, column), value as Buffer));
      } else throw new Error('not the person’s to open');
    } catch {
      out[column] = null;
      unreadable.push(column);
    }
  }
  if (unreadable.length > 0) out._unreadable = unreadable;
  return out;
}
