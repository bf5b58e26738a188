// Building one export attempt's archive: the person's rows of every category read page by page
// into the zip, the zip sealed into the attempt's part file. The claim, the lease and putting the
// file in place stay with Exports.run; this is only the work, so that it can run where an
// ExportBuilder puts it: in the server's own process, or in a process of its own
// (src/export-process.ts), whose memory and CPU time are the export's alone.
import type { Kysely } from 'kysely';
import { AppError } from '../core/errors.ts';
import type { Keystore, Sealer } from '../crypto/index.ts';
import { TABLES, type Category } from '../db/registry.ts';
import { buildArchive, type ArchivePart } from './archive.ts';
import type { ExportFiles } from './export-files.ts';
import { countRows, readRows } from './rows.ts';
import { personScope, selectionsOf } from './scope.ts';
import type { RightsTables } from './tables.ts';

export interface BuildJob {
  exportId: string;
  /** The claim's number: the part file is this attempt's own. */
  attempt: number;
  personId: string;
  createdAt: Date;
}

export interface BuildDeps {
  db: Kysely<RightsTables>;
  sealer: Pick<Sealer, 'openerFor'>;
  keystore: Keystore;
  files: Pick<ExportFiles, 'writePart'>;
}

/** Rows written so far, of how many the person holds (counted at the start). */
export interface BuildProgress {
  written: number;
  total: number;
}

/**
 * Builds an attempt's part file. `report` is called after each page; `held` says whether the
 * attempt's claim still holds (checked before each table is read, so a lost claim stops the work).
 */
export type ExportBuilder = (job: BuildJob, report: (progress: BuildProgress) => void, held: () => boolean) => Promise<void>;

export async function buildExportFile(deps: BuildDeps, job: BuildJob, report: (progress: BuildProgress) => void, held: () => boolean): Promise<void> {
  const scope = await personScope(deps.db, job.personId);
  if (!scope) throw new AppError('not_found', 'the person of this export is gone');
  const selections = selectionsOf(scope, TABLES);
  let total = 0;
  for (const selection of selections) total += (await countRows(deps.db, selection)).count;
  const parts = new Map<Category, ArchivePart>();
  for (const selection of selections) {
    const part = parts.get(selection.entry.category) ?? { category: selection.entry.category, selections: [] };
    part.selections.push(selection);
    parts.set(selection.entry.category, part);
  }
  let written = 0;
  const archive = buildArchive({
    exportId: job.exportId, personId: job.personId, createdAt: job.createdAt, parts: [...parts.values()],
    read: (selection) => {
      if (!held()) throw new AppError('conflict', 'the export was taken over by another worker');
      return readRows(deps, selection, job.personId);
    },
    onRows: (rows) => {
      written += rows;
      report({ written, total });
    },
  });
  await deps.files.writePart(job.exportId, job.attempt, job.personId, archive);
}

/** The builder that works in the calling process (the embedded engine admits no other process). */
export function inProcessBuilder(deps: BuildDeps): ExportBuilder {
  return (job, report, held) => buildExportFile(deps, job, report, held);
}
