-- Benchmark tables: a tenant table in the shape of every tenant table, and an unprotected twin.
CREATE TABLE bench_records (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE bench_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bench_records
  USING (tenant_id = custos_current_tenant())
  WITH CHECK (tenant_id = custos_current_tenant());
GRANT SELECT, INSERT ON bench_records TO custos_runtime;

CREATE TABLE bench_plain (
  id uuid PRIMARY KEY,
  body bytea NOT NULL
);
GRANT SELECT, INSERT ON bench_plain TO custos_runtime;
