// Who is calling. The HTTP layer runs every request through one authenticator, before the body is
// even read (DESIGN.md, API conventions); src/identity provides the real one.
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Scope = 'read' | 'write' | 'admin';

export interface Principal {
  /** How the request proved who it is: the Origin check applies to cookie sessions only. */
  kind: 'session' | 'api_key';
  personId: string;
  /** The workspace the request acts in (the tenant of every tenant-table query it makes). */
  workspaceId: string;
  /** The person's role in that workspace (owner, admin, member, viewer). */
  role: string;
  /** What this credential may do: for a key, the lesser of its scopes and its creator's role. */
  scopes: ReadonlySet<Scope>;
  /** The session or API key that authenticated the request. */
  credentialId: string;
  /** Whether the person accepted the current policy version; if not, only the acceptance route answers. */
  termsAccepted: boolean;
  /** Where the request came from, for the audit trail (sealed there under the person's secret). */
  client: { ip?: string; userAgent?: string };
}

/**
 * Returns the caller, or null when the request carries no credentials it recognises. It may set
 * headers on the reply (a session cookie refreshed as its idle expiry slides).
 */
export type Authenticator = (request: FastifyRequest, reply: FastifyReply) => Promise<Principal | null>;

/** The authenticator of a server with no sign-in methods: nobody is signed in. */
export const nobodyIsSignedIn: Authenticator = async () => null;

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
