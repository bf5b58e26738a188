import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/connect.ts';
import { createTestDatabase, ENGINE, migratedRuntime, type TestDatabase } from '../support/database.ts';

let testDb: TestDatabase;
let runtime: Database;

beforeAll(async () => {
  testDb = await createTestDatabase({ dbAcquireTimeoutMs: 300, dbPoolSize: 1 });
  await (await migratedRuntime(testDb)).close();
  runtime = await openDatabase(testDb.config, 'runtime');
});
afterAll(async () => {
  await runtime?.close();
  await testDb?.drop();
});

describe(`connection pool on ${ENGINE}`, () => {
  it('asking for a second connection while holding the only one fails loudly, not forever', async () => {
    const held = await runtime.pool.connect();
    try {
      await expect(runtime.db.selectFrom('custos_migrations').select('name').execute()).rejects.toMatchObject({
        code: 'database_busy',
      });
      await expect(runtime.pool.query('select 1')).rejects.toMatchObject({ code: 'database_busy' });
    } finally {
      held.release();
    }
    // Once released, the pool serves again.
    expect((await runtime.pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});
