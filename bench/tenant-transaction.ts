// Hot path: every tenant read or write goes through withTenant(), a short transaction that sets
// the tenant with SET LOCAL before the work. Baseline: the same read in a plain transaction, so the
// ratio is the price of the tenant setting and row-level security.
// Engine: the embedded one, or the server of DATABASE_URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { migrate } from '../packages/custos/src/app.ts';
import { loadConfig } from '../packages/custos/src/core/config.ts';
import { newId } from '../packages/custos/src/core/ids.ts';
import { createLogger } from '../packages/custos/src/core/log.ts';
import { openDatabase } from '../packages/custos/src/db/connect.ts';
import { withTenant } from '../packages/custos/src/db/tenant.ts';
import { transaction } from '../packages/custos/src/db/transaction.ts';
import { measure, report } from './measure.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'packages', 'custos', 'test', 'fixtures', 'migrations');
const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 2000);

/** On a server, a database of the benchmark's own, dropped afterwards: never the operator's. */
async function benchDatabaseUrl(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `custos_bench_${newId().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export async function benchTenantTransaction(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bench-'));
  const server = process.env.DATABASE_URL ? await benchDatabaseUrl(process.env.DATABASE_URL) : undefined;
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: server?.url }, { dataDir }), logLevel: 'silent' as const };
  await migrate(config, { extraMigrationDirs: [FIXTURES] }, createLogger({ level: 'silent' }));
  const database = await openDatabase(config, 'runtime');
  try {
    const tenant = newId();
    const id = newId();
    await withTenant(database.db, tenant, (trx) =>
      sql`insert into test_notes (tenant_id, id, body) values (${tenant}, ${id}, 'x')`.execute(trx),
    );
    const read = sql`select body from test_notes where id = ${id}`;
    // Warm every path first, so that the order of the measurements does not favour the later ones.
    for (let i = 0; i < 500; i += 1) {
      await transaction(database.db, (trx) => read.execute(trx));
      await withTenant(database.db, tenant, (trx) => read.execute(trx));
    }
    const baseline = await measure('plain transaction, one read (no tenant)', OPERATIONS, () => transaction(database.db, (trx) => read.execute(trx)));
    const tenantRead = await measure('withTenant, one read under RLS', OPERATIONS, () => withTenant(database.db, tenant, (trx) => read.execute(trx)));
    const bare = await measure('single statement, no transaction', OPERATIONS, () => read.execute(database.db));
    report(`withTenant on ${database.engine} (${OPERATIONS} operations)`, baseline, [tenantRead, bare]);
  } finally {
    await database.close();
    await server?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
