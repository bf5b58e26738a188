// The primitive: AES-256-GCM with 96-bit nonces and 128-bit tags (node:crypto), and HKDF-SHA256.
// Everything custos seals goes through these two functions; known-answer vectors test them.
import crypto from 'node:crypto';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

// Keys are passed as KeyObjects where they are used more than once: node:crypto turns a raw
// Buffer key into a key object on every call, which costs more than sealing 1 KiB (BENCHMARKS.md).
export type SymmetricKey = Buffer | crypto.KeyObject;

/** Returns `prefix` (if any), the ciphertext and the tag, in one buffer. */
export function aesGcmEncrypt(key: SymmetricKey, nonce: Buffer, plaintext: Buffer, aad: Buffer, prefix?: Buffer): Buffer {
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  // Assembled in one allocation: this runs once per sealed value, on every write of content.
  const head = prefix?.length ?? 0;
  const out = Buffer.allocUnsafe(head + plaintext.length + TAG_BYTES);
  if (prefix) prefix.copy(out, 0);
  let at = head + cipher.update(plaintext).copy(out, head);
  at += cipher.final().copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

/** Returns the plaintext, or null when the tag does not verify (wrong key, AAD or any byte). */
export function aesGcmDecrypt(key: SymmetricKey, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer | null {
  if (sealed.length < TAG_BYTES) return null;
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    // GCM has no padding: final() only checks the tag and adds nothing, so the plaintext is not copied.
    const rest = decipher.final();
    return rest.length === 0 ? plaintext : Buffer.concat([plaintext, rest]);
  } catch {
    return null;
  }
}

const FIRST_BLOCK = Buffer.of(1);

/**
 * HKDF-Expand (RFC 5869) for one 32-byte block, from a key that is already uniformly random (a data
 * key): the extract step adds nothing for such a key (RFC 5869, section 3.3), and this is one HMAC.
 */
export function hkdfExpand32(prk: crypto.KeyObject, info: Buffer): crypto.KeyObject {
  return crypto.createSecretKey(crypto.createHmac('sha256', prk).update(info).update(FIRST_BLOCK).digest());
}

const keyObjects = new WeakMap<Buffer, crypto.KeyObject>();

/** The KeyObject of a key held as a Buffer, made once per Buffer. */
export function keyObject(key: Buffer): crypto.KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = crypto.createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

export function hkdf(ikm: Buffer, salt: Buffer, info: Buffer | string, length = KEY_BYTES): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', ikm, salt, typeof info === 'string' ? Buffer.from(info) : info, length));
}

/**
 * Length-prefixed concatenation: the encoding of every AAD and HKDF info custos builds, so that
 * ("ab","c") and ("a","bc") never collide.
 */
export function encodeParts(parts: ReadonlyArray<string | Buffer>): Buffer {
  // Written into one buffer (twice per sealed value: its key's info and its AAD).
  let total = 0;
  for (const part of parts) total += 4 + (typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const part of parts) {
    const length = typeof part === 'string' ? out.write(part, at + 4, 'utf8') : part.copy(out, at + 4);
    out.writeUInt32BE(length, at);
    at += 4 + length;
  }
  return out;
}
