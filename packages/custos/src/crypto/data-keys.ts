// Tenant data keys (DEKs): 32 random bytes per tenant and version, stored in tenant_keys wrapped
// under HKDF(tenant root secret) and then under the master key. New writes use the newest
// version; older versions keep opening what they sealed (DEK rotation). Functions take the tenant
// transaction (withTenant) as their first argument: row-level security is what keeps one tenant
// from ever reading another's keys.
import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import { AppError } from '../core/errors.ts';
import { KEY_BYTES, NONCE_BYTES, aesGcmDecrypt, aesGcmEncrypt, encodeParts, hkdf } from './aead.ts';
import type { DataKey } from './envelope.ts';
import type { KeyProvider } from './key-provider.ts';
import type { Keystore } from './keystore.ts';

export interface TenantKeysTable {
  tenant_id: string;
  version: number;
  kek_version: number;
  wrapped: Buffer;
}

/** The table data keys live in: a domain whose transactions seal or open includes it in its tables. */
export type KeysTables = { tenant_keys: TenantKeysTable };
export type KeysTrx = Transaction<KeysTables>;

/**
 * What data keys need from the database layer, passed in so that crypto/ does not import db/:
 * caches are filled only after the transaction commits (a rolled-back first key must not live on
 * in memory), and a transaction of one tenant may use only that tenant's keys (RLS would refuse
 * the rows; the caches must refuse too).
 */
export interface TransactionHooks {
  afterCommit(trx: object, fn: () => void): void;
  tenantOf(trx: object): string | undefined;
}

export interface DataKeysOptions {
  /** How long an opened key or a tenant's current version is trusted without looking again. */
  cacheTtlMs?: number;
}

function dekAad(tenantId: string, version: number): Buffer {
  return encodeParts(['custos/v1/dek', tenantId, String(version)]);
}

export class DataKeys {
  readonly #provider: KeyProvider;
  readonly #keystore: Keystore;
  readonly #hooks: TransactionHooks;
  readonly #ttlMs: number;
  readonly #opened = new Map<string, Buffer>();
  readonly #current = new Map<string, { version: number; until: number }>();

  constructor(provider: KeyProvider, keystore: Keystore, hooks: TransactionHooks, options: DataKeysOptions = {}) {
    this.#provider = provider;
    this.#keystore = keystore;
    this.#hooks = hooks;
    this.#ttlMs = options.cacheTtlMs ?? 30_000;
  }

