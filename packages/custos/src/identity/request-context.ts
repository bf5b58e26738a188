// What the HTTP layer knows about the request that Better Auth's callbacks and hooks need (client
// IP as resolved under CUSTOS_TRUST_PROXY, user agent). Better Auth calls them deep inside its own
// handler, so the bridge runs the handler inside this context.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  ip: string | undefined;
  userAgent: string | undefined;
  /** On a sign-up, the name the person gave: custos seals it (names.ts); Better Auth never sees it. */
  signUpName?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The client of the request being handled, or empty outside one (a CLI command, a job). */
export function currentClient(): RequestContext {
  return storage.getStore() ?? { ip: undefined, userAgent: undefined };
}
