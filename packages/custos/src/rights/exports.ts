// Exports (P-RIG-2): asked for over the API or by an operator, built by a job into a sealed archive,
// downloadable until the link expires, then deleted. The build reads the person's rows in short
// keyset-paged transactions straight into the zip, the zip straight into the streaming seal, and
// the seal straight into the file: memory stays flat whatever the account holds.
import { sql, type Kysely, type Transaction } from 'kysely';
import { INSTANCE_CHAIN, type AuditTrail } from '../audit/index.ts';
import type { Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { afterCommit } from '../db/transaction.ts';
import { withTenant } from '../db/tenant.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Outbox } from '../mail/index.ts';
import type { BuildProgress, ExportBuilder } from './export-build.ts';
import type { ExportFiles } from './export-files.ts';
import { RIGHTS_EXPORT } from './jobs.ts';
import { keepLease, leaseFree, leaseWait, newLease } from './lease.ts';
import type { Register } from './register.ts';
import type { ExportStatus, RequestSource, RightsTables } from './tables.ts';

/** After this many failed builds an export is failed for good (and its request answered as failed). */
const MAX_ATTEMPTS = 3;
/** Progress is written at most this often: one short UPDATE, not one per page. */
const PROGRESS_EVERY_MS = 500;

export interface ExportView {
  id: string;
  status: ExportStatus;
  progress: number;
  createdAt: Date;
  readyAt: Date | null;
  expiresAt: Date | null;
  bytes: number | null;
  downloadUrl: string | null;
}

export interface ExportsDeps {
  db: Kysely<RightsTables>;
  audit: AuditTrail;
  queue: Pick<JobQueue, 'enqueue'>;
  mail: Pick<Outbox, 'queue'>;
  files: ExportFiles;
  /** Where and how an attempt's archive is built (export-build.ts). */
  build: ExportBuilder;
  register: Register;
  clock: Clock;
  log: Logger;
  publicUrl: URL;
  /** How long a ready archive may be downloaded. */
  ttlSeconds: number;
}

export class Exports {
  readonly #deps: ExportsDeps;
  readonly #db: Kysely<RightsTables>;

  constructor(deps: ExportsDeps) {
    this.#deps = deps;
    this.#db = deps.db;
  }

  /**
   * Records the request and queues the build (unless the caller builds it itself: the CLI). A
   * person has one export in the making at a time: asking again answers with it.
   */
  async request(personId: string, source: RequestSource, options: { enqueue?: boolean } = {}): Promise<ExportView> {
    const unfinished = await this.#unfinished(personId);
    if (unfinished) return unfinished;
    const erasing = await this.#db.selectFrom('erasures').select('request_id').where('person_id', '=', personId).where('status', 'in', ['scheduled', 'running']).executeTakeFirst();
    if (erasing) throw new AppError('conflict', 'your account is being erased: cancel the erasure to export your data');
    const id = newId();
    const now = this.#deps.clock.now();
    try {
      await withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
        const requestId = await this.#deps.register.receive(trx, { personId, kind: 'export', source });
        await trx.insertInto('exports').values({
          id, person_id: personId, request_id: requestId, status: 'queued', progress: 0, bytes: null, attempts: 0,
          lease_until: null, created_at: now, ready_at: null, expires_at: new Date(now.getTime() + this.#deps.ttlSeconds * 1000),
        }).execute();
        await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'export.requested', actorId: personId, targetType: 'export', targetId: id, details: { source } });
        if (options.enqueue !== false) await this.#deps.queue.enqueue(trx, RIGHTS_EXPORT, { exportId: id });
      });
    } catch (err) {
      // Asked twice at once: the unique index on unfinished exports lets one in; both get it.
      const existing = isUniqueViolation(err) ? await this.#unfinished(personId) : null;
      if (existing) return existing;
      throw err;
    }
    return this.get(personId, id);
  }

  async #unfinished(personId: string): Promise<ExportView | null> {
    const row = await this.#db.selectFrom('exports').selectAll().where('person_id', '=', personId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
    return row ? this.#view(row) : null;
  }

  async get(personId: string, id: string): Promise<ExportView> {
    const row = await this.#db.selectFrom('exports').selectAll().where('id', '=', id).where('person_id', '=', personId).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such export');
    return this.#view(row);
  }

  async list(personId: string): Promise<ExportView[]> {
    const rows = await this.#db.selectFrom('exports').selectAll().where('person_id', '=', personId).orderBy('created_at', 'desc').limit(50).execute();
    return rows.map((row) => this.#view(row));
  }

  #view(row: RightsTables['exports']): ExportView {
    // A link past its time is expired at once, before the sweep deletes the file.
    const expired = row.status === 'ready' && row.expires_at <= this.#deps.clock.now();
    const status = expired ? 'expired' : row.status;
    return {
      id: row.id, status, progress: row.progress, createdAt: row.created_at, readyAt: row.ready_at,
      expiresAt: status === 'ready' ? row.expires_at : null, bytes: row.bytes === null ? null : Number(row.bytes),
      downloadUrl: status === 'ready' ? new URL(`/v1/me/exports/${row.id}/archive`, this.#deps.publicUrl).toString() : null,
    };
  }

  /** The archive of a ready export, opened as it streams; 404 once expired or for anyone else. */
  async download(personId: string, id: string): Promise<{ stream: NodeJS.ReadableStream; createdAt: Date }> {
    const view = await this.get(personId, id);
    if (view.status !== 'ready') throw new AppError('not_found', 'this export is not ready, or its link expired');
    await withTenant(this.#db, INSTANCE_CHAIN, (trx) =>
      this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'export.downloaded', actorId: personId, targetType: 'export', targetId: id }));
    return { stream: await this.#deps.files.read(id, personId), createdAt: view.createdAt };
  }

  /**
   * Builds an export if nobody else is: claims the lease, streams the archive into its file, and
   * marks it ready. Returns false when another worker holds it, it is done, or it failed too often.
   */
  async run(id: string, onProgress?: (progress: number) => void): Promise<boolean> {
    const claimed = await this.#db.updateTable('exports')
      .set({ status: 'running', lease_until: newLease, attempts: sql<number>`attempts + 1`, progress: 0 })
      .where('id', '=', id).where('status', 'in', ['queued', 'running']).where('attempts', '<', MAX_ATTEMPTS).where(leaseFree)
      .returning(['person_id', 'request_id', 'attempts', 'created_at']).executeTakeFirst();
    if (!claimed) return false;
    const token = claimed.attempts;
    const lease = keepLease(this.#deps.db, 'exports', 'id', id, token);
    try {
      const bytes = await this.#build(id, token, claimed.person_id, claimed.created_at, lease.held, onProgress);
      await this.#ready(id, token, claimed.person_id, claimed.request_id, bytes);
      return true;
    } catch (err) {
      // A builder killed mid-write (its own process) could not remove what it wrote.
      this.#deps.files.discard(id, token);
      if (token >= MAX_ATTEMPTS) await this.#fail(id, token, claimed.person_id, claimed.request_id);
      else await lease.abandon();
      throw err;
    } finally {
      lease.release();
    }
  }

  async #build(id: string, token: number, personId: string, createdAt: Date, held: () => boolean, onProgress?: (progress: number) => void): Promise<number> {
    let reported = 0;
    const report = ({ written, total }: BuildProgress) => {
      const progress = total === 0 ? 1 : Math.min(written / total, 0.99);
      onProgress?.(progress);
      if (Date.now() - reported < PROGRESS_EVERY_MS) return;
      reported = Date.now();
      void this.#db.updateTable('exports').set({ progress }).where('id', '=', id).where('attempts', '=', token).where('status', '=', 'running').execute().catch(() => undefined);
    };
    await this.#deps.build({ exportId: id, attempt: token, personId, createdAt }, report, held);
    return this.#deps.files.commit(id, token, held);
  }

  async #ready(id: string, token: number, personId: string, requestId: string, bytes: number): Promise<void> {
    const now = this.#deps.clock.now();
    const expiresAt = new Date(now.getTime() + this.#deps.ttlSeconds * 1000);
    const person = await this.#db.selectFrom('people').select('email').where('id', '=', personId).executeTakeFirst();
    await withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
      const marked = await trx.updateTable('exports').set({ status: 'ready', progress: 1, bytes: String(bytes), ready_at: now, expires_at: expiresAt, lease_until: null })
        .where('id', '=', id).where('attempts', '=', token).where('status', '=', 'running').executeTakeFirst();
      if (Number(marked.numUpdatedRows) === 0) throw new AppError('conflict', 'the export was taken over by another worker');
      await this.#deps.register.close(trx, requestId, 'completed');
      await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'export.ready', actorId: personId, targetType: 'export', targetId: id, details: { bytes } });
      if (person) await this.#deps.mail.queue(trx, { template: 'export_ready', to: person.email, vars: { url: new URL('/v1/me/exports', this.#deps.publicUrl).toString(), expiresAt: expiresAt.toISOString() } });
    });
  }

  async #fail(id: string, token: number | null, personId: string, requestId: string): Promise<void> {
    const failed = await withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
      let update = trx.updateTable('exports').set({ status: 'failed', lease_until: null }).where('id', '=', id).where('status', 'in', ['queued', 'running']);
      if (token !== null) update = update.where('attempts', '=', token);
      if (Number((await update.executeTakeFirst()).numUpdatedRows) === 0) return false;
      await this.#deps.register.close(trx, requestId, 'failed');
      await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'export.failed', actorId: personId, targetType: 'export', targetId: id });
      return true;
    });
    // What its attempts left on disk goes with it (a killed attempt's part, or an archive put in
    // place before marking it ready failed): a failed export has no link whose expiry would.
    if (failed) this.#deps.files.delete(id);
  }

  /** Deletes the archives whose link expired. Returns how many. */
  async expireDue(): Promise<number> {
    const due = await this.#db.selectFrom('exports').select(['id', 'person_id']).where('status', '=', 'ready').where('expires_at', '<=', this.#deps.clock.now()).execute();
    for (const row of due) {
      this.#deps.files.delete(row.id);
      await withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
        await trx.updateTable('exports').set({ status: 'expired' }).where('id', '=', row.id).execute();
        await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'export.expired', actorId: row.person_id, targetType: 'export', targetId: row.id });
      });
    }
    return due.length;
  }

  /**
   * Queues again the exports nobody is building (their worker died), for when their lease lapses:
   * at start-up and each sweep. One whose builds keep dying (a process killed each time) fails.
   */
  async resumeAbandoned(): Promise<number> {
    const rows = await this.#db.selectFrom('exports').select(['id', 'person_id', 'request_id', 'attempts', leaseWait.as('wait')])
      .where('status', 'in', ['queued', 'running']).execute();
    for (const row of rows) {
      if (row.attempts >= MAX_ATTEMPTS && Number(row.wait) === 0) await this.#fail(row.id, null, row.person_id, row.request_id);
      else await this.#deps.queue.enqueue(this.#deps.db, RIGHTS_EXPORT, { exportId: row.id }, { startAfterSeconds: Math.ceil(Number(row.wait)) + 1 });
    }
    return rows.length;
  }

  /**
   * Erasure: every export of the person goes, in the caller's transaction; one not finished has
   * its request answered as cancelled. The files go once that transaction commits.
   */
  async deleteAllOf(trx: Transaction<RightsTables>, personId: string): Promise<void> {
    const rows = await trx.selectFrom('exports').select(['id', 'request_id', 'status']).where('person_id', '=', personId).execute();
    for (const row of rows) if (row.status === 'queued' || row.status === 'running') await this.#deps.register.close(trx, row.request_id, 'cancelled');
    await trx.deleteFrom('exports').where('person_id', '=', personId).execute();
    afterCommit(trx, () => {
      for (const row of rows) this.#deps.files.delete(row.id);
    });
  }
}
