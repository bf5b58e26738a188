// Hot path: every tenant read or write goes through withTenant(), a short transaction that sets
// the tenant with SET LOCAL before the work. Baseline: the same read in a plain transaction, so the
// ratio is the price of the tenant setting and row-level security.
// Engine: the embedded one, or the server of DATABASE_URL.
import { sql } from 'kysely';
import { newId } from '../packages/custos/src/core/ids.ts';
import { withTenant } from '../packages/custos/src/db/tenant.ts';
import { transaction } from '../packages/custos/src/db/transaction.ts';
import { openBenchDatabase } from './bench-database.ts';
import { measure, report } from './measure.ts';

const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 2000);

export async function benchTenantTransaction(): Promise<void> {
  const bench = await openBenchDatabase();
  const database = bench.runtime;
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
    await bench.close();
  }
}
