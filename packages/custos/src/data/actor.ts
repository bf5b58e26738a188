// Who acts on the data: the authenticated caller as the HTTP layer knows it (a Principal has
// these fields), reduced to what data/ needs, so that data/ does not import the HTTP layer.
export interface Actor {
  kind: 'session' | 'api_key';
  workspaceId: string;
  personId: string;
  /** The session or API key that authenticated the request. */
  credentialId: string;
  /** Sealed into the audit entry under the person's own secret. */
  client: { ip?: string; userAgent?: string };
}
