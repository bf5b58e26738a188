// Hot path: content arriving in bulk. 1 KiB records sealed (per-row key, AES-256-GCM) and inserted
// through withTenant into a tenant table under RLS, against the baseline of a plain INSERT of the
// same plaintext into an unprotected table with the same column type (bytea), in the same run;
// 1 and 500 rows per statement. Run on Postgres with DATABASE_URL set (the target).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { newId } from '../packages/custos/src/core/ids.ts';
import { createLogger } from '../packages/custos/src/core/log.ts';
import { withTenant } from '../packages/custos/src/db/tenant.ts';
import { openKeys } from '../packages/custos/src/keys.ts';
import { openBenchDatabase } from './bench-database.ts';
import { measure, report } from './measure.ts';

// Distinct records, as real content is: a single repeated buffer makes the baseline's INSERT about
// a third faster than any real one (measured here), and would flatter nothing but the baseline.
const RECORDS = Array.from({ length: 1000 }, () => crypto.randomBytes(1024));
const record = (i: number): Buffer => RECORDS[i % RECORDS.length]!;
const ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 20_000);

export async function benchIngest(): Promise<void> {
  const bench = await openBenchDatabase();
  const { db } = bench.runtime;
  const keys = openKeys(bench.config, createLogger({ level: 'silent' }));
  const tenant = newId();
  try {
    const plain = (n: number) => async (op: number) => {
      const ids = Array.from({ length: n }, () => newId());
      const bodies = ids.map((_, i) => record(op * n + i));
      await sql`insert into bench_plain (id, body) select * from unnest(${ids}::uuid[], ${bodies}::bytea[])`.execute(db);
    };
    const sealed = (n: number) => async (op: number) => {
      await withTenant(db, tenant, async (trx) => {
        const ids = Array.from({ length: n }, () => newId());
        const sealFor = await keys.sealer.sealerFor(trx, tenant);
        const bodies = ids.map((id, i) => sealFor({ tenantId: tenant, table: 'bench_records', column: 'body', rowId: id }, record(op * n + i)));
        await sql`insert into bench_records (tenant_id, id, body) select ${tenant}::uuid, * from unnest(${ids}::uuid[], ${bodies}::bytea[])`.execute(trx);
      });
    };
    const results = [];
    for (const batch of [1, 500]) {
      const statements = Math.max(20, Math.floor((batch === 1 ? ROWS / 10 : ROWS) / batch));
      const base = await measure(`plain INSERT, ${batch} rows/statement`, statements, plain(batch));
      const ours = await measure(`sealed + withTenant, ${batch} rows/statement`, statements, sealed(batch));
      results.push({ batch, base, ours });
      report(`ingest of 1 KiB records on ${bench.runtime.engine}, ${batch} rows per statement (${statements} statements)`, base, [ours]);
      const rate = (m: typeof base) => Math.round(m.opsPerSecond * batch);
      process.stdout.write(`rows/s: plain ${rate(base)}, sealed ${rate(ours)}, ratio ${(ours.opsPerSecond / base.opsPerSecond).toFixed(2)}\n`);
    }
  } finally {
    await bench.close();
  }
}
