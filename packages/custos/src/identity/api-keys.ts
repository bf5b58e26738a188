// Workspace API keys (P-KEY-1, P-KEY-3). Better Auth's api-key plugin makes them (prefix `csk_`,
// random, stored only as SHA-256) and owns the table; custos decides who may create one, with
// which scopes, lists and revokes them, and audits each change in the workspace's chain. The key
// itself is returned once, at creation, and never again.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Principal, Scope } from '../core/principal.ts';
import type { BetterAuthInstance } from './better-auth.ts';
import type { IdentityRecorder } from './recorder.ts';
import { can } from './roles.ts';
import type { IdentityTables } from './tables.ts';
import { hasAdminScope } from './workspaces.ts';

export const SCOPES = ['read', 'write', 'admin'] as const satisfies readonly Scope[];

export interface ApiKeyView {
  id: string;
  name: string | null;
  prefix: string | null;
  scopes: Scope[];
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

const storedScopes = z.object({ custos: z.array(z.enum(SCOPES)) });
const storedMetadata = z.object({ createdBy: z.uuid() });

/** The scopes stored with a key (permissions column, JSON); none when unreadable. */
export function parseScopes(permissions: string | null): Scope[] {
  try {
    return storedScopes.parse(JSON.parse(permissions ?? 'null')).custos;
  } catch {
    return [];
  }
}

/** The creator stored with a key (metadata column, JSON, possibly JSON-encoded twice). */
export function parseCreator(metadata: string | null): string | null {
  try {
    let value: unknown = JSON.parse(metadata ?? 'null');
    if (typeof value === 'string') value = JSON.parse(value);
    return storedMetadata.parse(value).createdBy;
  } catch {
    return null;
  }
}

/** The scopes a role grants: viewers read, members write, admins and owners administer. */
export function scopesOfRole(role: string): Scope[] {
  if (can(role, 'apiKey', 'create')) return ['read', 'write', 'admin'];
  if (can(role, 'data', 'write')) return ['read', 'write'];
  if (can(role, 'data', 'read')) return ['read'];
  return [];
}

// The api-key plugin's server-side call, typed here: the plugins are configured in a shared
// options object, which keeps TypeScript from inferring the endpoints they add.
interface CreateApiKeyApi {
  createApiKey(input: { body: Record<string, unknown> }): Promise<{ id: string; key: string; name?: string | null; start?: string | null; createdAt: Date | string; expiresAt?: Date | string | null }>;
}

export class ApiKeys {
  readonly #db: Kysely<IdentityTables>;
  readonly #auth: BetterAuthInstance;
  readonly #recorder: IdentityRecorder;

  constructor(db: Kysely<IdentityTables>, auth: BetterAuthInstance, recorder: IdentityRecorder) {
    this.#db = db;
    this.#auth = auth;
    this.#recorder = recorder;
  }

  async create(principal: Principal, input: { name: string; scopes: Scope[]; expiresAt?: Date }): Promise<ApiKeyView & { key: string }> {
    // A key is made by a person signed in: one made by another key would outlive that key's revocation.
    if (principal.kind !== 'session') throw new AppError('session_required', 'a person signed in creates API keys, not a key');
    if (!can(principal.role, 'apiKey', 'create') || !hasAdminScope(principal)) throw new AppError('forbidden', 'your role cannot manage API keys');
    // A key never holds more than its creator may do.
    const allowed = new Set(scopesOfRole(principal.role).filter((s) => principal.scopes.has(s)));
    const scopes = [...new Set(input.scopes)];
    if (scopes.some((s) => !allowed.has(s))) throw new AppError('forbidden', 'a key cannot hold scopes its creator lacks');
    let expiresIn: number | undefined;
    if (input.expiresAt) {
      expiresIn = Math.floor((input.expiresAt.getTime() - Date.now()) / 1000);
      if (expiresIn < 60) throw new AppError('invalid_request', 'expiresAt must be at least a minute from now');
    }
    const created = await (this.#auth.api as unknown as CreateApiKeyApi).createApiKey({
      body: {
        organizationId: principal.workspaceId,
        userId: principal.personId,
        name: input.name,
        expiresIn,
        permissions: { custos: scopes },
        metadata: { createdBy: principal.personId },
      },
    }).catch((err: unknown) => {
      throw new AppError('invalid_request', 'the key could not be created with these settings', { reason: reasonOf(err) });
    });
    await this.#recorder.workspace(principal.workspaceId, {
      action: 'api_key.created', actorId: principal.personId, client: principal.client, targetType: 'api_key', targetId: created.id,
      details: Object.fromEntries(SCOPES.map((s) => [s, scopes.includes(s)])),
    });
    return {
      id: created.id,
      key: created.key,
      name: created.name ?? null,
      prefix: created.start ?? null,
      scopes,
      createdBy: principal.personId,
      createdAt: new Date(created.createdAt),
      expiresAt: created.expiresAt ? new Date(created.expiresAt) : null,
      lastUsedAt: null,
    };
  }

  async list(principal: Principal): Promise<ApiKeyView[]> {
    if (!can(principal.role, 'apiKey', 'read')) throw new AppError('forbidden', 'your role cannot see API keys');
    const rows = await this.#db.selectFrom('api_keys')
      .select(['id', 'name', 'start', 'permissions', 'metadata', 'createdAt', 'expiresAt', 'lastRequest'])
      .where('referenceId', '=', principal.workspaceId).orderBy('createdAt', 'desc').execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      prefix: row.start,
      scopes: parseScopes(row.permissions),
      createdBy: parseCreator(row.metadata),
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastRequest,
    }));
  }

  /** Revokes at once: the row goes, and the next request with the key finds nothing. */
  async revoke(principal: Principal, keyId: string): Promise<void> {
    if (!can(principal.role, 'apiKey', 'delete') || !hasAdminScope(principal)) throw new AppError('forbidden', 'your role cannot manage API keys');
    await this.#recorder.workspace(principal.workspaceId, { action: 'api_key.revoked', actorId: principal.personId, client: principal.client, targetType: 'api_key', targetId: keyId }, async (trx) => {
      const result = await trx.deleteFrom('api_keys')
        .where('id', '=', keyId).where('referenceId', '=', principal.workspaceId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new AppError('not_found', 'no such API key');
    });
  }
}

// Better Auth's error codes are stable identifiers (never values), safe to pass on.
function reasonOf(err: unknown): string {
  const body = (err as { body?: { code?: unknown } }).body;
  return typeof body?.code === 'string' && /^[A-Z_]{1,64}$/.test(body.code) ? body.code.toLowerCase() : 'rejected';
}
