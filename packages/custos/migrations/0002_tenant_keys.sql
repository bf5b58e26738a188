-- Data keys (DEKs), one row per tenant and key version. A DEK is stored wrapped twice: under a key
-- derived from the tenant's root secret (kept in the keystore, outside this database) and under
-- the master key (kek_version). Shredding the tenant's secret leaves these rows, and every backup
-- of them, impossible to unwrap. See docs/encryption.md.
CREATE TABLE tenant_keys (
  tenant_id uuid NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  kek_version integer NOT NULL CHECK (kek_version > 0),
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version)
);
ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_keys
  USING (tenant_id = custos_current_tenant())
  WITH CHECK (tenant_id = custos_current_tenant());
-- No DELETE: a data key is never removed while data may be sealed under it; shredding the
-- tenant's secret is how a tenant's keys die.
GRANT SELECT, INSERT, UPDATE ON tenant_keys TO custos_runtime;
CREATE INDEX tenant_keys_kek_version ON tenant_keys (kek_version);
