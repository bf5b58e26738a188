-- The first AI data (P-DAT-2, P-DAT-3): conversations and their messages, traces and their spans,
-- and the idempotency keys of writes. Every table is a tenant table in the shape of 0001. Content
-- (titles, message content, span names, attributes, events, links, resources) is sealed by the
-- application before it arrives here: the `bytea` columns below that src/db/registry.ts lists as
-- sealed hold envelopes only. Ids, times, counts, model names and statuses stay clear, to be queried.

CREATE TABLE conversations (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  title bytea,
  -- The person who started it (for an API key, the key's creator) and the key, if one was used.
  -- No foreign key: erasure pseudonymises authors in shared workspaces instead of deleting rows.
  created_by uuid,
  api_key_id uuid,
  message_count integer NOT NULL DEFAULT 0 CHECK (message_count >= 0),
  -- The position of the last message appended; appends take the next positions under this row's lock.
  last_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX conversations_by_creation ON conversations (tenant_id, created_at DESC, id DESC);

CREATE TABLE messages (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  parent_id uuid,
  role text NOT NULL CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
  content bytea NOT NULL,
  model text CHECK (length(model) <= 200),
  input_tokens integer CHECK (input_tokens >= 0),
  output_tokens integer CHECK (output_tokens >= 0),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, conversation_id, seq),
  -- The target of parent references: a parent is a message of the same conversation.
  UNIQUE (tenant_id, conversation_id, id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE,
  -- A deleted parent leaves its replies in place, as roots of their branch.
  FOREIGN KEY (tenant_id, conversation_id, parent_id) REFERENCES messages (tenant_id, conversation_id, id) ON DELETE SET NULL (parent_id)
);

-- One row per trace, kept up to date by each ingest in the statement that inserts its spans, so
-- that listing traces reads one row per trace instead of grouping every span.
CREATE TABLE traces (
  tenant_id uuid NOT NULL,
  trace_id text COLLATE "C" NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
  start_time_unix_nano bigint NOT NULL,
  end_time_unix_nano bigint NOT NULL,
  span_count integer NOT NULL,
  error_count integer NOT NULL,
  root_span_id text COLLATE "C",
  services text[] NOT NULL DEFAULT '{}',
  models text[] NOT NULL DEFAULT '{}',
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  received_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, trace_id)
);
CREATE INDEX traces_by_start ON traces (tenant_id, start_time_unix_nano DESC, trace_id DESC);

-- OTLP times are nanoseconds since the epoch (fixed64); bigint holds them until the year 2262.
-- Ids are lowercase hex compared byte by byte (COLLATE "C"): the database's linguistic collation
-- would only make every index comparison slower.
CREATE TABLE spans (
  tenant_id uuid NOT NULL,
  trace_id text COLLATE "C" NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
  span_id text COLLATE "C" NOT NULL CHECK (span_id ~ '^[0-9a-f]{16}$'),
  parent_span_id text COLLATE "C" CHECK (parent_span_id ~ '^[0-9a-f]{16}$'),
  kind smallint NOT NULL CHECK (kind BETWEEN 0 AND 5),
  start_time_unix_nano bigint NOT NULL,
  end_time_unix_nano bigint NOT NULL,
  status_code smallint NOT NULL CHECK (status_code BETWEEN 0 AND 2),
  -- The resource's service.name, and the OpenTelemetry GenAI conventions' gen_ai.* fields.
  service_name text,
  operation text,
  provider text,
  model text,
  input_tokens bigint,
  output_tokens bigint,
  content bytea NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, trace_id, span_id)
);

-- A write sent again with the same Idempotency-Key answers as the first did. The key is stored as
-- a hash; `result` holds the ids the first request created (never content), to be read again.
CREATE TABLE idempotency_keys (
  tenant_id uuid NOT NULL,
  key_hash bytea NOT NULL,
  request_hash bytea NOT NULL,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, key_hash)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['conversations', 'messages', 'traces', 'spans', 'idempotency_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = custos_current_tenant()) WITH CHECK (tenant_id = custos_current_tenant())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO custos_runtime', t);
  END LOOP;
END $$;
