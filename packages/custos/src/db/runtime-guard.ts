// The embedded engine runs Postgres in single-user mode, where the authenticated user is always the
// bootstrap superuser. We enter the runtime role with SET SESSION AUTHORIZATION, which makes
// session_user and current_user custos_runtime, so SET ROLE to the owner is refused and RESET ROLE
// gives nothing back. What Postgres would still allow, because the *authenticated* user is a
// superuser, is SET/RESET SESSION AUTHORIZATION and DISCARD ALL (which resets it). On a server the
// runtime login is a real login and none of this is needed; here the runtime pool refuses those
// statements before they reach the engine. Dynamic SQL cannot rebuild them either: migrations
// revoke plpgsql and set_config() from the runtime role on the embedded engine.
import { DeferredBeginClient } from './deferred-begin.ts';

// "authorization" anywhere (SET SESSION AUTHORIZATION, set_config('session_authorization')),
// DISCARD, and unicode-escaped identifiers or strings (U&"..."), which could spell either.
const FORBIDDEN = /authorization|\bdiscard\b|u&\s*["']/i;

export class RuntimeStatementRefused extends Error {
  // Looks like Postgres' own refusal, so callers handle it the same way on both engines.
  readonly code = '42501';
  constructor() {
    super('permission denied: the runtime role cannot change its session authorization');
    this.name = 'RuntimeStatementRefused';
  }
}

export function isForbiddenRuntimeStatement(text: string): boolean {
  return FORBIDDEN.test(text);
}

function queryText(config: unknown): string | undefined {
  if (typeof config === 'string') return config;
  if (config && typeof config === 'object' && 'text' in config && typeof config.text === 'string') {
    return config.text;
  }
  return undefined;
}

/** A pg Client that refuses, before sending, the statements that could leave the runtime role. */
export class GuardedClient extends DeferredBeginClient {
  // pg's query() has many overloads; we only look at the text and pass everything through.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const text = queryText(args[0]);
    if (text !== undefined && isForbiddenRuntimeStatement(text)) {
      const err = new RuntimeStatementRefused();
      const callback = args.find((arg) => typeof arg === 'function') as ((e: Error) => void) | undefined;
      if (callback) {
        process.nextTick(() => callback(err));
        return undefined;
      }
      return Promise.reject(err);
    }
     
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }
}
