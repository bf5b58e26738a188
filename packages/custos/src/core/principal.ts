// Who is calling: the one name every floor uses for the authenticated caller. The HTTP layer
// produces it (through an Authenticator, before the body is read: DESIGN.md, API conventions), and
// every domain receives it; it lives here, below both, so that no domain imports the HTTP layer.
import type { IncomingHttpHeaders } from 'node:http';

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

/** What an authenticator reads of a request: its headers and the client address it came from. */
export interface CallerRequest {
  readonly headers: IncomingHttpHeaders;
  readonly ip: string;
}

/** What an authenticator may do to the answer: set a header (a session cookie whose expiry slid). */
export interface CallerReply {
  header(name: string, value: string | string[]): unknown;
}

/**
 * Returns the caller, or null when the request carries no credentials it recognises. Written
 * against these two shapes rather than Fastify's, so that identity/ implements it without the HTTP
 * layer; a Fastify request and reply satisfy them.
 */
export type Authenticator = (request: CallerRequest, reply: CallerReply) => Promise<Principal | null>;

/** The authenticator of a server with no sign-in methods: nobody is signed in. */
export const nobodyIsSignedIn: Authenticator = async () => null;
