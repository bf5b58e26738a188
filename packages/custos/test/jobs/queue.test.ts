import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrate } from '../../src/app.ts';
import { createLogger } from '../../src/core/log.ts';
import { newId } from '../../src/core/ids.ts';
import { openDatabase, type Database } from '../../src/db/connect.ts';
import { transaction } from '../../src/db/transaction.ts';
import { defineJob, payloadProblems } from '../../src/jobs/contracts.ts';
import { JobPayloadError, JobQueue } from '../../src/jobs/queue.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

let testDb: TestDatabase;
let database: Database;
const logs = new LogCapture();
const log = createLogger({ level: 'info', destination: logs });
const queues: JobQueue[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  await migrate(testDb.config, { logDestination: logs });
  database = await openDatabase(testDb.config, 'runtime');
});
afterAll(async () => {
  for (const queue of queues) await queue.stop(2000);
  await database?.close();
  await testDb?.drop();
});

function queue(options: { pollingIntervalSeconds?: number; cronIntervalSeconds?: number } = {}): JobQueue {
  const q = new JobQueue({ database, log, ...options });
  queues.push(q);
  return q;
}

/** Resolves when `count` calls have been seen; the test's timeout is the bound. */
function collector<T>(count: number): { seen: T[]; add(item: T): void; done: Promise<void> } {
  const seen: T[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { seen, add: (item) => { seen.push(item); if (seen.length >= count) resolve(); }, done };
}

const ref = z.object({ thingId: z.uuid() });

describe(`job queue on ${ENGINE}`, () => {
  it('a job enqueued in a transaction runs after the commit, woken in-process instead of waiting for the poll', async () => {
    const job = defineJob({ name: 'test.wake', payload: ref });
    const runs = collector<string>(2);
    // A 60 s idle poll: the jobs can only start within this test's time if the wake-up works.
    const q = queue({ pollingIntervalSeconds: 60 }).handle(job, async (payload) => runs.add(payload.thingId));
    await q.start();
    const first = newId();
    const second = newId();
    await transaction(database.db, (trx) => q.enqueue(trx, job, { thingId: first }));
    await q.enqueue(database.db, job, { thingId: second });
    await runs.done;
    expect(runs.seen.sort()).toEqual([first, second].sort());
  }, 20_000);

  it('a job enqueued in a transaction that rolls back never exists', async () => {
    const job = defineJob({ name: 'test.rollback', payload: ref });
    const ran: string[] = [];
    const q = queue({ pollingIntervalSeconds: 0.5 }).handle(job, async (payload) => { ran.push(payload.thingId); });
    await q.start();
    let jobId: string | null = null;
    await expect(transaction(database.db, async (trx) => {
      jobId = await q.enqueue(trx, job, { thingId: newId() });
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await database.pool.query('select count(*)::int as n from custos_jobs.job where id = $1', [jobId]);
    expect(rows[0]).toEqual({ n: 0 });
    expect(ran).toEqual([]);
  });

  it('a failing job is retried with backoff until it succeeds', async () => {
    const job = defineJob({ name: 'test.flaky', payload: ref, retryLimit: 3, retryDelaySeconds: 1 });
    const attempts = collector<number>(3);
    const q = queue({ pollingIntervalSeconds: 0.5 }).handle(job, async (_payload, info) => {
      attempts.add(info.retryCount);
      if (info.retryCount < 2) throw new Error(`transient failure mentioning secret-${info.retryCount}`);
    });
    await q.start();
    await q.enqueue(database.db, job, { thingId: newId() });
    await attempts.done;
    expect(attempts.seen).toEqual([0, 1, 2]);
  }, 20_000);

  it('a job’s retries wait no longer than its contract’s cap', async () => {
    const job = defineJob({ name: 'test.capped', payload: ref, retryLimit: 40, retryDelaySeconds: 5, retryDelayMaxSeconds: 300 });
    const q = queue({ pollingIntervalSeconds: 0.5 });
    q.declare(job);
    await q.start();
    const id = await q.enqueue(database.db, job, { thingId: newId() });
    const { rows } = await database.pool.query('select retry_limit, retry_delay, retry_backoff, retry_delay_max from custos_jobs.job where id = $1', [id]);
    expect(rows[0]).toEqual({ retry_limit: 40, retry_delay: 5, retry_backoff: true, retry_delay_max: 300 });
  });

  it('a queue created by an earlier release takes the contract’s retries as they are now', async () => {
    const before = defineJob({ name: 'test.changed', payload: ref, retryLimit: 5 });
    const earlier = queue({ pollingIntervalSeconds: 0.5 });
    earlier.declare(before);
    await earlier.start();
    await earlier.stop();
    const after = defineJob({ name: 'test.changed', payload: ref, retryLimit: 40, retryDelayMaxSeconds: 300 });
    const q = queue({ pollingIntervalSeconds: 0.5 });
    q.declare(after);
    await q.start();
    const id = await q.enqueue(database.db, after, { thingId: newId() });
    const { rows } = await database.pool.query('select retry_limit, retry_delay_max from custos_jobs.job where id = $1', [id]);
    expect(rows[0]).toEqual({ retry_limit: 40, retry_delay_max: 300 });
  });

  it('what is stored and logged of a failed job is its error type, never its message', async () => {
    const job = defineJob({ name: 'test.doomed', payload: ref, retryLimit: 0 });
    const failed = collector<string>(1);
    const q = queue({ pollingIntervalSeconds: 0.5 }).handle(job, async (payload) => {
      failed.add(payload.thingId);
      throw new Error(`could not process the prompt "secret-doomed-${payload.thingId}"`);
    });
    await q.start();
    const id = await q.enqueue(database.db, job, { thingId: newId() });
    await failed.done;
    let row: { state: string; output: string | null } | undefined;
    for (let i = 0; i < 50 && row?.state !== 'failed'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      row = (await database.pool.query(`select state, output::text as output from custos_jobs.job where id = $1`, [id])).rows[0];
    }
    expect(row?.state).toBe('failed');
    expect(row?.output).toContain('handler failed: Error');
    expect(row?.output).not.toContain('secret-doomed');
    expect(logs.text()).not.toContain('secret-doomed');
    expect(logs.text()).toContain('"job":"test.doomed"');
  }, 20_000);

  it('the same singleton key waits in the queue only once', async () => {
    const job = defineJob({ name: 'test.singleton', payload: ref, policy: 'short' });
    const q = queue();
    q.declare(job);
    await q.start();
    const thingId = newId();
    const first = await q.enqueue(database.db, job, { thingId }, { singletonKey: thingId, startAfterSeconds: 60 });
    const second = await q.enqueue(database.db, job, { thingId }, { singletonKey: thingId, startAfterSeconds: 60 });
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toBeNull();
  });

  it('a periodic job runs once per occurrence however many servers schedule it', async () => {
    // Keep the window inside one minute, so that exactly one occurrence falls due in it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const job = defineJob({ name: 'test.tick', payload: z.object({}), schedule: '* * * * *' });
    const ticks = collector<string>(1);
    const servers = ['one', 'two', 'three'].map((server) =>
      queue({ pollingIntervalSeconds: 0.5, cronIntervalSeconds: 1 }).handle(job, async () => ticks.add(server)),
    );
    await Promise.all(servers.map((server) => server.start()));
    await ticks.done;
    // Time for any duplicate to be sent and run: cron passes every second, polls every half second.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const server of servers) await server.stop(2000);
    expect(ticks.seen).toHaveLength(1);
  }, 40_000);

  it('a payload carries ids and short tokens only: free text is refused before it is written', async () => {
    const job = defineJob({ name: 'test.payload', payload: z.object({ thingId: z.string() }) });
    const q = queue();
    q.declare(job);
    await q.start();
    await expect(q.enqueue(database.db, job, { thingId: 'Dear Bob, my password is hunter2' })).rejects.toBeInstanceOf(JobPayloadError);
    expect(payloadProblems({ ids: [newId()], kind: 'export.zip', attempt: 2, dry: false })).toEqual([]);
    expect(payloadProblems({ note: 'a sentence with spaces' })).toEqual(['payload.note is not an id or a short token']);
  });
});
