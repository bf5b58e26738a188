// The shapes the API answers with and accepts, for the SDK: @custos/client imports this module
// type-only (`import type … from 'custos/views'`), so the client's types are the server's, written
// once, and the client carries none of the server's code. Types only: nothing here runs, and an
// `export` of a value would be a lint error in the client that imports it.
//
// The server's views hold Dates; over the wire JSON makes them ISO strings, which Json<T> says.
import type { Scope } from './core/principal.ts';
import type {
  AnyValue, ConversationView as ConversationRecord, KeyValue, MessageContent, MessageInput, MessageView as MessageRecord, Page,
  SpanNode as SpanRecord, TraceFilters as TraceQuery, TraceSummary as TraceSummaryRecord,
} from './data/index.ts';
import type {
  ApiKeyView as ApiKeyRecord, MeView as MeRecord, MemberView as MemberRecord, Role, SessionView as SessionRecord,
  TermsStatus as TermsRecord, WorkspaceView as WorkspaceRecord,
} from './identity/index.ts';
import type {
  CategoryHeld as CategoryRecord, ErasureView as ErasureRecord, ExportView as ExportRecord, RequestView as RequestRecord,
} from './rights/index.ts';
import type {
  ActionFilters as ActionQuery, ActionStatus, ActionView as ActionRecord, CredentialInput, CredentialView as CredentialRecord,
  ExecutionLog, HTTP_METHODS, OperationInput,
} from './vault/index.ts';

/** A value as it arrives over the wire: JSON writes a Date as its ISO string. */
export type Json<T> =
  T extends Date ? string
    : T extends ReadonlyArray<infer Item> ? Array<Json<Item>>
      : T extends object ? { [Key in keyof T]: Json<T[Key]> }
        : T;

/** A page of a list: the items and the cursor of the next page (null on the last). */
export type List<T> = Page<T>;

/** The database keeps a member's role as text; the API only ever answers with one of these. */
type WithRole<T> = Omit<T, 'role'> & { role: Role };

// Accounts, workspaces, keys.
export type { Role, Scope };
export type MeView = WithRole<Json<MeRecord>>;
export type SessionView = Json<SessionRecord>;
export type TermsStatus = Json<TermsRecord>;
export type WorkspaceView = WithRole<Json<WorkspaceRecord>>;
export type MemberView = WithRole<Json<MemberRecord>>;
export type ApiKeyView = Json<ApiKeyRecord>;

// Conversations and traces.
export type MessageRole = MessageInput['role'];
export type { AnyValue, KeyValue, MessageContent, MessageInput };
export type ConversationView = Json<ConversationRecord>;
export type MessageView = Json<MessageRecord>;
export type TraceSummary = Json<TraceSummaryRecord>;
export type SpanNode = Json<SpanRecord>;
/** A time bound is a Date or its ISO string; the page size has the server's default. */
export type TraceFilters = Partial<Omit<TraceQuery, 'from' | 'to'>> & { from?: Date | string; to?: Date | string };

// The vault.
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** An operation as proposed: headers and body may be left out. */
export type Operation = OperationInput;
export type { ActionStatus, CredentialInput, ExecutionLog };
export type CredentialView = Json<CredentialRecord>;
export type ActionView = Json<ActionRecord>;
export type ActionFilters = Partial<ActionQuery>;

// Rights.
export type CategoryHeld = Json<CategoryRecord>;
export type ExportStatus = ExportRecord['status'];
export type ExportView = Json<ExportRecord>;
export type ErasureView = Json<ErasureRecord>;
export type RequestView = Json<RequestRecord>;
