// Creates (or corrects) the runtime login before migrations run, so that migrations can grant it
// exactly the DML each table needs. The role can log in and do nothing else: no superuser, no
// BYPASSRLS, no CREATEROLE or CREATEDB, no replication, no temporary tables (P-TEN-3).
import type { Database, DatabaseConfig } from './connect.ts';
import { RUNTIME_ROLE, quoteIdent, quoteLiteral, runtimePassword } from './roles.ts';

const ATTRIBUTES = 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION';

export async function prepareRuntimeRole(owner: Database, config: DatabaseConfig): Promise<void> {
  const pool = owner.pool;
  const role = quoteIdent(RUNTIME_ROLE);
  // The embedded engine never checks a password; a server does.
  const password = owner.engine === 'postgres' && !config.databaseRuntimeUrl
    ? ` PASSWORD ${quoteLiteral(runtimePassword(config.dataDir, config.runtimePassword))}`
    : '';
  await retryClusterRace(async () => {
    const exists = await pool.query(`select 1 from pg_roles where rolname = $1`, [RUNTIME_ROLE]);
    await pool.query(`${exists.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${role} ${ATTRIBUTES}${password}`);
  });

  const database = quoteIdent((await pool.query<{ db: string }>('select current_database() as db')).rows[0]!.db);
  await pool.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  // Temporary tables and functions would give the runtime somewhere to run DDL of its own.
  await pool.query(`REVOKE TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
  await pool.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  await pool.query(`GRANT USAGE ON SCHEMA public TO ${role}`);

  if (config.databaseRuntimeUrl) await adoptRuntimeLogin(owner, config.databaseRuntimeUrl);

  if (owner.engine === 'pglite') {
    // See runtime-guard.ts: without these, dynamic SQL could rebuild the statements the runtime
    // pool refuses. custos sets its tenant with SET LOCAL, so it needs neither.
    await pool.query(`REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC`);
    await pool.query(`REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC`);
  }
}

// Roles are cluster-wide, and the migration lock is per database: migrations of other databases on
// the same server may create or alter the role at the same moment ("tuple concurrently updated",
// or a duplicate on create). Such a race is retried; the statements are idempotent.
const CLUSTER_RACE_CODES = new Set(['XX000', '23505', '42710', '40001']);

async function retryClusterRace(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || !CLUSTER_RACE_CODES.has((err as { code?: string }).code ?? '')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}

/**
 * An operator may bring their own runtime login (DATABASE_RUNTIME_URL). It gets custos_runtime's
 * grants by membership, and is refused if it could bypass RLS. custos_runtime is then created
 * without a password, so it cannot log in by password itself.
 */
async function adoptRuntimeLogin(owner: Database, runtimeUrl: string): Promise<void> {
  const login = decodeURIComponent(new URL(runtimeUrl).username);
  if (login === RUNTIME_ROLE) return;
  const found = await owner.pool.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
    'select rolsuper, rolbypassrls from pg_roles where rolname = $1',
    [login],
  );
  const row = found.rows[0];
  if (!row) throw new Error(`the runtime login ${login} of DATABASE_RUNTIME_URL does not exist`);
  if (row.rolsuper || row.rolbypassrls) {
    throw new Error(`the runtime login ${login} of DATABASE_RUNTIME_URL can bypass row-level security; give custos a login without SUPERUSER or BYPASSRLS`);
  }
  await retryClusterRace(async () => {
    await owner.pool.query(`GRANT ${quoteIdent(RUNTIME_ROLE)} TO ${quoteIdent(login)}`);
  });
}
