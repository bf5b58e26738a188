// Sealed values: the versioned envelope every encrypted column holds (docs/encryption.md).
//
//   byte 0      format version (1)
//   bytes 1-4   data key version (uint32, big-endian)
//   bytes 5-16  nonce (96 random bits)
//   bytes 17-   AES-256-GCM ciphertext, then the 16-byte tag
//
// The key is not the data key itself but a per-row key derived from it with HKDF-Expand (info:
// tenant, table, column, row id), so that no single key approaches GCM's limit of about 2^32 random nonces.
// The AAD binds the same context and the header, so a value moved to another row, column or
// tenant, or re-labelled with another key version, fails to open.
import crypto from 'node:crypto';
import { AppError } from '../core/errors.ts';
import type { KeyObject } from 'node:crypto';
import { NONCE_BYTES, TAG_BYTES, aesGcmDecrypt, aesGcmEncrypt, encodeParts, hkdfExpand32, keyObject } from './aead.ts';

export const ENVELOPE_VERSION = 1;
const HEADER_BYTES = 1 + 4 + NONCE_BYTES;

/** Where a value lives. All four are bound into its encryption. */
export interface SealContext {
  tenantId: string;
  table: string;
  column: string;
  rowId: string;
}

export interface DataKey {
  version: number;
  key: Buffer;
}

/** Finds a data key by version; throws (shredded, unknown) when it cannot. */
export type DataKeyLookup = (version: number) => Promise<Buffer> | Buffer;

function contextParts(ctx: SealContext): string[] {
  return [ctx.tenantId, ctx.table, ctx.column, ctx.rowId];
}

function rowKey(dataKey: Buffer, ctx: SealContext): KeyObject {
  return hkdfExpand32(keyObject(dataKey), encodeParts(['custos/v1/row-key', ...contextParts(ctx)]));
}

function aad(header: Buffer, ctx: SealContext): Buffer {
  return encodeParts(['custos/v1/value', header, ...contextParts(ctx)]);
}

// Random nonces drawn from a pool filled 4 KiB at a time: one call into the CSPRNG per 341
// values instead of one per value (the values are as random either way).
const pool = Buffer.alloc(NONCE_BYTES * 341);
let poolOffset = pool.length;

function fillNonce(target: Buffer, offset: number): void {
  if (poolOffset + NONCE_BYTES > pool.length) {
    crypto.randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, offset, poolOffset, poolOffset + NONCE_BYTES);
  pool.fill(0, poolOffset, poolOffset + NONCE_BYTES); // a drawn nonce does not linger in memory
  poolOffset += NONCE_BYTES;
}

export function seal(dataKey: DataKey, ctx: SealContext, plaintext: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(ENVELOPE_VERSION, 0);
  header.writeUInt32BE(dataKey.version, 1);
  fillNonce(header, 5);
  const nonce = header.subarray(5, HEADER_BYTES);
  return aesGcmEncrypt(rowKey(dataKey.key, ctx), nonce, plaintext, aad(header, ctx), header);
}

/** The data key version a sealed value names, without opening it (rotation and audits use it). */
export function sealedKeyVersion(sealed: Buffer): number {
  if (sealed.length < HEADER_BYTES + TAG_BYTES || sealed.readUInt8(0) !== ENVELOPE_VERSION) {
    throw new AppError('sealed_data_invalid', 'a stored value is not a custos envelope');
  }
  return sealed.readUInt32BE(1);
}

export async function open(lookup: DataKeyLookup, ctx: SealContext, sealed: Buffer): Promise<Buffer> {
  const version = sealedKeyVersion(sealed);
  const header = sealed.subarray(0, HEADER_BYTES);
  const key = await lookup(version);
  const plaintext = aesGcmDecrypt(rowKey(key, ctx), header.subarray(5), sealed.subarray(HEADER_BYTES), aad(header, ctx));
  if (!plaintext) throw new AppError('sealed_data_invalid', 'a stored value failed its integrity check');
  return plaintext;
}
