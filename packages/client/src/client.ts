// A small, dependency-free client for the custos API. It grows with the API; the server's OpenAPI
// document (GET /docs) is the reference.
import { errorFrom } from './errors.ts';

export interface ClientOptions {
  /** The custos public URL, e.g. https://custos.example.com */
  baseUrl: string;
  /** An API key (`Authorization: Bearer …`); omit for public endpoints. */
  apiKey?: string;
  /** The workspace to act in, for session-authenticated calls. */
  workspace?: string;
  fetch?: typeof fetch;
}

export interface Health {
  status: 'ok';
}

export interface Readiness {
  status: 'ready';
  checks: Record<string, 'ok'>;
}

export class CustosClient {
  readonly #options: ClientOptions;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The process is up. */
  health(): Promise<Health> {
    return this.request<Health>('GET', '/healthz');
  }

  /** The server can serve: database reachable, migrations current, isolation intact. */
  ready(): Promise<Readiness> {
    return this.request<Readiness>('GET', '/readyz');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    if (this.#options.workspace) headers['custos-workspace'] = this.#options.workspace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(new URL(path, this.#options.baseUrl), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }
}
