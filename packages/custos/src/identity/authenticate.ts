// The authenticator of the running server: an API key (`Authorization: Bearer csk_…`) or the
// session cookie. It resolves the workspace the request acts in (the key's, or the
// `Custos-Workspace` header's, or the person's personal one), the person's role there, and whether
// they accepted the current policy version. What it may not see is a 404, never a hint.
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { AppError } from '../core/errors.ts';
import { isUuid } from '../core/ids.ts';
import type { Authenticator, CallerReply, CallerRequest, Principal, Scope } from '../core/principal.ts';
import { enforceRateLimit, type RateLimiter } from '../ratelimit/index.ts';
import { parseScopes, scopesOfRole } from './api-keys.ts';
import { API_KEY_PREFIX, SESSION_COOKIE, type BetterAuthInstance } from './better-auth.ts';
import type { RateRules } from './rate-rules.ts';
import type { CachedKey, CredentialCache } from './credential-cache.ts';
import type { IdentityTables } from './tables.ts';

export const WORKSPACE_HEADER = 'custos-workspace';
// Writing last-used on every request would turn each read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AuthenticatorDeps {
  db: Kysely<IdentityTables>;
  auth: BetterAuthInstance;
  limiter: RateLimiter;
  rules: RateRules;
  cache: CredentialCache;
  /** The policy version people must have accepted: the one in force now. */
  policyVersion: () => string;
}

/** The hash the api-key plugin stores: SHA-256, base64url without padding. */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('base64url');
}

function bearerOf(request: CallerRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

function hasSessionCookie(request: CallerRequest): boolean {
  const cookie = request.headers.cookie;
  return typeof cookie === 'string' && cookie.includes(`${SESSION_COOKIE}=`);
}

export function clientOf(request: CallerRequest): Principal['client'] {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, 512) } : {}) };
}

const noSuchWorkspace = () => new AppError('not_found', 'no such workspace');

export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const { db } = deps;

  async function membership(personId: string, workspaceId: string | undefined) {
    let query = db.selectFrom('memberships as m').innerJoin('workspaces as w', 'w.id', 'm.organizationId')
      .select(['w.id', 'm.role', sql<boolean>`exists(select 1 from terms_acceptances t where t.person_id = m."userId" and t.policy_version = ${deps.policyVersion()})`.as('terms')])
      .where('m.userId', '=', personId);
    query = workspaceId ? query.where('w.id', '=', workspaceId) : query.where('w.personal', '=', true);
    return query.executeTakeFirst();
  }

  async function lookUpKey(keyHash: string): Promise<CachedKey | undefined> {
    const cached = deps.cache.get(keyHash);
    if (cached) return cached;
    const generation = deps.cache.generation();
    // One round trip: the key, its creator's current role in the key's workspace (a creator who
    // left leaves a key that opens nothing) and their acceptance of the policy.
    const row = await db.selectFrom('api_keys as k')
      .innerJoin('memberships as m', (join) => join
        .on('m.organizationId', '=', sql<string>`k."referenceId"::uuid`)
        .on('m.userId', '=', sql<string>`(k.metadata::jsonb ->> 'createdBy')::uuid`))
      .select(['k.id', 'k.enabled', 'k.expiresAt', 'k.permissions', 'k.lastRequest', 'm.userId', 'm.role', 'm.organizationId',
        sql<boolean>`exists(select 1 from terms_acceptances t where t.person_id = m."userId" and t.policy_version = ${deps.policyVersion()})`.as('terms')])
      .where('k.key', '=', keyHash).executeTakeFirst();
    if (!row || row.enabled === false) return undefined;
    // A key's rights are the lesser of its scopes and its creator's current role.
    const allowed = new Set<Scope>(scopesOfRole(row.role));
    const found: CachedKey = {
      id: row.id, creatorId: row.userId, workspaceId: row.organizationId, role: row.role,
      scopes: new Set(parseScopes(row.permissions).filter((s) => allowed.has(s))),
      expiresAt: row.expiresAt, lastRequest: row.lastRequest, terms: row.terms,
    };
    deps.cache.set(keyHash, found, generation);
    return found;
  }

  async function byApiKey(key: string, client: Principal['client']): Promise<Principal | null> {
    if (!key.startsWith(API_KEY_PREFIX)) return null;
    const found = await lookUpKey(hashApiKey(key));
    if (!found || (found.expiresAt && found.expiresAt.getTime() <= Date.now())) return null;
    await enforceRateLimit(deps.limiter, deps.rules.apiPerKey, found.id);
    if (!found.lastRequest || Date.now() - found.lastRequest.getTime() > LAST_USED_RESOLUTION_MS) {
      found.lastRequest = new Date();
      await db.updateTable('api_keys').set({ lastRequest: found.lastRequest }).where('id', '=', found.id).execute();
    }
    return {
      kind: 'api_key',
      personId: found.creatorId,
      workspaceId: found.workspaceId,
      role: found.role,
      scopes: found.scopes,
      credentialId: found.id,
      termsAccepted: found.terms,
      client,
    };
  }

  async function bySession(request: CallerRequest, reply: CallerReply): Promise<Principal | null> {
    const headers = new Headers();
    headers.set('cookie', request.headers.cookie ?? '');
    const { headers: answered, response: found } = await deps.auth.api.getSession({ headers, returnHeaders: true });
    if (!found) return null;
    // When the idle expiry slides (at most once per update age), the cookie's lifetime follows.
    const refreshed = answered.getSetCookie().filter((c) => /^(__Secure-)?custos_session=/.test(c));
    if (refreshed.length > 0) void reply.header('set-cookie', refreshed);
    const { session } = found;
    const asked = request.headers[WORKSPACE_HEADER];
    if (asked !== undefined && (typeof asked !== 'string' || !isUuid(asked))) throw noSuchWorkspace();
    const member = await membership(session.userId, asked);
    if (!member) throw noSuchWorkspace();
    await enforceRateLimit(deps.limiter, deps.rules.apiPerPerson, session.userId);
    return {
      kind: 'session',
      personId: session.userId,
      workspaceId: member.id,
      role: member.role,
      scopes: new Set(scopesOfRole(member.role)),
      credentialId: session.id,
      termsAccepted: member.terms,
      client: clientOf(request),
    };
  }

  return async (request, reply) => {
    const bearer = bearerOf(request);
    if (bearer !== undefined) return byApiKey(bearer, clientOf(request));
    if (hasSessionCookie(request)) return bySession(request, reply);
    return null;
  };
}
