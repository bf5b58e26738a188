export { CustosClient, type ClientOptions, type Health, type Readiness } from './client.ts';
export { CustosApiError, type ApiErrorBody } from './errors.ts';
export type { ApiKeyView, List, MemberView, MeView, Role, Scope, SessionView, TermsStatus, WorkspaceView } from './identity.ts';
