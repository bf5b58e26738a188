// pg-boss keeps its tables in their own schema. `custos migrate` installs and upgrades them as the
// schema owner; the running server only reads and writes rows in them as custos_runtime.
import { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { Database } from '../db/connect.ts';
import { RUNTIME_ROLE, quoteIdent } from '../db/roles.ts';

export const JOB_SCHEMA = 'custos_jobs';

export function poolAdapter(pool: pg.Pool): { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } {
  return { executeSql: async (text, values) => pool.query(text, values as unknown[]) };
}

export async function installJobSchema(owner: Database): Promise<void> {
  const boss = new PgBoss({
    db: poolAdapter(owner.pool),
    schema: JOB_SCHEMA,
    migrate: true,
    supervise: false,
    schedule: false,
    backend: owner.engine === 'pglite' ? 'pglite' : 'postgres',
  });
  boss.on('error', () => undefined); // a failed start rejects start() itself
  await boss.start();
  await boss.stop({ graceful: false });
  const role = quoteIdent(RUNTIME_ROLE);
  const schema = quoteIdent(JOB_SCHEMA);
  await owner.pool.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await owner.pool.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
  await owner.pool.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
  // Functions are executable by PUBLIC by default, and some of pg-boss's run the SQL text they are
  // given (job_table_run). On the embedded engine, where the authenticated user is a superuser,
  // such a function would let the runtime rebuild any statement the runtime pool refuses. So the
  // runtime may call only the functions pg-boss needs at run time, none of which executes text
  // from its arguments (create_queue formats fixed templates with %I-quoted names).
  await owner.pool.query(`REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} FROM PUBLIC`);
  for (const fn of RUNTIME_FUNCTIONS) await owner.pool.query(`GRANT EXECUTE ON FUNCTION ${schema}.${fn} TO ${role}`);
}

export const RUNTIME_FUNCTIONS = ['job_now()', 'create_queue(text, jsonb)', 'job_table_format(text, text)'];
