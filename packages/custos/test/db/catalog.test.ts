// The catalog test: fails the build when a table with a tenant_id lacks enabled and forced RLS with
// a tenant policy, or when the runtime pool's login could bypass RLS.
import { describe, expect, it } from 'vitest';
import { runtimeFunctionProblems, runtimeLoginProblems, tenantTableProblems } from '../../src/db/catalog.ts';
import { asOwner, ENGINE, useMigratedRuntime, whileRuntimeClosed } from '../support/database.ts';

const handle = useMigratedRuntime();

/** Runs DDL as the owner (closing the runtime pool around it on the embedded engine). */
async function ownerDdl(statements: string[]): Promise<string[]> {
  return whileRuntimeClosed(handle, () => asOwner(handle.testDb.config, async (owner) => {
    for (const statement of statements) await owner.pool.query(statement);
    return tenantTableProblems(owner);
  }));
}

describe(`catalog checks on ${ENGINE}`, () => {
  it('P-TEN-1: every table with a tenant_id has enabled, forced RLS and a tenant policy', async () => {
    expect(await tenantTableProblems(handle.runtime)).toEqual([]);
  });

  it('P-TEN-3: the runtime pool’s session_user cannot bypass RLS', async () => {
    expect(await runtimeLoginProblems(handle.runtime)).toEqual([]);
  });

  it('P-TEN-3: the runtime may call no SECURITY DEFINER function and no unreviewed dynamic-SQL function', async () => {
    expect(await runtimeFunctionProblems(handle.runtime)).toEqual([]);
  });

  it('P-TEN-3: the function check catches a grant on a function that runs its argument as SQL', async () => {
    await ownerDdl([
      'GRANT EXECUTE ON FUNCTION custos_jobs.job_table_run(text, text, text) TO custos_runtime',
      'CREATE FUNCTION definer_fn() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$',
    ]);
    expect(await runtimeFunctionProblems(handle.runtime)).toEqual([
      'custos_jobs.job_table_run: runs dynamic SQL and the runtime may call it',
      'public.definer_fn: a SECURITY DEFINER function the runtime may call',
    ]);
    await ownerDdl([
      'REVOKE EXECUTE ON FUNCTION custos_jobs.job_table_run(text, text, text) FROM custos_runtime',
      'DROP FUNCTION definer_fn()',
    ]);
    expect(await runtimeFunctionProblems(handle.runtime)).toEqual([]);
  });

  it('P-TEN-3: the check does catch a login that could bypass RLS (the owner)', async () => {
    const problems = await whileRuntimeClosed(handle, () => asOwner(handle.testDb.config, (owner) => runtimeLoginProblems(owner)));
    expect(problems.join('\n')).toMatch(/superuser/);
  });

  it('P-TEN-1: the check catches a tenant table without RLS, without FORCE, with tenant_id not first, or with an opening policy', async () => {
    const problems = await ownerDdl([
      'CREATE TABLE bad_no_rls (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))',
      'CREATE TABLE bad_not_forced (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))',
      'ALTER TABLE bad_not_forced ENABLE ROW LEVEL SECURITY',
      'CREATE POLICY p ON bad_not_forced USING (tenant_id = custos_current_tenant())',
      'CREATE TABLE bad_key_order (tenant_id uuid NOT NULL, id int, PRIMARY KEY (id, tenant_id))',
      'ALTER TABLE bad_key_order ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE bad_key_order FORCE ROW LEVEL SECURITY',
      'CREATE POLICY p ON bad_key_order USING (tenant_id = custos_current_tenant())',
      'CREATE TABLE bad_open_policy (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))',
      'ALTER TABLE bad_open_policy ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE bad_open_policy FORCE ROW LEVEL SECURITY',
      'CREATE POLICY p ON bad_open_policy USING (tenant_id = custos_current_tenant())',
      'CREATE POLICY q ON bad_open_policy FOR SELECT USING (tenant_id = custos_current_tenant() OR true)',
      'CREATE TABLE bad_check (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))',
      'ALTER TABLE bad_check ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE bad_check FORCE ROW LEVEL SECURITY',
      'CREATE POLICY p ON bad_check USING (tenant_id = custos_current_tenant()) WITH CHECK (true)',
      'CREATE TABLE bad_no_policy (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))',
      'ALTER TABLE bad_no_policy ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE bad_no_policy FORCE ROW LEVEL SECURITY',
      // A view reads with its owner's rights (superuser on the embedded engine: RLS skipped).
      'CREATE VIEW bad_view AS SELECT * FROM test_notes',
      'CREATE VIEW good_view WITH (security_invoker = true) AS SELECT * FROM test_notes',
      'CREATE MATERIALIZED VIEW bad_matview AS SELECT * FROM test_notes',
    ]);
    // Sorted here: the engines' collations order names with underscores differently.
    expect([...problems].sort()).toEqual([
      'bad_check: a policy\'s WITH CHECK does not restrict writes to the current tenant',
      'bad_key_order: tenant_id is not first in the primary key',
      'bad_no_policy: has no policy',
      'bad_no_rls: row-level security is not enabled',
      'bad_no_rls: row-level security is not forced',
      'bad_no_rls: has no policy',
      'bad_not_forced: row-level security is not forced',
      'bad_open_policy: a policy does not restrict rows to the current tenant',
      'bad_matview: a materialized view of tenant rows cannot have row-level security',
      'bad_view: a view of tenant rows without security_invoker',
    ].sort());
  });
});
