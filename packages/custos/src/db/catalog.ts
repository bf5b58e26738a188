// What the catalog says about isolation. Tests fail the build on any problem here, and readiness
// reports them: a tenant table without forced RLS, or a runtime login that could bypass it.
import type { Database } from './connect.ts';

const TENANT_TABLES = `
  select c.oid::regclass::text as table_name,
         c.relkind as kind,
         coalesce('security_invoker=true' = any(c.reloptions) or 'security_invoker=on' = any(c.reloptions), false) as security_invoker,
         c.relrowsecurity as rls_enabled,
         c.relforcerowsecurity as rls_forced,
         (select a2.attname from pg_index i
            join pg_attribute a2 on a2.attrelid = i.indrelid and a2.attnum = i.indkey[0]
           where i.indrelid = c.oid and i.indisprimary) as first_key_column,
         coalesce((select json_agg(json_build_object(
                             'using', coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
                             'check', coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
                             'command', p.polcmd))
                     from pg_policy p where p.polrelid = c.oid and p.polpermissive), '[]') as permissive_policies
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
   where a.attname = 'tenant_id' and not a.attisdropped and a.attnum > 0
     and c.relkind in ('r', 'p', 'v', 'm')
     and n.nspname not in ('pg_catalog', 'information_schema')
   order by 1`;

interface TenantTableRow {
  table_name: string;
  kind: 'r' | 'p' | 'v' | 'm';
  security_invoker: boolean;
  rls_enabled: boolean;
  rls_forced: boolean;
  first_key_column: string | null;
  permissive_policies: Array<{ using: string; check: string; command: string }>;
}

/** Every way a table with a tenant_id column falls short of the tenancy shape of DESIGN.md. */
const TENANT_EXPRESSION = '(tenant_id = custos_current_tenant())';
const namesTenant = (expr: string): boolean => expr === TENANT_EXPRESSION;

export async function tenantTableProblems(database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<TenantTableRow>(TENANT_TABLES);
  const problems: string[] = [];
  for (const row of rows) {
    const t = row.table_name;
    // A view reads its tables with its owner's rights, and the owner (a superuser on the embedded
    // engine) skips RLS: only a security_invoker view reads them as the runtime, under RLS.
    if (row.kind === 'v') {
      if (!row.security_invoker) problems.push(`${t}: a view of tenant rows without security_invoker`);
      continue;
    }
    if (row.kind === 'm') {
      problems.push(`${t}: a materialized view of tenant rows cannot have row-level security`);
      continue;
    }
    if (!row.rls_enabled) problems.push(`${t}: row-level security is not enabled`);
    if (!row.rls_forced) problems.push(`${t}: row-level security is not forced`);
    if (row.first_key_column !== 'tenant_id') problems.push(`${t}: tenant_id is not first in the primary key`);
    if (row.permissive_policies.length === 0) problems.push(`${t}: has no policy`);
    // Permissive policies are OR'ed: one that is anything but the tenant comparison (even
    // "tenant_id = custos_current_tenant() OR …") could open rows, so only the exact form passes.
    for (const { using, check, command } of row.permissive_policies) {
      // An INSERT policy has only WITH CHECK; every other kind filters rows with USING.
      if (command === 'a' ? !namesTenant(check) : !namesTenant(using)) {
        problems.push(`${t}: a policy does not restrict rows to the current tenant`);
      }
      if (check !== '' && !namesTenant(check)) {
        problems.push(`${t}: a policy's WITH CHECK does not restrict writes to the current tenant`);
      }
    }
  }
  return problems;
}

/** Every way the pool's login could escape row-level security. Empty for a correct runtime pool. */
export async function runtimeLoginProblems(database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean; is_self: boolean }>(
    `select r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb, r.rolname = session_user as is_self
       from pg_roles r
      where r.rolname = session_user or r.rolname = current_user
         or pg_has_role(session_user, r.oid, 'MEMBER')`,
  );
  const problems: string[] = [];
  for (const role of rows) {
    const who = role.is_self ? `the login ${role.rolname}` : `role ${role.rolname}, which the login can become,`;
    if (role.rolsuper) problems.push(`${who} is a superuser`);
    if (role.rolbypassrls) problems.push(`${who} can bypass row-level security`);
    if (role.rolcreaterole) problems.push(`${who} can create roles`);
    if (role.rolcreatedb) problems.push(`${who} can create databases`);
  }
  return problems;
}

/**
 * Functions the runtime may execute that could run SQL it does not control: SECURITY DEFINER
 * functions (they run as their owner), and plpgsql functions with dynamic EXECUTE (on the embedded
 * engine the authenticated user is a superuser, so dynamic SQL could leave the runtime role).
 */
export const REVIEWED_DYNAMIC_FUNCTIONS: ReadonlySet<string> = new Set([
  // pg-boss: EXECUTEs fixed templates with %I-quoted table names, never text from its arguments.
  'custos_jobs.create_queue',
]);

export async function runtimeFunctionProblems(database: Database): Promise<string[]> {
  const { rows } = await database.pool.query<{ fn: string; definer: boolean; dynamic: boolean }>(
    `select n.nspname || '.' || p.proname as fn,
            p.prosecdef as definer,
            l.lanname = 'plpgsql' and p.prosrc ~* '\\mexecute\\M' as dynamic
       from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace
       join pg_language l on l.oid = p.prolang
      where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
        and has_function_privilege(session_user, p.oid, 'EXECUTE')
      order by 1`,
  );
  const problems: string[] = [];
  for (const row of rows) {
    if (row.definer) problems.push(`${row.fn}: a SECURITY DEFINER function the runtime may call`);
    if (row.dynamic && !REVIEWED_DYNAMIC_FUNCTIONS.has(row.fn)) problems.push(`${row.fn}: runs dynamic SQL and the runtime may call it`);
  }
  return problems;
}
