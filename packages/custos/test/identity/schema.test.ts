// Better Auth's schema is custos's migration 0004: its own migration planner finds nothing to do.
import { getMigrations } from 'better-auth/db/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/app.ts';
import { openDatabase, type Database } from '../../src/db/connect.ts';
import { authOptions } from '../../src/identity/index.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

let testDb: TestDatabase;
let owner: Database;
beforeAll(async () => {
  testDb = await createTestDatabase();
  await migrate(testDb.config, { logDestination: new LogCapture() });
  owner = await openDatabase(testDb.config, 'owner');
});
afterAll(async () => {
  await owner?.close();
  await testDb?.drop();
});

describe(`Better Auth's schema on ${ENGINE}`, () => {
  it("getMigrations finds nothing pending after custos's migrations", async () => {
    const options = authOptions({ publicUrl: new URL('http://localhost'), requireEmailVerification: false, sessionIdleSeconds: 3600, sessionAbsoluteSeconds: 7200 }, 'x'.repeat(32));
    const plan = await getMigrations({ ...options, database: { db: owner.db as never, type: 'postgres' } });
    expect(plan.toBeCreated.map((t) => t.table)).toEqual([]);
    expect(plan.toBeAdded.map((t) => t.table)).toEqual([]);
    expect(plan.toBeAddedIndexes.map((i) => i.name)).toEqual([]);
    expect(plan.schemaProblems).toEqual([]);
  });

  it('the runtime login has DML only on the identity tables (P-TEN-3)', async () => {
    const grants = await owner.pool.query<{ table_name: string; privilege_type: string }>(
      `select table_name, privilege_type from information_schema.role_table_grants
       where grantee = 'custos_runtime' and table_name in ('people', 'sessions', 'accounts', 'verifications', 'workspaces', 'memberships', 'invitations', 'api_keys', 'terms_acceptances', 'instance_admins')`);
    const privileges = new Set(grants.rows.map((g) => g.privilege_type));
    expect([...privileges].sort()).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    const adminGrants = grants.rows.filter((g) => g.table_name === 'instance_admins').map((g) => g.privilege_type);
    expect(adminGrants).toEqual(['SELECT']);
  });
});
