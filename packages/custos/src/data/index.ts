// The AI data custos keeps for a product: conversations and their messages (P-DAT-3) and traces
// over OpenTelemetry (P-DAT-2). Every table is a tenant table; every piece of content is sealed.
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { Sealer } from '../crypto/index.ts';
import { Conversations } from './conversations.ts';
import { Messages } from './messages.ts';
import type { DataTables } from './tables.ts';
import { Traces } from './traces/index.ts';

export { Conversations, type ConversationView, type Page, type Written } from './conversations.ts';
export { Messages, MESSAGE_ROLES, type MessageContent, type MessageInput, type MessageView } from './messages.ts';
export { Traces, type IngestResult, type SpanNode, type TraceFilters, type TraceSummary, type TraceView } from './traces/index.ts';
export { IDEMPOTENCY_TTL_SECONDS, type IdempotencyRequest } from './idempotency.ts';
export { DEFAULT_PAGE, MAX_PAGE, createdBefore, createdCursor, decodeCursor, encodeCursor, exactCreatedAt } from './cursor.ts';
export { recordDataEvent, type DataEvent } from './audit.ts';
export type { DataTables } from './tables.ts';
export { decodeTraceRequest, encodeExportResponse, encodeStatus, type AnyValue, type KeyValue, type OtlpFormat } from './otlp/index.ts';

export interface DataDeps {
  /** The runtime database: data/ reads and writes its tables through withTenant only. */
  db: Kysely<DataTables>;
  sealer: Sealer;
  audit: AuditTrail;
}

export interface Data {
  conversations: Conversations;
  messages: Messages;
  traces: Traces;
}

export function createData(deps: DataDeps): Data {
  const services = { db: deps.db, sealer: deps.sealer, audit: deps.audit };
  return { conversations: new Conversations(services), messages: new Messages(services), traces: new Traces(services) };
}
