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

export type KeysTrx = Transaction<{ tenant_keys: TenantKeysTable }>;

const CURRENT_TTL_MS = 30_000;

function dekAad(tenantId: string, version: number): Buffer {
  return encodeParts(['custos/v1/dek', tenantId, String(version)]);
}

export class DataKeys {
  readonly #provider: KeyProvider;
  readonly #keystore: Keystore;
  readonly #opened = new Map<string, Buffer>();
  readonly #current = new Map<string, { version: number; until: number }>();

  constructor(provider: KeyProvider, keystore: Keystore) {
    this.#provider = provider;
    this.#keystore = keystore;
  }

  async #tenantWrapKey(tenantId: string, create: boolean): Promise<Buffer> {
    return hkdf(await this.#keystore.secret(`tenant:${tenantId}`, { create }), Buffer.alloc(0), 'custos/v1/dek-wrap');
  }

  async #wrap(tenantId: string, version: number, dek: Buffer): Promise<{ kek_version: number; wrapped: Buffer }> {
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const inner = Buffer.concat([nonce, aesGcmEncrypt(await this.#tenantWrapKey(tenantId, true), nonce, dek, dekAad(tenantId, version))]);
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
    const known = this.#current.get(tenantId);
    if (known && known.until > Date.now()) return { version: known.version, key: await this.byVersion(trx, tenantId, known.version) };
    let latest = await trx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (!latest) {
      await this.#insert(trx, tenantId, 1);
      latest = { version: 1 };
    }
    this.#current.set(tenantId, { version: latest.version, until: Date.now() + CURRENT_TTL_MS });
    return { version: latest.version, key: await this.byVersion(trx, tenantId, latest.version) };
  }

  async byVersion(trx: KeysTrx, tenantId: string, version: number): Promise<Buffer> {
    const cacheKey = `${tenantId}:${version}`;
    const cached = this.#opened.get(cacheKey);
    if (cached) return cached;
    const row = await trx.selectFrom('tenant_keys').select(['version', 'kek_version', 'wrapped'])
      .where('tenant_id', '=', tenantId).where('version', '=', version).executeTakeFirst();
    if (!row) throw new AppError('key_unavailable', 'no data key of that version exists for this workspace');
    const dek = await this.#unwrap(tenantId, row);
    this.#opened.set(cacheKey, dek);
    return dek;
  }

  /** DEK rotation: a new version that seals every new write from now on; old versions still open. */
  async rotate(trx: KeysTrx, tenantId: string): Promise<number> {
    const latest = await trx.selectFrom('tenant_keys').select('version').where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
    const version = (latest?.version ?? 0) + 1;
    await this.#insert(trx, tenantId, version);
    this.#current.set(tenantId, { version, until: Date.now() + CURRENT_TTL_MS });
    return version;
  }

  async #insert(trx: KeysTrx, tenantId: string, version: number): Promise<void> {
    const dek = crypto.randomBytes(KEY_BYTES);
    const wrapped = await this.#wrap(tenantId, version, dek);
    // Two servers may make a tenant's first key at once; the first one wins and both use it.
    const inserted = await trx.insertInto('tenant_keys').values({ tenant_id: tenantId, version, ...wrapped })
      .onConflict((oc) => oc.columns(['tenant_id', 'version']).doNothing()).executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 1n) this.#opened.set(`${tenantId}:${version}`, dek);
  }

  /**
   * KEK rotation for one tenant: re-wraps its data keys that are under an older master key version
   * with the current one. The keys themselves, and so every sealed value, do not change.
   */
  async rewrap(trx: KeysTrx, tenantId: string): Promise<number> {
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

