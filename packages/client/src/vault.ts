// The vault: provider credentials (added by an admin signed in; the secret is sent once and never
// returned) and confirm-before-mutate actions (an agent proposes, a person approves the exact
// operation by its hash, custos runs it once and keeps the workflow log).
import type { ActionFilters, ActionView, CredentialInput, CredentialView, List, Operation } from 'custos/views';
import type { Transport } from './transport.ts';
import { id, query } from './paths.ts';

export class Credentials {
  readonly #c: Transport;
  constructor(client: Transport) {
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
  readonly #c: Transport;
  constructor(client: Transport) {
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
