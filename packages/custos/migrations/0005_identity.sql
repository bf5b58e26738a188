-- custos's own identity tables beside Better Auth's (0004). Both are global: a person's acceptance
-- of the policy and an operator's grant are not any one workspace's.

-- P-ACC-6: who accepted which policy version, when, and from where. The IP address and user agent
-- are sealed under the person's own secret (crypto-shredded at erasure), never stored in clear.
CREATE TABLE terms_acceptances (
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  policy_version text NOT NULL,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  client_sealed bytea,
  PRIMARY KEY (person_id, policy_version)
);
GRANT SELECT, INSERT ON terms_acceptances TO custos_runtime;

-- Instance administrators (operators), granted by `custos admin grant EMAIL` as the schema owner.
CREATE TABLE instance_admins (
  person_id uuid PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON instance_admins TO custos_runtime;

-- The API-key fast path looks keys up by their hash.
CREATE UNIQUE INDEX api_keys_key_unique ON api_keys (key);
