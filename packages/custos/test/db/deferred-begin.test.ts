// A transaction's `begin` travels with its first statement when that statement has no parameters
// (src/db/deferred-begin.ts): one round trip less per tenant transaction, and still a transaction:
// what it wrote goes if it rolls back, on both engines.
import crypto from 'node:crypto';
import pg from 'pg';
import { sql, type Transaction } from 'kysely';
import type { Schema } from '../../src/db/schema.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { transaction } from '../../src/db/transaction.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';

const handle = useMigratedRuntime();
const sent: string[] = [];
const query = pg.Client.prototype.query;

// What reaches the server: every query the pg client sends, by its text.
beforeEach(() => {
  sent.length = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    sent.push(typeof first === 'string' ? first.replace(/\s+/g, ' ').trim() : String((first as { text?: string })?.text ?? ''));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
});
afterEach(() => {
  pg.Client.prototype.query = query;
});

const db = () => handle.runtime.db;
const countNotes = (tenant: string) => withTenant(db(), tenant, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from test_notes`.execute(trx)).rows[0]!.n);

describe(`transactions open with their first statement on ${ENGINE}`, () => {
  it('P-TEN-1: a tenant transaction sends BEGIN and SET LOCAL in one round trip, then its work, then COMMIT', async () => {
    const tenant = crypto.randomUUID();
    const rows = await withTenant(db(), tenant, async (trx) => (await sql<{ tenant: string }>`select current_setting('custos.tenant_id') as tenant, ${1}::int as one`.execute(trx)).rows);
    expect(rows).toEqual([{ tenant, one: 1 }]);
    expect(sent).toEqual([`begin; SET LOCAL custos.tenant_id = '${tenant}'`, "select current_setting('custos.tenant_id') as tenant, $1::int as one", 'commit']);
  });

  it('a first statement with parameters is preceded by its own BEGIN; a first statement without gives back its own rows', async () => {
    expect(await transaction(db(), async (trx) => (await sql<{ n: number }>`select ${41}::int + 1 as n`.execute(trx)).rows)).toEqual([{ n: 42 }]);
    expect(sent).toEqual(['begin', 'select $1::int + 1 as n', 'commit']);
    sent.length = 0;
    expect(await transaction(db(), async (trx) => (await sql<{ n: number }>`select 42 as n`.execute(trx)).rows)).toEqual([{ n: 42 }]);
    expect(sent).toEqual(['begin; select 42 as n', 'commit']);
  });

  it('a first statement with parameters stays inside its transaction when the transaction fails while it runs', async () => {
    // The callback fails while its first statement is in flight: Kysely sends the rollback at
    // once, which must reach the server after the statement, not before it (then it would run
    // outside any transaction, and a write would be kept).
    await expect(transaction(db(), async (trx) => {
      const slow = sql`select pg_sleep(${0.05})`.execute(trx);
      await Promise.all([slow, Promise.reject(new Error('a check failed meanwhile'))]);
    })).rejects.toThrow('a check failed meanwhile');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sent).toEqual(['begin', 'select pg_sleep($1)', 'rollback']);
  });

  it('a first statement answers as it would anywhere else: its results, its error position', async () => {
    const several = sql<{ b: number }>`select 1 as a; select 2 as b`;
    const first = await transaction(db(), async (trx) => (await several.execute(trx)).rows);
    const later = await transaction(db(), async (trx) => {
      await sql`select 0`.execute(trx);
      return (await several.execute(trx)).rows;
    });
    expect(first).toEqual(later);
    const positionOf = async (run: (trx: Transaction<Schema>) => Promise<unknown>) =>
      transaction(db(), run).then(() => undefined, (err: { position?: string }) => err.position);
    const broken = sql`select 1 + + from nowhere`;
    const atFirst = await positionOf((trx) => broken.execute(trx));
    const atSecond = await positionOf(async (trx) => {
      await sql`select 0`.execute(trx);
      await broken.execute(trx);
    });
    expect(atFirst).toBeDefined();
    expect(atFirst).toBe(atSecond);
  });

  it('a client given back with a begin still held (a transaction that sent nothing and was not ended) starts clean', async () => {
    const client = await handle.runtime.pool.connect();
    await client.query('begin', []);
    client.release();
    sent.length = 0;
    expect((await client.query('select 7 as n', [])).rows).toEqual([{ n: 7 }]);
    expect(sent).toEqual(['select 7 as n']);
  });

  it('a transaction that runs nothing sends nothing', async () => {
    expect(await transaction(db(), async () => 'done')).toBe('done');
    expect(sent).toEqual([]);
  });

  it('P-TEN-1: a write sent with BEGIN is rolled back with its transaction, and the connection is clean afterwards', async () => {
    const tenant = crypto.randomUUID();
    const id = crypto.randomUUID();
    // The insert is the first statement (no parameters: literals), so it travels with BEGIN.
    await expect(transaction(db(), async (trx) => {
      await sql`SET LOCAL custos.tenant_id = ${sql.lit(tenant)}; insert into test_notes (tenant_id, id, body) values (${sql.lit(tenant)}, ${sql.lit(id)}, 'rolled back')`.execute(trx);
      throw new Error('the caller changes its mind');
    })).rejects.toThrow('the caller changes its mind');
    expect(sent[0]).toMatch(/^begin; SET LOCAL/);
    expect(sent.at(-1)).toBe('rollback');
    expect(await countNotes(tenant)).toBe(0);

    // A first statement that fails leaves the transaction aborted and rolled back, not half applied.
    await expect(transaction(db(), async (trx) => {
      await sql`SET LOCAL custos.tenant_id = ${sql.lit(tenant)}; insert into test_notes (tenant_id, id, body) values (${sql.lit(tenant)}, ${sql.lit(id)}, 'kept?'); select 1 / 0`.execute(trx);
    })).rejects.toMatchObject({ code: '22012' });
    expect(await countNotes(tenant)).toBe(0);

    // And the pool's connections work as before.
    await withTenant(db(), tenant, (trx) => sql`insert into test_notes (tenant_id, id, body) values (${tenant}, ${id}, 'kept')`.execute(trx));
    expect(await countNotes(tenant)).toBe(1);
  });
});
