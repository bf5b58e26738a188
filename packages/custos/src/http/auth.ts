// How a route says who may call it, and how a handler reaches the caller. The caller itself (a
// Principal) and the Authenticator that finds it live in core/principal.ts, below every domain.
import type { Principal } from '../core/principal.ts';
import type { FastifyRequest } from 'fastify';

/**
 * Route-level setting: `config: { auth: 'public' }` opens a route to everyone; `'session'` admits
 * a person signed in with the session cookie only (never an API key); `'api_key'` admits API keys
 * only (machine endpoints such as the OTLP receiver).
 */
export type RouteAccess = 'public' | 'signed_in' | 'session' | 'api_key';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAccess;
    /** `'exempt'`: answers a person who has not accepted the current policy (the acceptance route). */
    terms?: 'exempt';
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The principal of a route that is not public (the authentication hook has run). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principalOf() on a public route');
  return request.principal;
}
