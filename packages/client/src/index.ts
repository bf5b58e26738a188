export { CustosClient, type ClientOptions, type Health, type Readiness } from './client.ts';
export { CustosApiError, type ApiErrorBody } from './errors.ts';
export type { PageOptions, WriteOptions } from './data.ts';
export type { Transport } from './transport.ts';
// The API's shapes are the server's own (packages/custos/src/views.ts), imported type-only.
export type {
  ActionFilters, ActionStatus, ActionView, AnyValue, ApiKeyView, CategoryHeld, ConversationView, CredentialInput, CredentialView,
  ErasureView, ExecutionLog, ExportStatus, ExportView, HttpMethod, KeyValue, List, MemberView, MessageContent, MessageInput,
  MessageRole, MessageView, MeView, Operation, RequestView, Role, Scope, SessionView, SpanNode, TermsStatus, TraceFilters,
  TraceSummary, WorkspaceView,
} from 'custos/views';
