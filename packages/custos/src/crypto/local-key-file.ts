// The default KeyProvider: master keys in a local file, created on first start with mode 0600.
// custos refuses to start when the file is readable by anyone else, and says to back it up:
// losing it loses every encrypted value.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { KEY_BYTES, NONCE_BYTES, aesGcmDecrypt, aesGcmEncrypt, encodeParts, hkdf } from './aead.ts';
import { createFileAtomic, withFileLock, writeFileAtomic } from './file-lock.ts';
import type { KeyProvider, WrappedSecret } from './key-provider.ts';

export const KEY_FILE_NAME = 'master.key';

const fileSchema = z.object({
  format: z.literal(1),
  current: z.number().int().positive(),
  keys: z.record(z.string().regex(/^\d+$/), z.string()),
});

type KeyFile = z.infer<typeof fileSchema>;

export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

export interface LocalKeyFileOptions {
  /** Told once, when the file is created: where it is and that it must be backed up. */
  onCreated?: (file: string) => void;
}

export class LocalKeyFile implements KeyProvider {
  readonly file: string;

  private constructor(file: string) {
    this.file = file;
  }

  /** Opens the data dir's key file, creating it on first start. */
  static open(dataDir: string, options: LocalKeyFileOptions = {}): LocalKeyFile {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, KEY_FILE_NAME);
    const provider = new LocalKeyFile(file);
    if (!fs.existsSync(file)) {
      const first: KeyFile = { format: 1, current: 1, keys: { '1': crypto.randomBytes(KEY_BYTES).toString('base64') } };
      if (createFileAtomic(file, JSON.stringify(first, null, 2) + '\n')) options.onCreated?.(file);
    }
    provider.#read(); // fails now, at start-up, rather than at the first wrap
    return provider;
  }

  #read(): KeyFile {
    const stat = fs.statSync(this.file);
    if ((stat.mode & 0o077) !== 0) {
      throw new KeyFileError(`the master key file ${this.file} is readable by other users; run chmod 600 on it`);
    }
    const parsed = fileSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    if (!parsed.success || !(String(parsed.data.current) in parsed.data.keys)) {
      throw new KeyFileError(`the master key file ${this.file} is damaged`);
    }
    return parsed.data;
  }

  #key(version: number): Buffer {
    // Re-read on every use: `custos keys rotate` in another process may have added a version.
    const encoded = this.#read().keys[String(version)];
    if (!encoded) throw new AppError('key_unavailable', `master key version ${version} is not in the key file`);
    return Buffer.from(encoded, 'base64');
  }

  async currentVersion(): Promise<number> {
    return this.#read().current;
  }

  async versions(): Promise<number[]> {
    return Object.keys(this.#read().keys).map(Number).sort((a, b) => a - b);
  }

  async wrap(plaintext: Buffer, aad: Buffer): Promise<WrappedSecret> {
    const kekVersion = await this.currentVersion();
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const key = hkdf(this.#key(kekVersion), Buffer.alloc(0), 'custos/v1/kek-wrap');
    const sealed = aesGcmEncrypt(key, nonce, plaintext, encodeParts(['custos/v1/wrap', String(kekVersion), aad]));
    return { kekVersion, blob: Buffer.concat([nonce, sealed]) };
  }

  async unwrap(wrapped: WrappedSecret, aad: Buffer): Promise<Buffer> {
    const key = hkdf(this.#key(wrapped.kekVersion), Buffer.alloc(0), 'custos/v1/kek-wrap');
    const plaintext = aesGcmDecrypt(
      key,
      wrapped.blob.subarray(0, NONCE_BYTES),
      wrapped.blob.subarray(NONCE_BYTES),
      encodeParts(['custos/v1/wrap', String(wrapped.kekVersion), aad]),
    );
    if (!plaintext) throw new AppError('sealed_data_invalid', 'a wrapped key failed its integrity check');
    return plaintext;
  }

  async generate(): Promise<number> {
    return this.#update((contents) => {
      const next = Math.max(...Object.keys(contents.keys).map(Number)) + 1;
      contents.keys[String(next)] = crypto.randomBytes(KEY_BYTES).toString('base64');
      contents.current = next;
      return next;
    });
  }

  async destroy(version: number): Promise<void> {
    await this.#update((contents) => {
      if (version === contents.current) throw new AppError('conflict', 'the current master key version cannot be destroyed');
      delete contents.keys[String(version)];
    });
  }

  /** Read-modify-write under the data dir's key lock, so that two rotations cannot lose a version. */
  async #update<T>(change: (contents: KeyFile) => T): Promise<T> {
    return withFileLock(`${this.file}.lock`, async () => {
      const contents = this.#read();
      const result = change(contents);
      writeFileAtomic(this.file, JSON.stringify(contents, null, 2) + '\n');
      return result;
    });
  }
}
