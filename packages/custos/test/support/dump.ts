// Every row of every table outside the system schemas, as text, read as the schema owner (past
// RLS): what a database dump or a stolen backup would show. Tests scan it for planted values.
import type { Config } from '../../src/core/config.ts';
import { openDatabase } from '../../src/db/connect.ts';

export async function dumpEveryTable(config: Config): Promise<Map<string, string>> {
  const owner = await openDatabase(config, 'owner');
  try {
    const tables = await owner.pool.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`);
    const dump = new Map<string, string>();
    for (const { schema, name } of tables.rows) {
      const rows = await owner.pool.query(`select t::text as row from "${schema}"."${name}" t`);
      dump.set(`${schema}.${name}`, rows.rows.map((r: { row: string }) => r.row).join('\n'));
    }
    return dump;
  } finally {
    await owner.close();
  }
}

/**
 * The dump as texts to scan for planted values, each table twice: as dumped, and with its bytea
 * values (which a dump shows as hex) decoded, so that a value stored as bytes is found too.
 */
export async function dumpTexts(config: Config): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const [table, rows] of await dumpEveryTable(config)) {
    texts[table] = rows;
    texts[`${table} (bytes)`] = [...rows.matchAll(/\\x([0-9a-f]+)/g)].map((m) => Buffer.from(m[1]!, 'hex').toString('latin1')).join('\n');
  }
  return texts;
}
