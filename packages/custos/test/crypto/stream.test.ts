import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { SealContext } from '../../src/crypto/envelope.ts';
import { createOpenStream, createSealStream, SEGMENT_BYTES, STREAM_HEADER_BYTES } from '../../src/crypto/stream.ts';

const key = { version: 1, key: crypto.randomBytes(32) };
const lookup = (): Buffer => key.key;
const ctx: SealContext = { tenantId: crypto.randomUUID(), table: 'artifacts', column: 'blob', rowId: crypto.randomUUID() };
const SEALED_SEGMENT = SEGMENT_BYTES + 16;

async function collect(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(source, new Writable({ write(chunk: Buffer, _e, cb) { chunks.push(chunk); cb(); } }));
  return Buffer.concat(chunks);
}

/** Feeds the bytes in uneven chunks, as a socket would. */
function chunked(bytes: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 13) % 100_003 + 1) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
}

async function sealBytes(plaintext: Buffer, k = key): Promise<Buffer> {
  return collect(chunked(plaintext).pipe(createSealStream(k, ctx)));
}

async function openBytes(sealed: Buffer, context = ctx): Promise<Buffer> {
  return collect(chunked(sealed).pipe(createOpenStream(lookup, context)));
}

describe('streaming encryption (64 KiB segments)', () => {
  it.each([0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES + 12345])(
    'P-ENC-1: %i bytes round-trip through seal and open streams',
    async (size) => {
      const plaintext = crypto.randomBytes(size);
      const sealed = await sealBytes(plaintext);
      expect(sealed.length).toBe(STREAM_HEADER_BYTES + Math.max(1, Math.ceil(size / SEGMENT_BYTES)) * 16 + size);
      expect(await openBytes(sealed)).toEqual(plaintext);
    },
  );

  const threeSegments = crypto.randomBytes(2 * SEGMENT_BYTES + 1000);

  it('P-ENC-1: a truncated stream is refused, wherever it is cut', async () => {
    const sealed = await sealBytes(threeSegments);
    for (const cut of [0, 10, STREAM_HEADER_BYTES, STREAM_HEADER_BYTES + 100, STREAM_HEADER_BYTES + SEALED_SEGMENT, sealed.length - 1]) {
      await expect(openBytes(sealed.subarray(0, cut))).rejects.toMatchObject({ code: 'sealed_data_invalid' });
    }
  });

  it('P-ENC-1: a stream whose final segment was dropped is refused', async () => {
    const sealed = await sealBytes(threeSegments);
    const withoutFinal = sealed.subarray(0, STREAM_HEADER_BYTES + 2 * SEALED_SEGMENT);
    await expect(openBytes(withoutFinal)).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });

  it('P-ENC-1: reordered segments are refused', async () => {
    const sealed = await sealBytes(threeSegments);
    const header = sealed.subarray(0, STREAM_HEADER_BYTES);
    const first = sealed.subarray(STREAM_HEADER_BYTES, STREAM_HEADER_BYTES + SEALED_SEGMENT);
    const second = sealed.subarray(STREAM_HEADER_BYTES + SEALED_SEGMENT, STREAM_HEADER_BYTES + 2 * SEALED_SEGMENT);
    const rest = sealed.subarray(STREAM_HEADER_BYTES + 2 * SEALED_SEGMENT);
    await expect(openBytes(Buffer.concat([header, second, first, rest]))).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });

  it('P-ENC-1: a segment swapped in from another stream (same key, same context) is refused', async () => {
    const a = await sealBytes(threeSegments);
    const b = await sealBytes(threeSegments);
    const swapped = Buffer.concat([
      a.subarray(0, STREAM_HEADER_BYTES + SEALED_SEGMENT),
      b.subarray(STREAM_HEADER_BYTES + SEALED_SEGMENT, STREAM_HEADER_BYTES + 2 * SEALED_SEGMENT),
      a.subarray(STREAM_HEADER_BYTES + 2 * SEALED_SEGMENT),
    ]);
    await expect(openBytes(swapped)).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });

  it('P-ENC-1: a stream opened in another context, or with a flipped byte, is refused', async () => {
    const sealed = await sealBytes(threeSegments);
    await expect(openBytes(sealed, { ...ctx, rowId: crypto.randomUUID() })).rejects.toMatchObject({ code: 'sealed_data_invalid' });
    const flipped = Buffer.from(sealed);
    flipped[STREAM_HEADER_BYTES + SEALED_SEGMENT + 5]! ^= 1;
    await expect(openBytes(flipped)).rejects.toMatchObject({ code: 'sealed_data_invalid' });
  });

  it('P-ENC-1: 64 MiB pass through seal and open with at most a few segments in flight (constant memory)', async () => {
    const total = 64 * 1024 * 1024;
    let produced = 0;
    let received = 0;
    let peakInFlight = 0;
    const block = crypto.randomBytes(SEGMENT_BYTES / 2 + 7);
    const source = new Readable({
      read() {
        if (produced >= total) return this.push(null);
        produced += block.length;
        this.push(block);
      },
    });
    await pipeline(source, createSealStream(key, ctx), createOpenStream(lookup, ctx), new Writable({
      write(chunk: Buffer, _e, cb) {
        received += chunk.length;
        peakInFlight = Math.max(peakInFlight, produced - received);
        cb();
      },
    }));
    expect(received).toBe(produced);
    // What the two streams hold at any moment is bounded by segments and high-water marks, not by
    // the stream's length: a buffering implementation would hold all 64 MiB.
    expect(peakInFlight).toBeLessThan(1024 * 1024);
  });
});
