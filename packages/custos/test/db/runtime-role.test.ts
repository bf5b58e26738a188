import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeLoginProblems } from '../../src/db/catalog.ts';
import { RUNTIME_PASSWORD_FILE } from '../../src/db/roles.ts';
import { createTestDatabase, ENGINE, TEST_MIGRATIONS, useMigratedRuntime } from '../support/database.ts';

const handle = useMigratedRuntime();

async function attempt(text: string): Promise<'ok' | string> {
  try {
    await handle.runtime.pool.query(text);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? 'error';
  }
}

async function whoAmI(): Promise<{ session_user: string; current_user: string }> {
  const { rows } = await handle.runtime.pool.query<{ session_user: string; current_user: string }>('select session_user, current_user');
  return rows[0]!;
}

describe(`runtime login on ${ENGINE}`, () => {
  it('P-TEN-3: every pool of the running server is custos_runtime, which cannot bypass RLS', async () => {
    expect(await whoAmI()).toEqual({ session_user: 'custos_runtime', current_user: 'custos_runtime' });
    const { rows } = await handle.runtime.pool.query(
      `select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication from pg_roles where rolname = 'custos_runtime'`,
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false });
    expect(await runtimeLoginProblems(handle.runtime)).toEqual([]);
  });

  it('P-TEN-3: RESET ROLE gives nothing back and SET ROLE to the owner is refused', async () => {
    expect(await attempt('RESET ROLE')).toBe('ok');
    expect(await whoAmI()).toEqual({ session_user: 'custos_runtime', current_user: 'custos_runtime' });
    expect(await attempt('SET ROLE postgres')).toBe('42501');
    expect(await whoAmI()).toEqual({ session_user: 'custos_runtime', current_user: 'custos_runtime' });
  });

  it.each([
    'SET SESSION AUTHORIZATION postgres',
    "SET session_authorization = 'postgres'",
    "select set_config('session_authorization', 'postgres', false)",
    "select set_config('session_' || 'authorization', 'postgres', false)",
    "DO $$ BEGIN EXECUTE 'SET SESSION AUTHORIZATION post' || 'gres'; END $$",
    'SET U&"session_authorizatio\\006E" = \'postgres\'',
    // Functions that already exist and run the SQL text they are given (pg-boss's).
    "select custos_jobs.job_table_run('SET SESSION AUTHORI' || 'ZATION postgres')",
    "select custos_jobs.job_table_run_async('x', 1, 'SET SESSION AUTHORI' || 'ZATION postgres')",
  ])('P-TEN-3: %s cannot give the session back to a superuser', async (statement) => {
    expect(await attempt(statement)).not.toBe('ok');
    expect(await whoAmI()).toEqual({ session_user: 'custos_runtime', current_user: 'custos_runtime' });
  });

  it.each(['SET SESSION AUTHORIZATION DEFAULT', 'RESET SESSION AUTHORIZATION', 'DISCARD ALL'])(
    'P-TEN-3: %s gives nothing back (refused, or back to custos_runtime itself)',
    async (statement) => {
      await attempt(statement);
      expect(await whoAmI()).toEqual({ session_user: 'custos_runtime', current_user: 'custos_runtime' });
    },
  );

  it.each([
    ['ALTER TABLE test_notes DISABLE ROW LEVEL SECURITY'],
    ['ALTER TABLE test_notes NO FORCE ROW LEVEL SECURITY'],
    ['DROP POLICY tenant_isolation ON test_notes'],
    ['CREATE TABLE escape_hatch (id int)'],
    ['CREATE TEMP TABLE escape_hatch (id int)'],
    ['CREATE FUNCTION escape_hatch() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'],
    ['ALTER ROLE custos_runtime BYPASSRLS'],
    ['CREATE ROLE escape_hatch SUPERUSER'],
    ['TRUNCATE test_notes'],
  ])('P-TEN-3: DDL and privilege changes are refused: %s', async (statement) => {
    expect(await attempt(statement)).toBe('42501');
  });

  it('P-TEN-3: a GRANT by the runtime grants nothing (it owns no table)', async () => {
    await attempt('GRANT SELECT ON test_notes TO PUBLIC');
    const { rows } = await handle.runtime.pool.query(`select count(*)::int as n from information_schema.role_table_grants where table_name = 'test_notes' and grantee = 'PUBLIC'`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('P-TEN-3: row_security = off does not switch RLS off for the runtime', async () => {
    const client = await handle.runtime.pool.connect();
    try {
      await client.query('SET row_security = off');
      // With forced RLS and no BYPASSRLS, Postgres refuses the query rather than skip the policy.
      await expect(client.query('select * from test_notes')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.query('RESET row_security');
      client.release();
    }
  });

  it.runIf(ENGINE === 'postgres')('P-TEN-3: the runtime password is generated into the data dir with mode 0600 when not given', async () => {
    const { migrate } = await import('../../src/app.ts');
    const { LogCapture } = await import('../support/log-capture.ts');
    // A data dir of its own, without CUSTOS_RUNTIME_PASSWORD; it must not rotate the shared role's
    // password for the other test files, so the generated one is checked and then put back.
    const other = await createTestDatabase({ runtimePassword: undefined });
    try {
      await migrate(other.config, { logDestination: new LogCapture() });
      const file = path.join(other.config.dataDir, RUNTIME_PASSWORD_FILE);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, 'utf8').trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      await migrate(handle.testDb.config, { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: new LogCapture() });
      await other.drop();
    }
  });
});