  #checkTenant(trx: KeysTrx, tenantId: string): void {
    if (this.#hooks.tenantOf(trx) !== tenantId) {
      throw new AppError('forbidden', 'a transaction of one workspace cannot use another workspace’s keys');
    }
  }

  async #tenantWrapKey(tenantId: string, create: boolean): Promise<Buffer> {
    return hkdf(await this.#keystore.secret(`tenant:${tenantId}`, { create }), Buffer.alloc(0), 'custos/v1/dek-wrap');
  }

  async #wrap(tenantId: string, version: number, dek: Buffer): Promise<{ kek_version: number; wrapped: Buffer }> {
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const inner = aesGcmEncrypt(await this.#tenantWrapKey(tenantId, true), nonce, dek, dekAad(tenantId, version), nonce);
    const outer = await this.#provider.wrap(inner, dekAad(tenantId, version));
    return { kek_version: outer.kekVersion, wrapped: outer.blob };
  }

  async #unwrap(tenantId: string, row: Pick<TenantKeysTable, 'version' | 'kek_version' | 'wrapped'>): Promise<Buffer> {
    // The tenant secret first: a shredded tenant says so, whatever else is wrong.
    const wrapKey = await this.#tenantWrapKey(tenantId, false);
    const inner = await this.#provider.unwrap({ kekVersion: row.kek_version, blob: row.wrapped }, dekAad(tenantId, row.version));
    const dek = aesGcmDecrypt(wrapKey, inner.subarray(0, NONCE_BYTES), inner.subarray(NONCE_BYTES), dekAad(tenantId, row.version));
    if (!dek) throw new AppError('sealed_data_invalid', 'a data key failed its integrity check');
    return dek;
  }

  /** The key new values are sealed with; the tenant's first key is made on first use. */
  async current(trx: KeysTrx, tenantId: string): Promise<DataKey> {
    this.#checkTenant(trx, tenantId);
    const known = this.#current.get(tenantId);
    if (known && known.until > Date.now()) return { version: known.version, key: await this.byVersion(trx, tenantId, known.version) };
    let version = await this.#latestVersion(trx, tenantId);
    if (version === 0) {
      version = 1;
      await this.#insert(trx, tenantId, version);
    }
    this.#rememberCurrent(trx, tenantId, version);
    return { version, key: await this.byVersion(trx, tenantId, version) };
  }

  async byVersion(trx: KeysTrx, tenantId: string, version: number): Promise<Buffer> {
    this.#checkTenant(trx, tenantId);
    const cacheKey = `${tenantId}:${version}`;
    const cached = this.#opened.get(cacheKey);
    // A cached key is used only while the tenant's secret still exists: the keystore looks at its
    // file again after its own short cache, so a tenant shredded by another process stops opening.
    if (cached) {
      await this.#keystore.secret(`tenant:${tenantId}`, { create: false });
      return cached;
    }
    const row = await trx.selectFrom('tenant_keys').select(['version', 'kek_version', 'wrapped'])
      .where('tenant_id', '=', tenantId).where('version', '=', version).executeTakeFirst();
    if (!row) throw new AppError('key_unavailable', 'no data key of that version exists for this workspace');
    const dek = await this.#unwrap(tenantId, row);
    this.#hooks.afterCommit(trx, () => this.#opened.set(cacheKey, dek));
    return dek;
  }

  /** DEK rotation: a new version that seals every new write from now on; old versions still open. */
  async rotate(trx: KeysTrx, tenantId: string): Promise<number> {
    this.#checkTenant(trx, tenantId);
    const version = (await this.#latestVersion(trx, tenantId)) + 1;
    await this.#insert(trx, tenantId, version);
    this.#rememberCurrent(trx, tenantId, version);
    return version;
  }

  /** The tenant's newest data key version, 0 when it has none yet. */
  async #latestVersion(trx: KeysTrx, tenantId: string): Promise<number> {
    const latest = await trx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
    return latest?.version ?? 0;
  }

  #rememberCurrent(trx: KeysTrx, tenantId: string, version: number): void {
    this.#hooks.afterCommit(trx, () => this.#current.set(tenantId, { version, until: Date.now() + this.#ttlMs }));
  }

  async #insert(trx: KeysTrx, tenantId: string, version: number): Promise<void> {
    const dek = crypto.randomBytes(KEY_BYTES);
    const wrapped = await this.#wrap(tenantId, version, dek);
    // Two servers may make a tenant's first key at once; the first one wins and both use it
    // (the loser reads the winner's row).
    await trx.insertInto('tenant_keys').values({ tenant_id: tenantId, version, ...wrapped })
      .onConflict((oc) => oc.columns(['tenant_id', 'version']).doNothing()).execute();
  }

  /**
   * KEK rotation for one tenant: re-wraps its data keys that are under an older master key version
   * with the current one. The keys themselves, and so every sealed value, do not change.
   */
  async rewrap(trx: KeysTrx, tenantId: string): Promise<number> {
    this.#checkTenant(trx, tenantId);
    const current = await this.#provider.currentVersion();
    const rows = await trx.selectFrom('tenant_keys').select(['version', 'kek_version', 'wrapped'])
      .where('tenant_id', '=', tenantId).where('kek_version', '<>', current).execute();
    for (const row of rows) {
      const inner = await this.#provider.unwrap({ kekVersion: row.kek_version, blob: row.wrapped }, dekAad(tenantId, row.version));
      const outer = await this.#provider.wrap(inner, dekAad(tenantId, row.version));
      await trx.updateTable('tenant_keys').set({ kek_version: outer.kekVersion, wrapped: outer.blob })
        .where('tenant_id', '=', tenantId).where('version', '=', row.version).execute();
    }
    return rows.length;
  }

  /** Forgets what this process has opened for the tenant (after shredding its secret). */
  forget(tenantId: string): void {
    this.#current.delete(tenantId);
    for (const key of this.#opened.keys()) if (key.startsWith(`${tenantId}:`)) this.#opened.delete(key);
  }
}

