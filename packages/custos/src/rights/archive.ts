// The export archive (P-RIG-2): a ZIP holding a README, one NDJSON file per category and a
// manifest with every file's SHA-256, streamed as it is read: each category's file is produced
// only when the zip reaches it, page by page, so memory stays flat whatever the account holds.
// yazl writes the zip (ZIP64 when sizes need it); this file decides only what goes in it.
import crypto from 'node:crypto';
import { PassThrough, pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { ZipFile } from 'yazl';
import { CATEGORIES, type Category } from '../db/registry.ts';
import { README } from './archive-readme.ts';
import type { ExportedRow } from './rows.ts';
import type { Selection } from './scope.ts';

export const ARCHIVE_SCHEMA_VERSION = 1;

export interface ArchivePart {
  category: Category;
  selections: Selection[];
}

export interface ArchiveInput {
  exportId: string;
  personId: string;
  createdAt: Date;
  parts: ArchivePart[];
  read: (selection: Selection) => AsyncIterable<ExportedRow[]>;
  /** Called after each page is written, with how many rows it held. */
  onRows?: (rows: number) => void;
}

interface FileDigest {
  path: string;
  bytes: number;
  sha256: string;
}

/** Passes bytes through and, at the end, knows their count and SHA-256. */
class Digesting extends Transform {
  readonly #hash = crypto.createHash('sha256');
  bytes = 0;
  sha256 = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.sha256 = this.#hash.digest('hex');
    callback();
  }
}

async function* ndjson(part: ArchivePart, input: ArchiveInput, count: (n: number) => void): AsyncGenerator<Buffer> {
  for (const selection of part.selections) {
    for await (const page of input.read(selection)) {
      let text = '';
      for (const row of page) text += JSON.stringify({ table: selection.entry.table, workspaceId: selection.workspaceId, row }) + '\n';
      count(page.length);
      input.onRows?.(page.length);
      yield Buffer.from(text, 'utf8');
    }
  }
}

/** The archive as a byte stream; it fails (is destroyed) if reading any row fails. */
export function buildArchive(input: ArchiveInput): Readable {
  // Level 1: the NDJSON still shrinks several-fold, at a fraction of the default level's cost.
  const zip = new ZipFile();
  const options = { mtime: input.createdAt, compressionLevel: 1 };
  const digests: FileDigest[] = [];
  const counts: Array<{ category: Category; description: string; file: string; rows: number }> = [];
  const output = new PassThrough();

  const readme = Buffer.from(README, 'utf8');
  zip.addBuffer(readme, 'README.md', options);
  digests.push({ path: 'README.md', bytes: readme.length, sha256: crypto.createHash('sha256').update(readme).digest('hex') });

  for (const part of input.parts) {
    const file = `data/${part.category}.ndjson`;
    const counted = { category: part.category, description: CATEGORIES[part.category], file, rows: 0 };
    counts.push(counted);
    zip.addReadStreamLazy(file, options, (callback) => {
      const digest = new Digesting();
      digest.on('finish', () => digests.push({ path: file, bytes: digest.bytes, sha256: digest.sha256 }));
      // A byte stream with a small buffer: it reads the next page only when the zip has taken this one.
      const source = Readable.from(ndjson(part, input, (n) => (counted.rows += n)), { objectMode: false, highWaterMark: 64 * 1024 });
      // yazl listens for no error on the streams it is given, and then never ends: a failed read
      // (the database, a lost lease) must fail the archive itself, and must not be an error event
      // nobody listens for (an uncaught exception, the whole server down).
      callback(null, pipeline(source, digest, (err) => {
        if (err) output.destroy(err);
      }));
    });
  }

  // Last, so that every file before it has been hashed by the time it is written.
  zip.addReadStreamLazy('manifest.json', options, (callback) => {
    const manifest = {
      schemaVersion: ARCHIVE_SCHEMA_VERSION,
      exportId: input.exportId,
      personId: input.personId,
      createdAt: input.createdAt.toISOString(),
      categories: counts,
      files: digests,
    };
    callback(null, Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')]));
  });
  zip.end();

  zip.on('error', (err: Error) => output.destroy(err));
  zip.outputStream.on('error', (err: Error) => output.destroy(err));
  return zip.outputStream.pipe(output);
}
