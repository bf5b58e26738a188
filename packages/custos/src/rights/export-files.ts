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

  #partPath(exportId: string, attempt: number): string {
    return `${this.#path(exportId)}.${attempt}.part`;
  }

  /**
   * Seals `archive` into this attempt's own part file (whoever builds it: the server's process or
   * the builder's); `commit` puts it in place.
   */
  async writePart(exportId: string, attempt: number, personId: string, archive: Readable): Promise<void> {
    fs.mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    // Earlier attempts lost their claim (this one holds it now): what a killed one left goes.
    for (let earlier = 1; earlier < attempt; earlier += 1) fs.rmSync(this.#partPath(exportId, earlier), { force: true });
    const partial = this.#partPath(exportId, attempt);
    const seal = createSealStream(await personDataKey(this.#keystore, personId, true), archiveContext(exportId));
    try {
      await pipeline(archive, seal, fs.createWriteStream(partial, { mode: 0o600 }));
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw err;
    }
  }

  /**
   * Renames an attempt's part file into place if the attempt still holds its claim (the lease
   * holder decides, never the builder); returns the stored size.
   */
  commit(exportId: string, attempt: number, held: () => boolean): number {
    const partial = this.#partPath(exportId, attempt);
    if (!held()) {
      fs.rmSync(partial, { force: true });
      throw new AppError('conflict', 'the export was taken over by another worker');
    }
    fs.renameSync(partial, this.#path(exportId));
    return fs.statSync(this.#path(exportId)).size;
  }

  /** The archive, opened as it is read; the stream fails if the file was altered or cut. */
  async read(exportId: string, personId: string): Promise<Transform> {
    // Checked before anything is sent, so that a missing file is a clean 404, not a broken download.
    if (!this.exists(exportId)) throw new AppError('not_found', 'this export’s archive is gone');
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

  /** Removes one attempt's part file (the attempt failed, wherever it was built). Idempotent. */
  discard(exportId: string, attempt: number): void {
    fs.rmSync(this.#partPath(exportId, attempt), { force: true });
  }

  /** Removes the archive and every attempt's partial one. Idempotent. */
  delete(exportId: string): void {
    fs.rmSync(this.#path(exportId), { force: true });
    const names = fs.existsSync(this.#dir) ? fs.readdirSync(this.#dir) : [];
    for (const name of names) if (name.startsWith(`${exportId}.`) && name.endsWith('.part')) fs.rmSync(path.join(this.#dir, name), { force: true });
  }
}
