-- The base every later migration builds on.
--
-- The runtime login (custos_runtime) exists before this runs: `custos migrate` creates it with
-- LOGIN only (no SUPERUSER, BYPASSRLS, CREATEROLE, CREATEDB) and revokes TEMPORARY from PUBLIC.
-- Every migration grants it exactly the DML its tables need, nothing more.

-- Readiness checks (GET /readyz) compare the applied migrations with the code's own.
GRANT SELECT ON custos_migrations TO custos_runtime;

-- The tenant of the current transaction, as set by withTenant() with SET LOCAL. A missing or empty
-- setting gives NULL, which equals no tenant_id, so a query outside withTenant() matches no row;
-- a malformed one fails the cast and the statement is refused.
CREATE FUNCTION custos_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('custos.tenant_id', true), '')::uuid $$;

-- Every tenant table (a tenant_id column) follows one shape; see docs/tenancy.md:
--   tenant_id uuid NOT NULL, first in the primary key;
--   ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
--   CREATE POLICY tenant_isolation ON t
--     USING (tenant_id = custos_current_tenant())
--     WITH CHECK (tenant_id = custos_current_tenant());
