-- The vault (P-ENC-3) and confirm-before-mutate actions (P-ACT-1, P-DAT-6, P-AUD-2): the keys a
-- workspace holds to its model providers and cloud accounts, and the operations agents propose to
-- make with them, which run only after a person approves that exact operation. Both are tenant
-- tables in the shape of 0001. Secrets, summaries, operations and what the provider answered are
-- sealed by the application (src/db/registry.ts lists the columns); the clear columns are what a
-- list needs: provider, label, the secret's last four characters, states and times.

CREATE TABLE credentials (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  provider text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{0,63}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  -- Sealed twice: under the credential's own keystore secret (shredded when it is deleted, so
  -- that backups of this row open nothing) and then under the workspace's data key.
  secret bytea NOT NULL,
  last_four text NOT NULL CHECK (length(last_four) <= 4),
  base_url text CHECK (length(base_url) <= 2048),
  -- No foreign key to people: erasure pseudonymises authors instead of deleting rows.
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX credentials_by_creation ON credentials (tenant_id, created_at DESC, id DESC);

CREATE TABLE actions (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  -- A deleted credential leaves its actions in place, for the record (P-AUD-2), without it.
  credential_id uuid,
  provider text NOT NULL,
  method text NOT NULL CHECK (method ~ '^[A-Z]{1,16}$'),
  host text NOT NULL CHECK (length(host) <= 255),
  summary bytea NOT NULL,
  -- {method, url, headers, body} as proposed; the approver is shown its hash and must send it back.
  operation bytea NOT NULL,
  status text NOT NULL CHECK (status IN ('proposed', 'approved', 'executing', 'succeeded', 'failed', 'rejected', 'expired', 'voided')),
  reason text CHECK (reason ~ '^[a-z_]{1,64}$'),
  proposed_by uuid,
  proposed_via text NOT NULL CHECK (proposed_via IN ('session', 'api_key')),
  api_key_id uuid,
  decided_by uuid,
  decided_at timestamptz,
  expires_at timestamptz NOT NULL,
  replay_of uuid,
  started_at timestamptz,
  finished_at timestamptz,
  response_status integer,
  -- The workflow log of the execution: the request as sent (the secret redacted), the response's
  -- headers and body (scrubbed of the secret), where it connected and how long it took.
  execution bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, credential_id) REFERENCES credentials (tenant_id, id) ON DELETE SET NULL (credential_id)
);
CREATE INDEX actions_by_creation ON actions (tenant_id, created_at DESC, id DESC);
CREATE INDEX actions_by_credential ON actions (tenant_id, credential_id) WHERE credential_id IS NOT NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['credentials', 'actions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = custos_current_tenant()) WITH CHECK (tenant_id = custos_current_tenant())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO custos_runtime', t);
  END LOOP;
END $$;
