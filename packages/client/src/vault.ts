// The vault: provider credentials (added by an admin signed in; the secret is sent once and never
// returned) and confirm-before-mutate actions (an agent proposes, a person approves the exact
// operation by its hash, custos runs it once and keeps the workflow log).
import type { CustosClient } from './client.ts';
import type { List } from './identity.ts';
import type { PageOptions } from './data.ts';
import { id, query } from './paths.ts';

export interface CredentialInput { provider: string; label: string; secret: string; baseUrl?: string }
export interface CredentialView { id: string; provider: string; label: string; lastFour: string; baseUrl: string | null; createdBy: string | null; createdAt: string; lastUsedAt: string | null }

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface Operation { method: HttpMethod; url: string; headers?: Record<string, string>; body?: string | unknown[] | Record<string, unknown> }
export type ActionStatus = 'proposed' | 'approved' | 'executing' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'voided';
export interface ExecutionLog {
  request: { method: string; url: string; headers: Record<string, string> };
  response: { status: number; headers: Record<string, string | string[]>; body: string; bodyEncoding: 'utf8' | 'base64'; truncated: boolean } | null;
  remoteAddress: string | null;
  firstByteMs: number | null;
  durationMs: number;
  error: string | null;
}
export interface ActionView {
  id: string;
  status: ActionStatus;
  reason: string | null;
  provider: string;
  credentialId: string | null;
  summary: string;
  operation: Required<Pick<Operation, 'method' | 'url' | 'headers'>> & { body: Operation['body'] | null };
  /** What the approver sends back: SHA-256 of this exact operation, for this action. */
  operationHash: string;
  proposedBy: string | null;
  proposedVia: 'session' | 'api_key';
  decidedBy: string | null;
  decidedAt: string | null;
  expiresAt: string;
  replayOf: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  responseStatus: number | null;
  createdAt: string;
  updatedAt: string;
  /** Present on get(); lists leave it out. */
  execution?: ExecutionLog | null;
}
export interface ActionFilters extends PageOptions { status?: ActionStatus; credentialId?: string }

export class Credentials {
  readonly #c: CustosClient;
  constructor(client: CustosClient) {
    this.#c = client;
  }
  create(input: CredentialInput) {
    return this.#c.request<CredentialView>('POST', '/v1/credentials', input);
  }
  list() {
    return this.#c.request<List<CredentialView>>('GET', '/v1/credentials');
  }
  get(credentialId: string) {
    return this.#c.request<CredentialView>('GET', `/v1/credentials/${id(credentialId)}`);
  }
  delete(credentialId: string) {
    return this.#c.request<void>('DELETE', `/v1/credentials/${id(credentialId)}`);
  }
}

export class Actions {
  readonly #c: CustosClient;
  constructor(client: CustosClient) {
    this.#c = client;
  }
  propose(input: { credentialId: string; summary: string; operation: Operation }) {
    return this.#c.request<ActionView>('POST', '/v1/actions', input);
  }
  list(filters: ActionFilters = {}) {
    return this.#c.request<List<ActionView>>('GET', `/v1/actions${query({ ...filters })}`);
  }
  get(actionId: string) {
    return this.#c.request<ActionView>('GET', `/v1/actions/${id(actionId)}`);
  }
  /** For a person signed in: approves the operation whose hash they were shown; answers with the outcome. */
  approve(actionId: string, operationHash: string) {
    return this.#c.request<ActionView>('POST', `/v1/actions/${id(actionId)}/approve`, { operationHash });
  }
  reject(actionId: string) {
    return this.#c.request<ActionView>('POST', `/v1/actions/${id(actionId)}/reject`);
  }
  /** A new proposal of a finished action's operation; it needs its own approval. */
  replay(actionId: string) {
    return this.#c.request<ActionView>('POST', `/v1/actions/${id(actionId)}/replay`);
  }
}
