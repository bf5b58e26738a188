import { sql, type Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { transaction } from '../../src/db/transaction.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';
import { notesDb, type NotesSchema } from '../support/notes.ts';

const handle = useMigratedRuntime();
let db: Kysely<NotesSchema>;
const A = newId();
const B = newId();
const noteA = newId();
const noteB = newId();

beforeAll(async () => {
  db = notesDb(handle.runtime);
  await withTenant(db, A, (trx) => trx.insertInto('test_notes').values({ tenant_id: A, id: noteA, body: 'a' }).execute());
  await withTenant(db, B, (trx) => trx.insertInto('test_notes').values({ tenant_id: B, id: noteB, body: 'b' }).execute());
  await withTenant(db, B, (trx) => trx.insertInto('test_note_tags').values({ tenant_id: B, note_id: noteB, tag: 't' }).execute());
});

async function notesOfB(): Promise<string[]> {
  const rows = await withTenant(db, B, (trx) => trx.selectFrom('test_notes').select(['id', 'body']).execute());
  return rows.map((row) => `${row.id}:${row.body}`);
}

describe(`tenant isolation on ${ENGINE}`, () => {
  it('P-TEN-1: under A, a SELECT without a WHERE sees only A’s rows', async () => {
    const rows = await withTenant(db, A, (trx) => trx.selectFrom('test_notes').selectAll().execute());
    expect(rows).toEqual([{ tenant_id: A, id: noteA, body: 'a' }]);
  });

  it('P-TEN-1: under A, B’s rows are invisible by their exact primary key and tenant id', async () => {
    const rows = await withTenant(db, A, (trx) =>
      trx.selectFrom('test_notes').selectAll().where('tenant_id', '=', B).where('id', '=', noteB).execute(),
    );
    expect(rows).toEqual([]);
    const tags = await withTenant(db, A, (trx) => trx.selectFrom('test_note_tags').selectAll().execute());
    expect(tags).toEqual([]);
  });

  it('P-TEN-1: under A, UPDATE and DELETE aimed at B’s rows touch nothing', async () => {
    const updated = await withTenant(db, A, (trx) =>
      trx.updateTable('test_notes').set({ body: 'pwned' }).where('id', '=', noteB).executeTakeFirst(),
    );
    expect(updated.numUpdatedRows).toBe(0n);
    const updatedAll = await withTenant(db, A, (trx) => trx.updateTable('test_notes').set({ body: 'a' }).executeTakeFirst());
    expect(updatedAll.numUpdatedRows).toBe(1n); // A's own row only
    const deleted = await withTenant(db, A, (trx) =>
      trx.deleteFrom('test_notes').where('tenant_id', '=', B).executeTakeFirst(),
    );
    expect(deleted.numDeletedRows).toBe(0n);
    expect(await notesOfB()).toEqual([`${noteB}:b`]);
  });

  it('P-TEN-1: under A, INSERT of a row for B is refused', async () => {
    await expect(
      withTenant(db, A, (trx) => trx.insertInto('test_notes').values({ tenant_id: B, id: newId(), body: 'x' }).execute()),
    ).rejects.toMatchObject({ code: '42501' });
    expect(await notesOfB()).toEqual([`${noteB}:b`]);
  });

  it('P-TEN-1: under A, moving A’s row to B is refused', async () => {
    await expect(
      withTenant(db, A, (trx) => trx.updateTable('test_notes').set({ tenant_id: B }).where('id', '=', noteA).execute()),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('P-TEN-1: under A, an upsert on B’s primary key creates A’s row and leaves B’s alone', async () => {
    await withTenant(db, A, (trx) =>
      trx.insertInto('test_notes').values({ tenant_id: A, id: noteB, body: 'mine' })
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet({ body: 'mine' })).execute(),
    );
    expect(await notesOfB()).toEqual([`${noteB}:b`]);
    await withTenant(db, A, (trx) => trx.deleteFrom('test_notes').where('id', '=', noteB).execute());
  });

  it('P-TEN-1: under A, a reference to B’s row is refused as if it did not exist', async () => {
    await expect(
      withTenant(db, A, (trx) => trx.insertInto('test_note_tags').values({ tenant_id: A, note_id: noteB, tag: 'x' }).execute()),
    ).rejects.toMatchObject({ code: '23503' });
  });

  it('P-TEN-1: with the tenant setting missing, every tenant table reads empty and refuses writes', async () => {
    expect(await db.selectFrom('test_notes').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('test_note_tags').selectAll().execute()).toEqual([]);
    expect((await db.updateTable('test_notes').set({ body: 'x' }).executeTakeFirst()).numUpdatedRows).toBe(0n);
    expect((await db.deleteFrom('test_notes').executeTakeFirst()).numDeletedRows).toBe(0n);
    await expect(db.insertInto('test_notes').values({ tenant_id: A, id: newId(), body: 'x' }).execute()).rejects.toMatchObject({ code: '42501' });
    expect(await notesOfB()).toEqual([`${noteB}:b`]);
  });

  it('P-TEN-1: with the tenant setting empty, every tenant table reads empty', async () => {
    const rows = await transaction(db, async (trx) => {
      await sql`SET LOCAL custos.tenant_id = ''`.execute(trx);
      return trx.selectFrom('test_notes').selectAll().execute();
    });
    expect(rows).toEqual([]);
    // And after a transaction that set it, the connection's setting is back to empty, not A.
    await withTenant(db, A, (trx) => trx.selectFrom('test_notes').selectAll().execute());
    expect(await db.selectFrom('test_notes').selectAll().execute()).toEqual([]);
  });

  it.each(['not-a-uuid', `${B}' OR true --`, "'; RESET ROLE; --", B.toUpperCase() + 'x'])(
    'P-TEN-1: a malformed tenant setting (%s) is refused',
    async (value) => {
      await expect(
        transaction(db, async (trx) => {
          await sql`SET LOCAL custos.tenant_id = ${sql.lit(value)}`.execute(trx);
          return trx.selectFrom('test_notes').selectAll().execute();
        }),
      ).rejects.toMatchObject({ code: '22P02' });
      await expect(withTenant(db, value, async () => 'entered')).rejects.toMatchObject({ code: 'invalid_request' });
    },
  );

  it('P-TEN-1: guessed primary keys of B find nothing under A', async () => {
    const guesses = [noteB, ...Array.from({ length: 50 }, () => newId())];
    const rows = await withTenant(db, A, (trx) => trx.selectFrom('test_notes').selectAll().where('id', 'in', guesses).execute());
    expect(rows).toEqual([]);
  });
});
