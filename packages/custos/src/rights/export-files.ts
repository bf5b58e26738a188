// Where export archives live: the data dir's exports/ folder, one file per export, written under a
// temporary name and renamed once complete, so a reader never sees half an archive. The bytes are
// the streaming seal (crypto/stream.ts) of the zip under the person's own key: erasing the person
// makes any copy unreadable, and the file is deleted when its link expires.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../core/errors.ts';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import { createOpenStream, createSealStream, personDataKey, type Keystore, type SealContext } from '../crypto/index.ts';

export const EXPORTS_DIR_NAME = 'exports';

function archiveContext(exportId: string): SealContext {
  return { tenantId: INSTANCE_CHAIN, table: 'exports', column: 'archive', rowId: exportId };
}

export class ExportFiles {
  readonly #dir: string;
  readonly #keystore: Keystore;

  constructor(dataDir: string, keystore: Keystore) {
    this.#dir = path.join(dataDir, EXPORTS_DIR_NAME);
    this.#keystore = keystore;
  }

  #path(exportId: string): string {
    return path.join(this.#dir, exportId);
  }

  /** Seals `archive` into the export's file; returns the stored size. */
  async write(exportId: string, personId: string, archive: Readable): Promise<number> {
    fs.mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const partial = `${this.#path(exportId)}.part`;
    const seal = createSealStream(await personDataKey(this.#keystore, personId, true), archiveContext(exportId));
    try {
      await pipeline(archive, seal, fs.createWriteStream(partial, { mode: 0o600 }));
      fs.renameSync(partial, this.#path(exportId));
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw err;
    }
    return fs.statSync(this.#path(exportId)).size;
  }

  /** The archive, opened as it is read; the stream fails if the file was altered or cut. */
  async read(exportId: string, personId: string): Promise<Transform> {
    const key = await personDataKey(this.#keystore, personId, false);
    const opening = createOpenStream((version) => {
      if (version !== key.version) throw new AppError('sealed_data_invalid', 'an export archive names a key it is not sealed under');
      return key.key;
    }, archiveContext(exportId));
    const file = fs.createReadStream(this.#path(exportId));
    file.on('error', (err) => opening.destroy(err));
    return file.pipe(opening);
  }

  exists(exportId: string): boolean {
    return fs.existsSync(this.#path(exportId));
  }

  /** Removes the archive and any partial one. Idempotent. */
  delete(exportId: string): void {
    fs.rmSync(this.#path(exportId), { force: true });
    fs.rmSync(`${this.#path(exportId)}.part`, { force: true });
  }
}
