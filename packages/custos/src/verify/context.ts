// What every check works with: the running application (its runtime login, its keys, its policy),
// a way to make HTTP requests (in-process, or to a deployment's URL), and the workspaces to look
// into. verify runs as the runtime login only, the one every server runs as: it sees a workspace's
// rows in that workspace's own tenant transaction, as the application does, so nothing here needs
// (or could use) a way around row-level security.
import { sql, type Transaction } from 'kysely';
import type { App } from '../app.ts';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import { withTenant } from '../db/tenant.ts';
import type { Policy } from '../policy/index.ts';
import type { RightsTables } from '../rights/index.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  setCookies: string[];
  body: string;
}

export type Http = (method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }) => Promise<HttpAnswer>;

export interface VerifyOptions {
  /** Make the HTTP checks against this deployment (its public URL) instead of in-process. */
  url?: URL;
  /** Log files to search for the canaries, besides this process's own recent lines. */
  logFiles?: string[];
}

export type VerifyTrx = Transaction<RightsTables>;

export interface VerifyContext {
  app: App;
  /** The policy the runtime runs under (the file). */
  policy: Policy;
  http: Http;
  /** Where the HTTP checks went: 'in-process', or the URL. */
  httpTarget: string;
  /** Every tenant with rows: the instance chain's nil tenant and each workspace (refreshTenants() after the probe). */
  tenants: string[];
  refreshTenants(): Promise<void>;
  inTenant<T>(tenantId: string, fn: (trx: VerifyTrx) => Promise<T>): Promise<T>;
  /** Runs a statement outside any tenant (global tables). */
  global<T>(fn: (trx: VerifyTrx) => Promise<T>): Promise<T>;
}

function inProcess(app: App): Http {
  return async (method, path, options = {}) => {
    const response = await app.http.inject({
      method: method as 'GET', url: path, headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });
    const raw = response.headers['set-cookie'];
    return {
      status: response.statusCode,
      headers: Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)])),
      setCookies: raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)],
      body: response.body,
    };
  };
}

function overNetwork(base: URL): Http {
  return async (method, path, options = {}) => {
    const response = await fetch(new URL(path, base), {
      method, redirect: 'manual',
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, headers: Object.fromEntries(response.headers), setCookies: response.headers.getSetCookie(), body: await response.text() };
  };
}

export async function verifyContext(app: App, policy: Policy, options: VerifyOptions): Promise<VerifyContext> {
  const db = app.database.db.$extendTables<RightsTables>();
  const ctx: VerifyContext = {
    app,
    policy,
    http: options.url ? overNetwork(options.url) : inProcess(app),
    httpTarget: options.url ? options.url.origin : 'in-process',
    tenants: [],
    async refreshTenants() {
      const { rows } = await sql<{ id: string }>`select id from workspaces order by id`.execute(db);
      ctx.tenants = [INSTANCE_CHAIN, ...rows.map((row) => row.id)];
    },
    inTenant: (tenantId, fn) => withTenant(db, tenantId, fn),
    global: (fn) => db.transaction().execute(fn),
  };
  await ctx.refreshTenants();
  return ctx;
}
