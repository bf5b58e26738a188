// The job queue: pg-boss on custos's own runtime pool, so it runs on both engines (no LISTEN on
// the embedded one). Delivery is at least once: handlers must be idempotent. A job enqueued inside a
// transaction is written in that transaction and its worker is woken in-process after the commit,
// so it starts at once instead of at the next poll.
import { PgBoss, fromKysely } from 'pg-boss';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from '../core/log.ts';
import { serializeError } from '../core/log.ts';
import type { Database } from '../db/connect.ts';
import { afterCommit } from '../db/transaction.ts';
import { payloadProblems, type JobContract } from './contracts.ts';
import { JOB_SCHEMA, poolAdapter } from './schema.ts';

export interface JobInfo {
  id: string;
  retryCount: number;
}

export type JobHandler<P> = (payload: P, job: JobInfo) => Promise<void>;

export interface EnqueueOptions {
  /** At most one job with this key waits in the queue at a time (deduplication). */
  singletonKey?: string;
  startAfterSeconds?: number;
}

export interface JobQueueOptions {
  database: Database;
  log: Logger;
  /** The idle poll; wake-ups after commit make it matter only for work enqueued elsewhere. */
  pollingIntervalSeconds?: number;
  /** How often the (single) scheduler looks for cron jobs that are due. */
  cronIntervalSeconds?: number;
}

export class JobPayloadError extends Error {
  constructor(contract: string, problems: string[]) {
    super(`job ${contract}: ${problems.join('; ')}`);
    this.name = 'JobPayloadError';
  }
}

/** What pg-boss stores as a failed job's output: the error's type and code, never its message. */
class JobFailed extends Error {
  constructor(err: unknown) {
    const { type, code } = serializeError(err);
    super(`handler failed: ${type}${code ? ` (${code})` : ''}`);
    this.name = 'JobFailed';
  }
}

type AnyContract = JobContract<Record<string, unknown>>;

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #log: Logger;
  readonly #pollingIntervalSeconds: number;
  readonly #contracts = new Map<string, AnyContract>();
  readonly #handlers = new Map<string, JobHandler<Record<string, unknown>>>();
  readonly #workers = new Map<string, string>();
  #started = false;

  constructor(options: JobQueueOptions) {
    this.#log = options.log;
    this.#pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2;
    this.#boss = new PgBoss({
      db: poolAdapter(options.database.pool),
      schema: JOB_SCHEMA,
      migrate: false,
      supervise: true,
      schedule: true,
      cronWorkerIntervalSeconds: options.cronIntervalSeconds ?? 5,
      cronMonitorIntervalSeconds: options.cronIntervalSeconds ?? 30,
      backend: options.database.engine === 'pglite' ? 'pglite' : 'postgres',
    });
    this.#boss.on('error', (err) => this.#log.error({ err }, 'job queue error'));
  }

  /** Declares a job this server may enqueue. */
  declare<P extends Record<string, unknown>>(contract: JobContract<P>): this {
    if (this.#started) throw new Error('declare jobs before the queue starts');
    this.#contracts.set(contract.name, contract as unknown as AnyContract);
    return this;
  }

  /** Declares a job and handles it on this server. */
  handle<P extends Record<string, unknown>>(contract: JobContract<P>, handler: JobHandler<P>): this {
    this.declare(contract);
    this.#handlers.set(contract.name, handler as JobHandler<Record<string, unknown>>);
    return this;
  }

  async start(): Promise<void> {
    // Set first, so that stop() after a failed start still stops whatever did start.
    this.#started = true;
    await this.#boss.start();
    for (const contract of this.#contracts.values()) {
      const settings = {
        retryLimit: contract.retryLimit ?? 5,
        retryDelay: contract.retryDelaySeconds ?? 5,
        retryBackoff: true,
        ...(contract.retryDelayMaxSeconds === undefined ? {} : { retryDelayMax: contract.retryDelayMaxSeconds }),
        expireInSeconds: contract.expireInSeconds ?? 15 * 60,
      };
      await this.#boss.createQueue(contract.name, { ...settings, policy: contract.policy ?? 'standard' });
      // createQueue leaves a queue that exists as it was: the contract as it is now is written
      // over it, so that a release changing a job's retries changes them where it is deployed.
      await this.#boss.updateQueue(contract.name, settings);
      if (contract.schedule) await this.#boss.schedule(contract.name, contract.schedule, {});
      // createQueue evicts pg-boss's cached row of the queue, and the next send would look it up
      // through the pool: inside a caller's transaction on the embedded engine (one connection)
      // that lookup waits for the transaction itself. Any read by name fills the cache again.
      await this.#boss.getJobById(contract.name, '00000000-0000-0000-0000-000000000000');
    }
    for (const [name, handler] of this.#handlers) {
      const contract = this.#contracts.get(name)!;
      const workerId = await this.#boss.work(
        name,
        { pollingIntervalSeconds: this.#pollingIntervalSeconds, batchSize: 1 },
        async (jobs) => {
          for (const job of jobs) await this.#run(contract, handler, job);
        },
      );
      this.#workers.set(name, workerId);
    }
  }

  async #run(contract: AnyContract, handler: JobHandler<Record<string, unknown>>, job: { id: string; data: unknown; retryCount?: number }): Promise<void> {
    const started = performance.now();
    try {
      const payload = contract.payload.parse(job.data ?? {});
      await handler(payload, { id: job.id, retryCount: job.retryCount ?? 0 });
      this.#log.info({ job: contract.name, jobId: job.id, durationMs: Math.round(performance.now() - started) }, 'job done');
    } catch (err) {
      this.#log.warn({ job: contract.name, jobId: job.id, err }, 'job failed');
      throw new JobFailed(err);
    }
  }

  /**
   * Enqueues a job. Given a transaction, the job is written in it and the worker woken once it
   * commits; given the database itself, the job is written and the worker woken at once.
   */
  async enqueue<P extends Record<string, unknown>, S>(
    executor: Kysely<S> | Transaction<S>,
    contract: JobContract<P>,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<string | null> {
    if (!this.#contracts.has(contract.name)) throw new Error(`job ${contract.name} was not declared`);
    const parsed = contract.payload.parse(payload);
    const problems = payloadProblems(parsed);
    if (problems.length > 0) throw new JobPayloadError(contract.name, problems);
    const id = await this.#boss.send(contract.name, parsed, {
      db: fromKysely(executor),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
    });
    afterCommit(executor, () => this.wake(contract.name));
    return id;
  }

  /** Makes this server's worker for the queue look for work now. */
  wake(name: string): void {
    const workerId = this.#workers.get(name);
    if (workerId) this.#boss.notifyWorker(workerId);
  }

  /** Stops taking work; jobs in progress finish first (up to the timeout). */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#boss.stop({ graceful: true, timeout: timeoutMs });
  }
}
