// What the rest of custos uses to encrypt content: seal and open values inside a tenant
// transaction, streams for blobs and exports, and crypto-shredding of a tenant.
import type { Transform } from 'node:stream';
import { AppError } from '../core/errors.ts';
import { type DataKeys, type KeysTrx } from './data-keys.ts';
import { open, seal, type SealContext } from './envelope.ts';
import type { Keystore } from './keystore.ts';
import { createOpenStream, createSealStream } from './stream.ts';

export class Sealer {
  readonly #dataKeys: DataKeys;
  readonly #keystore: Keystore;

  constructor(dataKeys: DataKeys, keystore: Keystore) {
    this.#dataKeys = dataKeys;
    this.#keystore = keystore;
  }

  /** Seals under the tenant's current data key. `trx` is the tenant's own (withTenant). */
  async seal(trx: KeysTrx, ctx: SealContext, plaintext: Buffer): Promise<Buffer> {
    return seal(await this.#dataKeys.current(trx, ctx.tenantId), ctx, plaintext);
  }

  /**
   * For many values of one tenant in one transaction (bulk ingest): fetches the current key once
   * and returns a synchronous sealing function.
   */
  async sealerFor(trx: KeysTrx, tenantId: string): Promise<(ctx: SealContext, plaintext: Buffer) => Buffer> {
    const dataKey = await this.#dataKeys.current(trx, tenantId);
    return (ctx, plaintext) => {
      if (ctx.tenantId !== tenantId) throw new AppError('invalid_request', 'a bulk sealer seals for its own tenant only');
      return seal(dataKey, ctx, plaintext);
    };
  }

  /**
   * For many values of one tenant in one transaction (a page of rows): each key version is looked
   * up once for the whole page instead of once per value.
   */
  async openerFor(trx: KeysTrx, tenantId: string): Promise<(ctx: SealContext, sealed: Buffer) => Promise<Buffer>> {
    const keys = new Map<number, Promise<Buffer>>();
    const lookup = (version: number) => {
      let key = keys.get(version);
      if (!key) keys.set(version, (key = this.#dataKeys.byVersion(trx, tenantId, version)));
      return key;
    };
    return (ctx, sealed) => {
      if (ctx.tenantId !== tenantId) throw new AppError('invalid_request', 'a bulk opener opens for its own tenant only');
      return open(lookup, ctx, sealed);
    };
  }

  async open(trx: KeysTrx, ctx: SealContext, sealed: Buffer): Promise<Buffer> {
    return open((version) => this.#dataKeys.byVersion(trx, ctx.tenantId, version), ctx, sealed);
  }

  /**
   * A sealing stream. The key is fetched in the transaction; the stream itself runs after it, so
   * that a long upload holds no connection.
   */
  async sealStream(trx: KeysTrx, ctx: SealContext): Promise<Transform> {
    return createSealStream(await this.#dataKeys.current(trx, ctx.tenantId), ctx);
  }

  /** An opening stream for a value sealed under `version` (read it from the stored row). */
  async openStream(trx: KeysTrx, ctx: SealContext, version: number): Promise<Transform> {
    const key = await this.#dataKeys.byVersion(trx, ctx.tenantId, version);
    return createOpenStream((asked) => {
      // The transaction is over by the time the header is read: only the prefetched key is there.
      if (asked !== version) throw new AppError('sealed_data_invalid', 'a sealed stream names another key version than its row');
      return key;
    }, ctx);
  }

  /** DEK rotation: new writes are sealed under a new data key version; old values still open. */
  async rotateDataKey(trx: KeysTrx, tenantId: string): Promise<number> {
    return this.#dataKeys.rotate(trx, tenantId);
  }

  /** Crypto-shredding: the tenant's root secret is deleted; nothing sealed for it opens again. */
  async shredTenant(tenantId: string): Promise<void> {
    await this.#keystore.shred(`tenant:${tenantId}`);
    this.#dataKeys.forget(tenantId);
  }
}
