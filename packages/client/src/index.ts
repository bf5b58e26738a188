export { CustosClient, type ClientOptions, type Health, type Readiness } from './client.ts';
export { CustosApiError, type ApiErrorBody } from './errors.ts';
export type { ApiKeyView, List, MemberView, MeView, Role, Scope, SessionView, TermsStatus, WorkspaceView } from './identity.ts';
export type { AnyValue, ConversationView, KeyValue, MessageContent, MessageInput, MessageRole, MessageView, PageOptions, SpanNode, TraceFilters, TraceSummary, WriteOptions } from './data.ts';
export type { ActionFilters, ActionStatus, ActionView, CredentialInput, CredentialView, ExecutionLog, HttpMethod, Operation } from './vault.ts';
export type { CategoryHeld, ErasureView, ExportStatus, ExportView, RequestView } from './rights.ts';
