// Reading a person's rows out of any registered table: page by page along the primary key, each
// page in a short transaction of its own (a tenant transaction for a workspace's rows), sealed
// columns opened, hidden ones (hashes, tokens, secrets) left out. Memory holds two pages at most
// however many rows there are; no transaction stays open while the caller writes the rows out.
import { isUtf8 } from 'node:buffer';
import { sql, type Kysely, type Transaction } from 'kysely';
import { personKey, open, type Keystore, type Sealer, type SealContext } from '../crypto/index.ts';
import { transaction } from '../db/transaction.ts';
import { withTenant } from '../db/tenant.ts';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import type { TableEntry } from '../db/registry.ts';
import type { Selection } from './scope.ts';
import type { RightsTables } from './tables.ts';

/**
 * A page holds at most MAX_PAGE_ROWS rows and, past its first row, at most PAGE_BYTES of stored
 * values: the database cuts it where the running size of the row's sealed columns passes the
 * bound, so that an account of large messages holds no more in memory than one of small ones.
 */
export const MAX_PAGE_ROWS = 1000;
export const PAGE_BYTES = 4 * 1024 * 1024;

export interface RowsDeps {
  db: Kysely<RightsTables>;
  sealer: Pick<Sealer, 'openerFor'>;
  keystore: Keystore;
}

type Row = Record<string, unknown>;
export type ExportedRow = Record<string, unknown>;

/** Runs `fn` in the transaction a selection's rows are read in. */
export function inSelection<T>(db: Kysely<RightsTables>, selection: Selection, fn: (trx: Transaction<RightsTables>) => Promise<T>): Promise<T> {
  return selection.tenantId ? withTenant(db, selection.tenantId, fn) : transaction(db, fn);
}

export async function countRows(db: Kysely<RightsTables>, selection: Selection): Promise<{ count: number; oldest: Date | null; newest: Date | null }> {
  const { entry } = selection;
  const at = entry.createdAt ? sql.ref(entry.createdAt) : sql`null::timestamptz`;
  const { rows } = await inSelection(db, selection, (trx) => sql<{ count: number; oldest: Date | null; newest: Date | null }>`
    select count(*)::int as count, min(${at}) as oldest, max(${at}) as newest
      from ${sql.table(entry.table)} where ${selection.where}`.execute(trx));
  const row = rows[0]!;
  return { count: row.count, oldest: row.oldest, newest: row.newest };
}

/** bytea arrives as a Buffer from pg and as a Uint8Array from the embedded engine. */
function asBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The seal context of a row's column, by the registry's convention (src/db/registry.ts). */
export function sealContextOf(entry: TableEntry, row: Row, column: string): SealContext {
  const rowKey = entry.key.filter((name) => name !== 'tenant_id').map((name) => {
    const value = row[name];
    return value instanceof Uint8Array ? asBuffer(value).toString('hex') : String(value);
  });
  return { tenantId: typeof row.tenant_id === 'string' ? row.tenant_id : INSTANCE_CHAIN, table: entry.table, column, rowId: rowKey.join(':') };
}

/** A column's value as JSON can carry it. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return asBuffer(value).toString('base64');
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
  // Opened once, and only if a row needs it: a person's key may be shredded already.
  let ownKey: Promise<Buffer> | undefined;
  const ownKeyOnce = () => (ownKey ??= personKey(deps.keystore, personId, false));
  interface Page { out: ExportedRow[]; last: Row | undefined }
  // Stored sizes, not detoasted: pg_column_size of a column reads no value out of TOAST.
  const size = sql.join([sql`200`, ...Object.keys(entry.sealed).map((column) => sql`coalesce(pg_column_size(${sql.ref(column)}), 0)`)], sql` + `);
  // Only what is exported leaves the database (hidden columns stay, unless the key needs them),
  // sealed values as base64: smaller on the wire than bytea's hex, and quicker to decode.
  let columns: ReturnType<typeof sql> | undefined;
  const columnsOf = async (trx: Kysely<RightsTables>) => {
    const { rows: names } = await sql<{ name: string }>`
      select attname as name from pg_attribute where attrelid = to_regclass(${entry.table}) and attnum > 0 and not attisdropped order by attnum`.execute(trx);
    return sql.join(names.map(({ name }) => name).filter((name) => !hidden.has(name) || entry.key.includes(name))
      .map((name) => (entry.sealed[name] ? sql`encode(${sql.ref(name)}, 'base64') as ${sql.ref(name)}` : sql.ref(name))));
  };
  // Opened inside the page's transaction: a data key is looked up in it the first time it is needed.
  const fetchPage = (after: unknown[] | undefined): Promise<Page> => inSelection(deps.db, selection, async (trx) => {
    columns ??= await columnsOf(trx);
    // The page is cut by the running size of the rows' stored values; only the rows kept are read out.
    const { rows } = await sql<Row>`
      select ${columns} from (
        select l.*, sum(${size}) over (order by ${keyColumns}) - (${size}) as custos_bytes_before
          from (select * from ${sql.table(entry.table)}
                 where ${selection.where} ${after ? sql`and (${keyColumns}) > (${sql.join(after)})` : sql``}
                 order by ${keyColumns} limit ${maxPageRows}) l
      ) page
      where custos_bytes_before < ${PAGE_BYTES}
      order by ${keyColumns}`.execute(trx);
    const opener = selection.tenantId && Object.values(entry.sealed).includes('workspace') ? await deps.sealer.openerFor(trx, selection.tenantId) : undefined;
    const out: ExportedRow[] = [];
    for (const row of rows) {
      out.push(await exportRow({ entry, personId, hidden, opener, ownKey: ownKeyOnce }, row));
    }
    // A page cut by its bytes is shorter than the limit without being the last: only an empty page says the end.
    return { out, last: rows.at(-1) };
  });
  // One page ahead: the next is read and opened while the caller compresses and writes this one
  // (zlib runs on libuv's threads), so the two overlap; memory holds two pages at most.
  let next: Promise<Page> | undefined = fetchPage(undefined);
  while (next) {
    const page: Page = await next;
    next = undefined;
    if (page.last) {
      const last = page.last;
      next = fetchPage(entry.key.map((column) => last[column]));
      // A caller that stops early leaves it unawaited: its failure must not be an unhandled rejection.
      next.catch(() => undefined);
    }
    if (page.out.length > 0) yield page.out;
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
      // Sealed columns are read as base64 (readRows' select list).
      const sealed = Buffer.from(value as string, 'base64');
      if (under === 'workspace' && opener) out[column] = opened(await opener(sealContextOf(entry, row, column), sealed));
      else if (under === 'person' && rowNames(entry, row, personId)) {
        const key = await ownKey();
        out[column] = opened(await open(() => key, sealContextOf(entry, row, column), sealed));
      } else throw new Error('not the person’s to open');
    } catch {
      out[column] = null;
      unreadable.push(column);
    }
  }
  if (unreadable.length > 0) out._unreadable = unreadable;
  return out;
}
