// The Kysely view of the data tables (migration 0009). bigint columns arrive as strings from pg
// and as strings here too, so that nanosecond times stay exact.
import type { Generated } from 'kysely';
import type { AuditTables } from '../audit/index.ts';
import type { KeysTables } from '../crypto/index.ts';

export interface ConversationsTable {
  tenant_id: string;
  id: string;
  title: Buffer | null;
  created_by: string | null;
  api_key_id: string | null;
  message_count: Generated<number>;
  last_seq: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface MessagesTable {
  tenant_id: string;
  id: string;
  conversation_id: string;
  seq: string;
  parent_id: string | null;
  role: string;
  content: Buffer;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface TracesTable {
  tenant_id: string;
  trace_id: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  span_count: number;
  error_count: number;
  root_span_id: string | null;
  services: string[];
  models: string[];
  input_tokens: string;
  output_tokens: string;
  received_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SpansTable {
  tenant_id: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  kind: number;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  status_code: number;
  service_name: string | null;
  operation: string | null;
  provider: string | null;
  model: string | null;
  input_tokens: string | null;
  output_tokens: string | null;
  content: Buffer;
  received_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key_hash: Buffer;
  request_hash: Buffer;
  result: unknown;
  created_at: Generated<Date>;
  expires_at: Date;
}

export type DataTables = AuditTables & KeysTables & {
  conversations: ConversationsTable;
  messages: MessagesTable;
  traces: TracesTable;
  spans: SpansTable;
  idempotency_keys: IdempotencyKeysTable;
};
