// An operator's own runtime login (DATABASE_RUNTIME_URL): it gets custos_runtime's grants by
// membership, and a login that could bypass RLS is refused. Server only: the embedded engine has
// no logins of its own.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/app.ts';
import { newId } from '../../src/core/ids.ts';
import { runtimeLoginProblems } from '../../src/db/catalog.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { adminQuery, createTestDatabase, ENGINE, TEST_MIGRATIONS, type TestDatabase } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';
import { notesDb } from '../support/notes.ts';

const suffix = crypto.randomBytes(4).toString('hex');
const login = `custos_test_login_${suffix}`;
const superLogin = `custos_test_super_${suffix}`;
let testDb: TestDatabase;

function urlFor(user: string): string {
  const url = new URL(testDb.config.databaseUrl!);
  url.username = user;
  url.password = 'operator-chosen-password';
  return url.toString();
}

describe.runIf(ENGINE === 'postgres')('DATABASE_RUNTIME_URL on postgres', () => {
  beforeAll(async () => {
    testDb = await createTestDatabase();
    await adminQuery(testDb.adminUrl, `CREATE ROLE ${login} LOGIN PASSWORD 'operator-chosen-password'`);
    await adminQuery(testDb.adminUrl, `CREATE ROLE ${superLogin} LOGIN SUPERUSER PASSWORD 'operator-chosen-password'`);
  });
  afterAll(async () => {
    await testDb?.drop();
    for (const role of [login, superLogin]) await adminQuery(testDb.adminUrl, `DROP ROLE IF EXISTS ${role}`);
  });

  it('P-TEN-3: the operator’s login runs with custos_runtime’s grants and under RLS', async () => {
    const config = { ...testDb.config, databaseRuntimeUrl: urlFor(login) };
    await migrate(config, { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: new LogCapture() });
    const runtime = await openDatabase(config, 'runtime');
    try {
      const who = await runtime.pool.query('select session_user as s');
      expect(who.rows[0]).toEqual({ s: login });
      expect(await runtimeLoginProblems(runtime)).toEqual([]);
      const tenant = newId();
      const db = notesDb(runtime);
      await withTenant(db, tenant, (trx) => trx.insertInto('test_notes').values({ tenant_id: tenant, id: newId(), body: 'x' }).execute());
      expect(await db.selectFrom('test_notes').selectAll().execute()).toEqual([]);
      expect(await withTenant(db, tenant, (trx) => trx.selectFrom('test_notes').select('body').execute())).toEqual([{ body: 'x' }]);
    } finally {
      await runtime.close();
    }
  });

  it('P-TEN-3: a runtime login that could bypass RLS is refused at migrate', async () => {
    const config = { ...testDb.config, databaseRuntimeUrl: urlFor(superLogin) };
    await expect(migrate(config, { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: new LogCapture() })).rejects.toThrow(
      /can bypass row-level security/,
    );
  });
});
