// Provider credentials (P-ENC-3): a workspace's keys to its model providers and cloud accounts.
// The secret is sealed before it is written and no route ever returns it; deleting a credential
// deletes the row at once and shreds its own secret (P-RET-2), so a backup of the row opens nothing.
import ipaddr from 'ipaddr.js';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { AuditTrail } from '../audit/index.ts';
import { credentialKey, open, seal, shredCredentialKey, type Keystore, type Sealer, type SealContext } from '../crypto/index.ts';
import { withTenant } from '../db/tenant.ts';
import type { Principal } from '../core/principal.ts';
import { recordDataEvent } from '../data/index.ts';
import { can } from '../identity/index.ts';
import type { Logger } from '../core/log.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { CREDENTIAL_SHRED } from './jobs.ts';
import type { Provider, ProviderRegistry } from './providers.ts';
import type { CredentialsTable, VaultTables, VaultTrx } from './tables.ts';

export interface CredentialView {
  id: string;
  provider: string;
  label: string;
  /** The secret's last four characters; empty for a secret too short to show any of it safely. */
  lastFour: string;
  baseUrl: string | null;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export const credentialInput = z.object({
  provider: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  label: z.string().trim().min(1).max(200).regex(/^[^\0]*$/),
  // A secret goes into a header: no spaces or control characters.
  secret: z.string().min(8).max(8192).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  baseUrl: z.string().max(2048).optional(),
}).strict();
export type CredentialInput = z.infer<typeof credentialInput>;

/** What useSecret() reads: the credential as stored, the provider it belongs to. */
export interface StoredCredential {
  row: StoredRow;
  provider: Provider;
}

const COLUMNS = ['id', 'provider', 'label', 'label_sealed', 'last_four', 'base_url', 'created_by', 'created_at', 'last_used_at'] as const;
type StoredRow = Selectable<CredentialsTable>;
type CredentialRow = Pick<StoredRow, (typeof COLUMNS)[number]>;

export const credentialNotFound = () => new AppError('not_found', 'no such credential');

function secretContext(tenantId: string, id: string): SealContext {
  return { tenantId, table: 'credentials', column: 'secret', rowId: id };
}

function labelContext(tenantId: string, id: string): SealContext {
  return { tenantId, table: 'credentials', column: 'label_sealed', rowId: id };
}

function view(row: CredentialRow, label: string): CredentialView {
  return {
    id: row.id, provider: row.provider, label, lastFour: row.last_four, baseUrl: row.base_url,
    createdBy: row.created_by, createdAt: row.created_at, lastUsedAt: row.last_used_at,
  };
}

export interface CredentialsDeps {
  db: Kysely<VaultTables>;
  sealer: Sealer;
  keystore: Keystore;
  audit: AuditTrail;
  providers: ProviderRegistry;
  /** Refusal reason for an address literal, null when actions may reach it (egress policy). */
  addressRefused: (ip: string) => string | null;
  queue: Pick<JobQueue, 'enqueue'>;
  log: Pick<Logger, 'warn'>;
}

export class Credentials {
  readonly #deps: CredentialsDeps;

  constructor(deps: CredentialsDeps) {
    this.#deps = deps;
  }

