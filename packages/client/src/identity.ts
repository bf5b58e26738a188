// Accounts, sessions, workspaces and API keys: typed wrappers over the routes in GET /docs.
import type { ApiKeyView, List, MemberView, MeView, Role, Scope, SessionView, TermsStatus, WorkspaceView } from 'custos/views';
import type { Transport } from './transport.ts';
import { id } from './paths.ts';

const AUTH = '/api/auth';

/** Sign-up, sign-in and the account's own settings (Better Auth's routes under /api/auth). */
export class Auth {
  readonly #c: Transport;
  constructor(client: Transport) {
    this.#c = client;
  }
  signUp(input: { email: string; password: string; name?: string }) {
    return this.#c.request<{ status: boolean }>('POST', `${AUTH}/sign-up/email`, input);
  }
  signIn(input: { email: string; password: string }) {
    return this.#c.request<{ user: { id: string; email: string } }>('POST', `${AUTH}/sign-in/email`, input);
  }
  signOut() {
    return this.#c.request<{ success: boolean }>('POST', `${AUTH}/sign-out`, {});
  }
  getSession() {
    return this.#c.request<{ session: { id: string; expiresAt: string }; user: { id: string; email: string } } | null>('GET', `${AUTH}/get-session`);
  }
  sendVerificationEmail(email: string) {
    return this.#c.request<{ status: boolean }>('POST', `${AUTH}/send-verification-email`, { email });
  }
  requestPasswordReset(email: string) {
    return this.#c.request<{ status: boolean }>('POST', `${AUTH}/request-password-reset`, { email });
  }
  resetPassword(token: string, newPassword: string) {
    return this.#c.request<{ status: boolean }>('POST', `${AUTH}/reset-password`, { token, newPassword });
  }
  changePassword(input: { currentPassword: string; newPassword: string; revokeOtherSessions?: boolean }) {
    return this.#c.request<unknown>('POST', `${AUTH}/change-password`, input);
  }
  changeEmail(newEmail: string) {
    return this.#c.request<{ status: boolean }>('POST', `${AUTH}/change-email`, { newEmail });
  }
}

/** The caller: who they are, their sessions, their acceptance of the policy. */
export class Me {
  readonly #c: Transport;
  constructor(client: Transport) {
    this.#c = client;
  }
  get() {
    return this.#c.request<MeView>('GET', '/v1/me');
  }
  sessions() {
    return this.#c.request<List<SessionView>>('GET', '/v1/me/sessions');
  }
  revokeSession(sessionId: string) {
    return this.#c.request<void>('DELETE', `/v1/me/sessions/${id(sessionId)}`);
  }
  revokeOtherSessions() {
    return this.#c.request<{ revoked: number }>('DELETE', '/v1/me/sessions');
  }
  terms() {
    return this.#c.request<TermsStatus>('GET', '/v1/me/terms');
  }
  acceptTerms(version: string) {
    return this.#c.request<TermsStatus>('POST', '/v1/me/terms', { version });
  }
}

export class Workspaces {
  readonly #c: Transport;
  constructor(client: Transport) {
    this.#c = client;
  }
  list() {
    return this.#c.request<List<WorkspaceView>>('GET', '/v1/workspaces');
  }
  create(name: string) {
    return this.#c.request<WorkspaceView>('POST', '/v1/workspaces', { name });
  }
  get(workspaceId: string) {
    return this.#c.request<WorkspaceView>('GET', `/v1/workspaces/${id(workspaceId)}`);
  }
  rename(workspaceId: string, name: string) {
    return this.#c.request<WorkspaceView>('PATCH', `/v1/workspaces/${id(workspaceId)}`, { name });
  }
  delete(workspaceId: string) {
    return this.#c.request<void>('DELETE', `/v1/workspaces/${id(workspaceId)}`);
  }
  leave(workspaceId: string) {
    return this.#c.request<void>('POST', `/v1/workspaces/${id(workspaceId)}/leave`);
  }
  members(workspaceId: string) {
    return this.#c.request<List<MemberView>>('GET', `/v1/workspaces/${id(workspaceId)}/members`);
  }
  setRole(workspaceId: string, personId: string, role: Role) {
    return this.#c.request<MemberView>('PATCH', `/v1/workspaces/${id(workspaceId)}/members/${id(personId)}`, { role });
  }
}

export class ApiKeys {
  readonly #c: Transport;
  constructor(client: Transport) {
    this.#c = client;
  }
  /** A person signed in only (a key never makes another). The key itself is in this response only: store it now. */
  create(input: { name: string; scopes: Scope[]; expiresAt?: string }) {
    return this.#c.request<ApiKeyView & { key: string }>('POST', '/v1/api-keys', input);
  }
  list() {
    return this.#c.request<List<ApiKeyView>>('GET', '/v1/api-keys');
  }
  revoke(keyId: string) {
    return this.#c.request<void>('DELETE', `/v1/api-keys/${id(keyId)}`);
  }
}
