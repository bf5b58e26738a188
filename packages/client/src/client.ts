// A small, dependency-free client for the custos API. It grows with the API; the server's OpenAPI
// document (GET /docs) is the reference.
import { errorFrom } from './errors.ts';
import { Conversations, Traces } from './data.ts';
import { Auth, Me, ApiKeys, Workspaces } from './identity.ts';
import { Actions, Credentials } from './vault.ts';
import { Rights } from './rights.ts';
import type { Transport } from './transport.ts';

export interface ClientOptions {
  /** The custos public URL, e.g. https://custos.example.com */
  baseUrl: string;
  /** An API key (`Authorization: Bearer …`); omit for public endpoints or a session. */
  apiKey?: string;
  /** The workspace to act in, for session-authenticated calls (default: the personal one). */
  workspace?: string;
  /**
   * Outside a browser: keep the session cookie that sign-in sets and send it back (a browser keeps
   * it itself, out of reach of JavaScript).
   */
  keepSession?: boolean;
  fetch?: typeof fetch;
}

export interface Health {
  status: 'ok';
}

export interface Readiness {
  status: 'ready';
  checks: Record<string, 'ok'>;
  /** What an operator should act on although the server can serve (overdue requests). */
  warnings?: Record<string, string>;
}

const SESSION_COOKIE = /^((?:__Secure-)?custos_session)=([^;]*)/;

export class CustosClient implements Transport {
  readonly #options: ClientOptions;
  readonly #fetch: typeof fetch;
  #cookie: string | undefined;

  readonly auth: Auth;
  readonly me: Me;
  readonly workspaces: Workspaces;
  readonly apiKeys: ApiKeys;
  readonly conversations: Conversations;
  readonly traces: Traces;
  readonly credentials: Credentials;
  readonly actions: Actions;
  readonly rights: Rights;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.auth = new Auth(this);
    this.me = new Me(this);
    this.workspaces = new Workspaces(this);
    this.apiKeys = new ApiKeys(this);
    this.conversations = new Conversations(this);
    this.traces = new Traces(this);
    this.credentials = new Credentials(this);
    this.actions = new Actions(this);
    this.rights = new Rights(this);
  }

  /** The process is up. */
  health(): Promise<Health> {
    return this.request<Health>('GET', '/healthz');
  }

  /** The server can serve: database reachable, migrations current, isolation intact. */
  ready(): Promise<Readiness> {
    return this.request<Readiness>('GET', '/readyz');
  }

  /** Acts in another workspace from now on (session calls; a key always acts in its own). */
  useWorkspace(workspaceId: string | undefined): void {
    this.#options.workspace = workspaceId;
  }

  async request<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const response = await this.send(method, path, body, extraHeaders);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The response itself, its body unread (a download to stream); an error status still throws. */
  async send(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    if (this.#options.workspace) headers['custos-workspace'] = this.#options.workspace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#cookie) {
      headers.cookie = this.#cookie;
      // A browser sends Origin itself; custos checks it on every session write.
      headers.origin = new URL(this.#options.baseUrl).origin;
    }
    const response = await this.#fetch(new URL(path, this.#options.baseUrl), {
      method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (this.#options.keepSession) this.#keepCookie(response);
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  #keepCookie(response: Response): void {
    for (const header of response.headers.getSetCookie?.() ?? []) {
      const match = SESSION_COOKIE.exec(header);
      if (!match) continue;
      this.#cookie = match[2] ? `${match[1]}=${match[2]}` : undefined;
    }
  }
}
