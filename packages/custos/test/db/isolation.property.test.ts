// Random interleavings of operations by several tenants, run concurrently: each tenant's operations
// run in order against a model of that tenant's rows; the tenants run at the same time on the pool.
// Any row of another tenant seen, changed or lost is a leak.
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';
import { notesDb, type NotesSchema } from '../support/notes.ts';

type Op =
  | { kind: 'insert'; body: string }
  | { kind: 'update'; pick: number; body: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'list' }
  | { kind: 'readForeign'; pick: number }
  | { kind: 'writeForeign'; pick: number }
  | { kind: 'deleteForeign'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), body: fc.string({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), body: fc.string({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('list' as const) }),
  fc.record({ kind: fc.constant('readForeign' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('writeForeign' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('deleteForeign' as const), pick: fc.nat() }),
);

const TENANTS = 3;

const handle = useMigratedRuntime();
let db: Kysely<NotesSchema>;
beforeAll(() => {
  db = notesDb(handle.runtime);
});

/** Runs one tenant's operations in order; returns the leaks it saw. */
async function runTenant(tenant: string, ops: Op[], everyId: Map<string, string>): Promise<string[]> {
  const model = new Map<string, string>();
  const leaks: string[] = [];
  const own = (pick: number): string | undefined => [...model.keys()][pick % Math.max(model.size, 1)];
  const foreign = (pick: number): string | undefined => {
    const others = [...everyId].filter(([, owner]) => owner !== tenant).map(([id]) => id);
    return others[pick % Math.max(others.length, 1)];
  };
  for (const op of ops) {
    await withTenant(db, tenant, async (trx) => {
      switch (op.kind) {
        case 'insert': {
          const id = newId();
          everyId.set(id, tenant);
          await trx.insertInto('test_notes').values({ tenant_id: tenant, id, body: op.body }).execute();
          model.set(id, op.body);
          break;
        }
        case 'update': {
          const id = own(op.pick);
          if (!id) break;
          await trx.updateTable('test_notes').set({ body: op.body }).where('id', '=', id).execute();
          model.set(id, op.body);
          break;
        }
        case 'delete': {
          const id = own(op.pick);
          if (!id) break;
          await trx.deleteFrom('test_notes').where('id', '=', id).execute();
          model.delete(id);
          break;
        }
        case 'list': {
          const rows = await trx.selectFrom('test_notes').selectAll().execute();
          for (const row of rows) if (row.tenant_id !== tenant) leaks.push(`list saw ${row.tenant_id}`);
          const seen = new Map(rows.map((row) => [row.id, row.body]));
          if (JSON.stringify([...seen].sort()) !== JSON.stringify([...model].sort())) leaks.push('list differs from the model');
          break;
        }
        case 'readForeign': {
          const id = foreign(op.pick);
          if (!id) break;
          const rows = await trx.selectFrom('test_notes').selectAll().where('id', '=', id).execute();
          if (rows.length > 0) leaks.push(`read another tenant's row ${id}`);
          break;
        }
        case 'writeForeign': {
          const id = foreign(op.pick);
          if (!id) break;
          const result = await trx.updateTable('test_notes').set({ body: 'leak' }).where('id', '=', id).executeTakeFirst();
          if (result.numUpdatedRows !== 0n) leaks.push(`updated another tenant's row ${id}`);
          break;
        }
        case 'deleteForeign': {
          const id = foreign(op.pick);
          if (!id) break;
          const result = await trx.deleteFrom('test_notes').where('id', '=', id).executeTakeFirst();
          if (result.numDeletedRows !== 0n) leaks.push(`deleted another tenant's row ${id}`);
          break;
        }
      }
    });
  }
  // The tenant's final rows are exactly its model: nothing changed or removed by the others.
  const finalRows = await withTenant(db, tenant, (trx) => trx.selectFrom('test_notes').select(['id', 'body']).execute());
  const final = new Map(finalRows.map((row) => [row.id, row.body]));
  if (JSON.stringify([...final].sort()) !== JSON.stringify([...model].sort())) leaks.push('final rows differ from the model');
  return leaks;
}

describe(`isolation under concurrent tenants on ${ENGINE}`, () => {
  it('P-TEN-1: random concurrent interleavings of several tenants never leak a row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 15 }), { minLength: TENANTS, maxLength: TENANTS }), async (plans) => {
        const everyId = new Map<string, string>();
        const tenants = plans.map(() => newId());
        const leaks = await Promise.all(plans.map((ops, i) => runTenant(tenants[i]!, ops, everyId)));
        expect(leaks.flat()).toEqual([]);
      }),
      { numRuns: ENGINE === 'postgres' ? 60 : 25 },
    );
  });
});
