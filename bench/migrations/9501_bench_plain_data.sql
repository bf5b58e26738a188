-- Baselines of the ingest benchmarks: the same rows as messages and spans, with the same columns
-- and keys, in plain text, in unprotected tables (no RLS, no sealing, no foreign keys).
CREATE TABLE bench_messages_plain (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL,
  seq bigint NOT NULL,
  parent_id uuid,
  role text NOT NULL,
  content text NOT NULL,
  model text,
  input_tokens integer,
  output_tokens integer,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, seq)
);
GRANT SELECT, INSERT ON bench_messages_plain TO custos_runtime;

CREATE TABLE bench_spans_plain (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  kind smallint NOT NULL,
  start_time_unix_nano bigint NOT NULL,
  end_time_unix_nano bigint NOT NULL,
  status_code smallint NOT NULL,
  service_name text,
  operation text,
  provider text,
  model text,
  input_tokens bigint,
  output_tokens bigint,
  content text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trace_id, span_id)
);
GRANT SELECT, INSERT ON bench_spans_plain TO custos_runtime;
