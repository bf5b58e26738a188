// A transaction's `begin` travels with its first statement when that statement has no parameters
// (src/db/deferred-begin.ts): one round trip less per tenant transaction, and still a transaction:
// what it wrote goes if it rolls back, on both engines.
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
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
