import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import { open, seal, sealedKeyVersion, type SealContext } from '../../src/crypto/envelope.ts';

const key = { version: 3, key: crypto.randomBytes(32) };
const lookup = (version: number): Buffer => {
  if (version !== 3) throw new AppError('key_unavailable', 'no such key version');
  return key.key;
};
const ctx: SealContext = { tenantId: crypto.randomUUID(), table: 'conversations', column: 'body', rowId: crypto.randomUUID() };
const plaintext = Buffer.from('the user said something private');

describe('sealed values (envelope v1)', () => {
  it('P-ENC-1: a sealed value opens in its own context and holds no plaintext', async () => {
    const sealed = seal(key, ctx, plaintext);
    expect(sealed.readUInt8(0)).toBe(1);
    expect(sealedKeyVersion(sealed)).toBe(3);
    expect(sealed.includes(plaintext)).toBe(false);
    expect(await open(lookup, ctx, sealed)).toEqual(plaintext);
    // Fresh nonces: sealing twice never gives the same bytes.
    expect(seal(key, ctx, plaintext).equals(sealed)).toBe(false);
  });

  it('P-ENC-1: a flipped byte anywhere in the envelope is refused', async () => {
    const sealed = seal(key, ctx, plaintext);
    for (let i = 0; i < sealed.length; i += 1) {
      const tampered = Buffer.from(sealed);
      tampered[i]! ^= 0x80;
      await expect(open(lookup, ctx, tampered)).rejects.toMatchObject({ code: i >= 1 && i <= 4 ? 'key_unavailable' : 'sealed_data_invalid' });
    }
    await expect(open(lookup, ctx, sealed.subarray(0, sealed.length - 1))).rejects.toMatchObject({ code: 'sealed_data_invalid' });
    await expect(open(lookup, ctx, Buffer.alloc(5))).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });

  it.each([
    ['another tenant', { tenantId: crypto.randomUUID() }],
    ['another table', { table: 'traces' }],
    ['another column', { column: 'title' }],
    ['another row', { rowId: crypto.randomUUID() }],
  ])('P-ENC-1: a value moved to %s is refused', async (_label, change) => {
    const sealed = seal(key, ctx, plaintext);
    await expect(open(lookup, { ...ctx, ...change }, sealed)).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });

  it('P-ENC-1: a value re-labelled with another key version is refused', async () => {
    const sealed = seal(key, ctx, plaintext);
    const relabelled = Buffer.from(sealed);
    relabelled.writeUInt32BE(4, 1);
    await expect(open(() => key.key, ctx, relabelled)).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });
});
