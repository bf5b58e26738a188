-- The audit trail: append-only, hash-chained per tenant, plus an instance chain for events outside
-- any workspace (tenant_id = the nil uuid). See docs/audit.md.
--
-- audit_heads holds each chain's last position: writers advance it with UPDATE … RETURNING in the
-- transaction of the change they record, so concurrent writers on one chain serialise on its row.
-- Its mac is an HMAC of (chain, seq, hash) under a keyring key the database never sees.
CREATE TABLE audit_heads (
  tenant_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash bytea NOT NULL,
  mac bytea,
  PRIMARY KEY (tenant_id)
);
ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_heads
  USING (tenant_id = custos_current_tenant())
  WITH CHECK (tenant_id = custos_current_tenant());
GRANT SELECT, INSERT, UPDATE ON audit_heads TO custos_runtime;

-- Entries hold ids, actions, targets, model details and times: never content, never an email
-- address. The client's IP address and user agent are sealed under the actor's own secret, so that
-- erasing the person makes them unreadable without breaking the chain.
CREATE TABLE audit_entries (
  tenant_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  at timestamptz NOT NULL,
  actor_id uuid,
  action text NOT NULL,
  target_type text,
  target_id text,
  details jsonb NOT NULL,
  client_sealed bytea,
  hash bytea NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
ALTER TABLE audit_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_entries
  USING (tenant_id = custos_current_tenant())
  WITH CHECK (tenant_id = custos_current_tenant());
GRANT SELECT, INSERT ON audit_entries TO custos_runtime;

-- Append-only, whoever asks: UPDATE, DELETE and TRUNCATE are refused by trigger as well as by
-- the missing grants.
CREATE FUNCTION custos_audit_append_only() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only();
