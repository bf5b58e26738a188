// Streaming encryption for blobs and exports, in constant memory: the STREAM construction
// (Hoang, Reyhanitabar, Rogaway, Vizár) over AES-256-GCM, in 64 KiB segments.
//
//   header   "CSTR" | format version (1) | data key version (uint32) | 32-byte random salt
//   segments each up to 64 KiB of plaintext, sealed with its 16-byte tag
//
// A per-stream key and nonce prefix come from HKDF(data key, salt, context). Segment i is sealed
// with nonce = prefix(7) | i (uint32) | final flag (1 byte) and the header as AAD. So a reordered
// segment fails (its index differs), a segment from another stream fails (another key), and a
// stream cut at any point fails (its last segment was not sealed as final).
// Plaintext of verified segments is released as it is read: a consumer must treat the stream's
// error as the failure of everything it received.
import crypto, { createSecretKey, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../core/errors.ts';
import { TAG_BYTES, aesGcmDecrypt, aesGcmEncrypt, encodeParts, hkdf } from './aead.ts';
import type { DataKey, DataKeyLookup, SealContext } from './envelope.ts';

export const SEGMENT_BYTES = 64 * 1024;
const MAGIC = Buffer.from('CSTR');
const STREAM_VERSION = 1;
const SALT_BYTES = 32;
export const STREAM_HEADER_BYTES = MAGIC.length + 1 + 4 + SALT_BYTES;
const SEALED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES;
const MAX_SEGMENTS = 2 ** 32 - 1;

interface StreamKeys {
  key: KeyObject;
  prefix: Buffer;
}

function streamKeys(dataKey: Buffer, salt: Buffer, ctx: SealContext): StreamKeys {
  const material = hkdf(dataKey, salt, encodeParts(['custos/v1/stream', ctx.tenantId, ctx.table, ctx.column, ctx.rowId]), 32 + 7);
  return { key: createSecretKey(material.subarray(0, 32)), prefix: material.subarray(32) };
}

function segmentNonce(prefix: Buffer, index: number, final: boolean): Buffer {
  if (index > MAX_SEGMENTS) throw new AppError('invalid_request', 'stream too long');
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 7);
  nonce.writeUInt8(final ? 1 : 0, 11);
  return nonce;
}

function invalid(): AppError {
  return new AppError('sealed_data_invalid', 'a sealed stream failed its integrity check');
}

/** Collects chunks and hands out exact lengths, copying only when a length spans chunks. */
class ByteQueue {
  #chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  take(n: number): Buffer {
    this.length -= n;
    const first = this.#chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}

export function createSealStream(dataKey: DataKey, ctx: SealContext): Transform {
  const salt = crypto.randomBytes(SALT_BYTES);
  const header = Buffer.alloc(STREAM_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(STREAM_VERSION, 4);
  header.writeUInt32BE(dataKey.version, 5);
  salt.copy(header, 9);
  const { key, prefix } = streamKeys(dataKey.key, salt, ctx);
  const queue = new ByteQueue();
  let index = 0;
  let headerSent = false;
  const sealSegment = (plaintext: Buffer, final: boolean): Buffer => aesGcmEncrypt(key, segmentNonce(prefix, index++, final), plaintext, header);

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        if (!headerSent) {
          this.push(header);
          headerSent = true;
        }
        queue.push(chunk);
        // A segment leaves only when more data follows it: the last one must be sealed as final.
        while (queue.length > SEGMENT_BYTES) this.push(sealSegment(queue.take(SEGMENT_BYTES), false));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!headerSent) this.push(header);
        this.push(sealSegment(queue.take(queue.length), true));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}

export function createOpenStream(lookup: DataKeyLookup, ctx: SealContext): Transform {
  const queue = new ByteQueue();
  let header: Buffer | undefined;
  let keys: StreamKeys | undefined;
  let index = 0;
  const openSegment = (sealed: Buffer, final: boolean): Buffer => {
    const plaintext = aesGcmDecrypt(keys!.key, segmentNonce(keys!.prefix, index++, final), sealed, header!);
    if (!plaintext) throw invalid();
    return plaintext;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      queue.push(chunk);
      void (async () => {
        if (!header) {
          if (queue.length < STREAM_HEADER_BYTES) return;
          const candidate = queue.take(STREAM_HEADER_BYTES);
          if (!candidate.subarray(0, 4).equals(MAGIC) || candidate.readUInt8(4) !== STREAM_VERSION) throw invalid();
          const dataKey = await lookup(candidate.readUInt32BE(5));
          keys = streamKeys(dataKey, candidate.subarray(9), ctx);
          header = candidate;
        }
        while (queue.length > SEALED_SEGMENT_BYTES) this.push(openSegment(queue.take(SEALED_SEGMENT_BYTES), false));
      })().then(() => callback(), (err: Error) => callback(err));
    },
    flush(callback: TransformCallback) {
      try {
        if (!header || queue.length < TAG_BYTES) throw invalid();
        this.push(openSegment(queue.take(queue.length), true));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
