// The data registry (src/db/registry.ts) against the live catalog: every table custos creates is
// registered, every registered table and column exists, sealed columns are bytea, and tables that
// belong to workspaces are tenant tables.
import { describe, expect, it } from 'vitest';
import { BLOBS, JOB_SCHEMA, TABLES } from '../../src/db/registry.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';

const handle = useMigratedRuntime();

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
}

// Tables the test fixtures add (test/fixtures/migrations); not custos's own.
const FIXTURE_TABLES = new Set(['test_notes', 'test_note_tags']);

async function catalogColumns(): Promise<ColumnRow[]> {
  // pg_catalog, not information_schema: the latter hides tables the runtime has no grant on.
  const { rows } = await handle.runtime.pool.query<ColumnRow>(`
    select case when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as table_name,
           a.attname as column_name, format_type(a.atttypid, null) as data_type
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where c.relkind in ('r', 'p') and not c.relispartition
       and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`);
  return rows;
}

describe(`the data registry on ${ENGINE}`, () => {
  it('P-ENC-1, P-TEN-1: every table custos created is in the registry (the job schema as a whole)', async () => {
    const tables = new Set((await catalogColumns()).map((row) => row.table_name));
    const registered = new Set(TABLES.map((entry) => entry.table));
    const missing = [...tables].filter((table) => !registered.has(table) && !FIXTURE_TABLES.has(table) && !table.startsWith(`${JOB_SCHEMA.schema}.`));
    expect(missing).toEqual([]);
    expect(tables.size).toBeGreaterThan(TABLES.length); // the job schema's tables are there too
  });

  it('every registered table and column exists; sealed columns are bytea', async () => {
    const columns = await catalogColumns();
    const typeOf = (table: string, column: string) => columns.find((row) => row.table_name === table && row.column_name === column)?.data_type;
    const problems: string[] = [];
    for (const entry of TABLES) {
      if (!columns.some((row) => row.table_name === entry.table)) problems.push(`${entry.table}: no such table`);
      const named = [
        ...Object.keys(entry.sealed), ...(entry.owner.kind === 'instance' ? [] : [entry.owner.column]), ...(entry.people ?? []), ...(entry.hidden ?? []),
        ...[entry.workspaceColumn, entry.emailColumn, entry.createdAt, entry.about].filter((column): column is string => column !== undefined),
      ];
      for (const column of named) if (!typeOf(entry.table, column)) problems.push(`${entry.table}.${column}: no such column`);
      for (const column of Object.keys(entry.sealed)) {
        if (typeOf(entry.table, column) !== 'bytea') problems.push(`${entry.table}.${column}: sealed but not bytea`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('P-TEN-1: a table registered as a workspace’s has a tenant_id, and a table with a tenant_id is registered as a workspace’s', async () => {
    const columns = await catalogColumns();
    const withTenant = new Set(columns.filter((row) => row.column_name === 'tenant_id').map((row) => row.table_name));
    for (const entry of TABLES) {
      const tenantTable = entry.owner.kind === 'workspace' && entry.owner.column === 'tenant_id';
      expect({ table: entry.table, tenant: withTenant.has(entry.table) }).toEqual({ table: entry.table, tenant: tenantTable });
    }
  });

  it('P-RIG-2: each entry’s key is its table’s primary key, in order (the export pages by it)', async () => {
    const { rows } = await handle.runtime.pool.query<{ table_name: string; columns: string[] }>(`
      select case when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as table_name,
             array(select a.attname::text from unnest(i.indkey) with ordinality as k(attnum, position)
                     join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum order by k.position) as columns
        from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
       where i.indisprimary`);
    const keys = new Map(rows.map((row) => [row.table_name, row.columns]));
    for (const entry of TABLES) expect({ table: entry.table, key: keys.get(entry.table) }).toEqual({ table: entry.table, key: [...entry.key] });
  });

  it('each entry names a purpose, and the registry names each table once', () => {
    expect(new Set(TABLES.map((entry) => entry.table)).size).toBe(TABLES.length);
    for (const entry of [...TABLES, ...BLOBS]) expect(entry.purpose.length).toBeGreaterThan(10);
  });
});
