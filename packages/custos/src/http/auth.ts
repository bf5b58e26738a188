// Who is calling. Sign-in arrives with the identity issue; the HTTP layer already runs every
// request through one authenticator, before the body is even read (DESIGN.md, API conventions).
import type { FastifyRequest } from 'fastify';

export type Scope = 'read' | 'write';

export interface Principal {
  /** How the request proved who it is: the Origin check applies to cookie sessions only. */
  kind: 'session' | 'api_key';
  personId: string;
  workspaceId: string;
  scopes: ReadonlySet<Scope>;
}

/** Returns the caller, or null when the request carries no credentials it recognises. */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | null>;

/** The authenticator of a server with no sign-in methods yet: nobody is signed in. */
export const nobodyIsSignedIn: Authenticator = async () => null;

/** Route-level setting: `config: { auth: 'public' }` opens a route to everyone. */
export type RouteAccess = 'public' | 'signed_in';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}
