// The keystore: per-tenant root secrets, per-person secrets and instance secrets, each wrapped by
// the master key, kept outside the main database (locally a file in the data dir; a KMS or a small
// separate key database in large deployments, behind the same interface). Shredding deletes a
// secret: every database backup then holds data keys that nobody can unwrap (P-RET-5). The
// keystore's own backups must expire within the policy's backup window.
//
// The file is shared by the server and the CLI: writes take a lock file (file-lock.ts) and replace
// the file atomically; readers cache opened secrets for a short while, so a secret shredded by another
// process stops opening there within CACHE_TTL_MS.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { KEY_BYTES } from './aead.ts';
import { withFileLock, writeFileAtomic } from './file-lock.ts';
import type { KeyProvider } from './key-provider.ts';

export const KEYSTORE_FILE_NAME = 'keystore.json';
export const CACHE_TTL_MS = 30_000;

/** `tenant:<uuid>`, `person:<uuid>`, `credential:<uuid>` (one provider key's own) or `instance:<name>`. */
export type SecretId = `tenant:${string}` | `person:${string}` | `credential:${string}` | `instance:${string}`;

const fileSchema = z.object({
  format: z.literal(1),
  entries: z.record(z.string(), z.object({ kekVersion: z.number().int().positive(), blob: z.string() })),
  // Ids only, so that a shredded secret says "shredded" rather than "missing".
  shredded: z.array(z.string()),
});
type KeystoreFile = z.infer<typeof fileSchema>;

const EMPTY: KeystoreFile = { format: 1, entries: {}, shredded: [] };

export class Keystore {
  readonly #file: string;
  readonly #provider: KeyProvider;
  readonly #cache = new Map<string, { secret: Buffer; until: number }>();
  readonly #ttlMs: number;

  constructor(dataDir: string, provider: KeyProvider, options: { cacheTtlMs?: number } = {}) {
    this.#file = path.join(dataDir, KEYSTORE_FILE_NAME);
    this.#provider = provider;
    this.#ttlMs = options.cacheTtlMs ?? CACHE_TTL_MS;
  }

  /** The secret of `id`, created on first use unless it was shredded. */
  async secret(id: SecretId, options: { create?: boolean } = { create: true }): Promise<Buffer> {
    const cached = this.#cache.get(id);
    if (cached && cached.until > Date.now()) return cached.secret;
    let file = this.#read();
    let entry = file.entries[id];
    if (!entry) {
      if (file.shredded.includes(id)) throw new AppError('key_shredded', 'this data was erased: its key no longer exists');
      if (!options.create) throw new AppError('key_unavailable', 'no key exists for this data');
      file = await this.#update(async (current) => {
        if (!current.entries[id] && !current.shredded.includes(id)) {
          const wrapped = await this.#provider.wrap(crypto.randomBytes(KEY_BYTES), Buffer.from(id));
          current.entries[id] = { kekVersion: wrapped.kekVersion, blob: wrapped.blob.toString('base64') };
        }
      });
      entry = file.entries[id];
      if (!entry) throw new AppError('key_shredded', 'this data was erased: its key no longer exists');
    }
    const secret = await this.#provider.unwrap({ kekVersion: entry.kekVersion, blob: Buffer.from(entry.blob, 'base64') }, Buffer.from(id));
    this.#cache.set(id, { secret, until: Date.now() + this.#ttlMs });
    return secret;
  }

  /** Deletes the secret for good. Idempotent. */
  async shred(id: SecretId): Promise<void> {
    await this.#update(async (current) => {
      delete current.entries[id];
      if (!current.shredded.includes(id)) current.shredded.push(id);
    });
    this.#cache.delete(id);
  }

  /** Re-wraps every secret under the provider's current master key version; returns how many. */
  async rewrap(): Promise<number> {
    let count = 0;
    const current = await this.#provider.currentVersion();
    await this.#update(async (file) => {
      for (const [id, entry] of Object.entries(file.entries)) {
        if (entry.kekVersion === current) continue;
        const secret = await this.#provider.unwrap({ kekVersion: entry.kekVersion, blob: Buffer.from(entry.blob, 'base64') }, Buffer.from(id));
        const wrapped = await this.#provider.wrap(secret, Buffer.from(id));
        file.entries[id] = { kekVersion: wrapped.kekVersion, blob: wrapped.blob.toString('base64') };
        count += 1;
      }
      return count > 0;
    });
    return count;
  }

  /** Every tenant that has a secret: the tenants whose data keys a master key rotation re-wraps. */
  tenantIds(): string[] {
    return Object.keys(this.#read().entries).filter((id) => id.startsWith('tenant:')).map((id) => id.slice('tenant:'.length));
  }

  /** The master key versions the keystore's entries are wrapped under. */
  kekVersionsInUse(): Set<number> {
    return new Set(Object.values(this.#read().entries).map((entry) => entry.kekVersion));
  }

  #read(): KeystoreFile {
    let text: string;
    try {
      text = fs.readFileSync(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY);
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`the keystore ${this.#file} is damaged`);
    return parsed.data;
  }

  /** Read-modify-write under the lock; `change` returns false when it changed nothing (no write). */
  async #update(change: (file: KeystoreFile) => Promise<boolean | void>): Promise<KeystoreFile> {
    return withFileLock(`${this.#file}.lock`, async () => {
      const file = this.#read();
      if ((await change(file)) !== false) writeFileAtomic(this.#file, JSON.stringify(file) + '\n');
      return file;
    });
  }
}