  async create(principal: Principal, input: CredentialInput): Promise<CredentialView> {
    if (!can(principal.role, 'credential', 'create')) throw new AppError('forbidden', 'your role cannot add credentials');
    const provider = this.#deps.providers.get(input.provider);
    if (!provider) throw new AppError('invalid_request', 'unknown provider', { providers: this.#deps.providers.names() });
    const baseUrl = checkBaseUrl(provider, input.baseUrl, this.#deps.addressRefused);
    const id = newId();
    // The credential's own secret lives in the keystore, outside the database, like a tenant's.
    const ownKey = await credentialKey(this.#deps.keystore, id, true);
    try {
      return await withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
        const ctx = secretContext(principal.workspaceId, id);
        const inner = seal(ownKey, ctx, Buffer.from(input.secret, 'utf8'));
        const secret = await this.#deps.sealer.seal(trx, ctx, inner);
        const label = await this.#deps.sealer.seal(trx, labelContext(principal.workspaceId, id), Buffer.from(input.label, 'utf8'));
        const row = await trx.insertInto('credentials').values({
          tenant_id: principal.workspaceId, id, provider: provider.name, label: null, label_sealed: label, secret,
          last_four: input.secret.length >= 16 ? input.secret.slice(-4) : '', base_url: baseUrl, created_by: principal.personId,
        }).returning(COLUMNS).executeTakeFirstOrThrow();
        await recordDataEvent(this.#deps.audit, trx, principal, { action: 'credential.created', targetType: 'credential', targetId: id, details: { provider: provider.name } });
        return view(row, input.label);
      });
    } catch (err) {
      await shredCredentialKey(this.#deps.keystore, id).catch(() => undefined);
      throw err;
    }
  }

  async list(principal: Principal): Promise<CredentialView[]> {
    if (!can(principal.role, 'credential', 'read')) throw new AppError('forbidden', 'your role cannot see credentials');
    return withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      const rows = await trx.selectFrom('credentials').select(COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return Promise.all(rows.map(async (row) => view(row, await this.#label(trx, principal.workspaceId, row))));
    });
  }

  async get(principal: Principal, id: string): Promise<CredentialView> {
    if (!can(principal.role, 'credential', 'read')) throw new AppError('forbidden', 'your role cannot see credentials');
    return withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      const row = await trx.selectFrom('credentials').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      if (!row) throw credentialNotFound();
      return view(row, await this.#label(trx, principal.workspaceId, row));
    });
  }

  /**
   * The label, opened. A label an earlier release kept in clear is sealed now, in the reader's
   * transaction: the runtime can reach a workspace's rows only in its own tenant transaction, so a
   * start-up pass over every workspace could not find them.
   */
  async #label(trx: VaultTrx, tenantId: string, row: Pick<CredentialRow, 'id' | 'label' | 'label_sealed'>): Promise<string> {
    const ctx = labelContext(tenantId, row.id);
    if (row.label_sealed) return (await this.#deps.sealer.open(trx, ctx, row.label_sealed)).toString('utf8');
    const label = row.label ?? '';
    const sealed = await this.#deps.sealer.seal(trx, ctx, Buffer.from(label, 'utf8'));
    await trx.updateTable('credentials').set({ label: null, label_sealed: sealed }).where('id', '=', row.id).execute();
    return label;
  }

  /**
   * Deletes the credential at once (P-RET-2). Proposals that named it can no longer run: they
   * become `voided`; every action keeps its record, without the reference.
   */
  async delete(principal: Principal, id: string): Promise<void> {
    if (!can(principal.role, 'credential', 'delete')) throw new AppError('forbidden', 'your role cannot delete credentials');
    await withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      // Locked first: a proposal naming it either committed before (and is voided here) or waits and finds it gone.
      const locked = await trx.selectFrom('credentials').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
      if (!locked) throw credentialNotFound();
      const voided = await trx.updateTable('actions').set({ status: 'voided', reason: 'credential_deleted', updated_at: new Date() })
        .where('credential_id', '=', id).where('status', '=', 'proposed').returning('id').execute();
      const deleted = await trx.deleteFrom('credentials').where('id', '=', id).returning('provider').executeTakeFirst();
      if (!deleted) throw credentialNotFound();
      for (const action of voided) {
        await recordDataEvent(this.#deps.audit, trx, principal, { action: 'action.voided', targetType: 'action', targetId: action.id, details: { reason: 'credential_deleted' } });
      }
      await recordDataEvent(this.#deps.audit, trx, principal, { action: 'credential.deleted', targetType: 'credential', targetId: id, details: { provider: deleted.provider, voided: voided.length } });
      await this.#deps.queue.enqueue(trx, CREDENTIAL_SHRED, { credentialId: id });
    });
    // The deletion has committed: a failure to shred now is not the caller's to see (the row is
    // gone, and a retried DELETE would find nothing); the job queued with it shreds the secret.
    await shredCredentialKey(this.#deps.keystore, id).catch((err: unknown) => {
      this.#deps.log.warn({ credential: id, code: (err as { code?: unknown }).code }, 'shredding a deleted credential’s secret failed; the credentials.shred job retries it');
    });
  }

  /**
   * The stored credential and its provider, inside the caller's tenant transaction. `share` locks
   * the row until commit, so that a deletion waits for a proposal naming it (and then voids it).
   */
  async stored(trx: VaultTrx, id: string, lock?: 'share'): Promise<StoredCredential | null> {
    let query = trx.selectFrom('credentials').selectAll().where('id', '=', id);
    if (lock) query = query.forShare();
    const row = await query.executeTakeFirst();
    if (!row) return null;
    const provider = this.#deps.providers.get(row.provider);
    if (!provider) throw new AppError('credential_missing', 'the provider of this credential is no longer configured');
    return { row, provider };
  }

  /** Opens the secret: for useSecret() only. */
  async openSecret(trx: VaultTrx, tenantId: string, row: Pick<StoredRow, 'id' | 'secret'>): Promise<string> {
    const ctx = secretContext(tenantId, row.id);
    const inner = await this.#deps.sealer.open(trx, ctx, row.secret);
    const ownKey = await credentialKey(this.#deps.keystore, row.id, false);
    return (await open(() => ownKey.key, ctx, inner)).toString('utf8');
  }
}

/** A base URL: https, no credentials, query or fragment; on the provider's hosts unless generic. */
function checkBaseUrl(provider: Provider, input: string | undefined, addressRefused: (ip: string) => string | null): string | null {
  if (input === undefined) {
    if (provider.needsBaseUrl) throw new AppError('invalid_request', `a ${provider.name} credential needs a baseUrl`);
    return null;
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new AppError('invalid_request', 'baseUrl is not a URL');
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new AppError('invalid_request', 'baseUrl must be an https URL without credentials, query or fragment');
  }
  if (!provider.needsBaseUrl && (!provider.hosts.includes(url.hostname) || url.port !== '')) {
    throw new AppError('invalid_request', `baseUrl must be on one of ${provider.name}'s hosts`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host) && addressRefused(host)) throw new AppError('invalid_request', 'baseUrl names an address actions may not reach');
  const href = url.pathname.endsWith('/') ? url.href : `${url.href}/`;
  // Normalised (escaped, punycoded), a URL can grow past what the columns hold.
  if (host.length > 253 || href.length > 2048) throw new AppError('invalid_request', 'baseUrl is too long');
  return href;
}
