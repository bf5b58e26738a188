// The Postgres store's own duties: the cleanup of expired counters, the pool (one connection on
// the embedded engine, and here on both), and the table's grants.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { createRateLimiter, deleteExpired, RATE_LIMITS_TABLE, type RateLimiter } from '../../src/ratelimit/index.ts';
import { CLEANUP_GRACE_MS, CLEANUP_INTERVAL_MS } from '../../src/ratelimit/postgres-store.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

// A pool of one connection with a short acquisition timeout, on both engines: what the embedded
// engine always has.
const handle = useMigratedRuntime({ dbPoolSize: 1, dbAcquireTimeoutMs: 500 });
const log = createLogger({ level: 'info', destination: new LogCapture() });
const secret = crypto.randomBytes(32);

let limiter: RateLimiter | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await limiter?.close();
  limiter = undefined;
});

async function postgresLimiter(): Promise<RateLimiter> {
  limiter = await createRateLimiter({ pool: handle.runtime.pool, secret, log });
  return limiter;
}

async function keys(): Promise<string[]> {
  const { rows } = await handle.runtime.pool.query<{ key: string }>(`select key from ${RATE_LIMITS_TABLE} order by key`);
  return rows.map((row) => row.key);
}

async function insertCounter(key: string, expire: number): Promise<void> {
  await handle.runtime.pool.query(`insert into ${RATE_LIMITS_TABLE} (key, points, expire) values ($1, 1, $2)`, [key, expire]);
}

describe(`rate limiter's Postgres store on ${ENGINE}`, () => {
  it('P-KEY-2: deleteExpired removes the counters whose window ended and keeps the others', async () => {
    const rl = await postgresLimiter();
    await rl.consume({ name: 'cleanup.short', points: 5, durationSeconds: 1 }, '198.51.100.9');
    await rl.consume({ name: 'cleanup.long', points: 5, durationSeconds: 60 }, '198.51.100.9');
    await sleep(1100);
    // Within the grace period the cleanup leaves the ended window alone.
    expect(await deleteExpired(handle.runtime.pool, Date.now() - CLEANUP_GRACE_MS)).toBe(0);
    expect(await deleteExpired(handle.runtime.pool)).toBe(1);
    const left = await keys();
    expect(left.filter((key) => key.startsWith('cleanup.'))).toEqual([expect.stringMatching(/^cleanup\.long:/)]);
    // A subject whose counter was deleted starts a new window.
    expect(await rl.consume({ name: 'cleanup.short', points: 5, durationSeconds: 1 }, '198.51.100.9')).toEqual({ allowed: true, remaining: 4 });
  });

  it('P-KEY-2: deleteExpired works in batches until nothing expired is left', async () => {
    const ended = Date.now() - 1000;
    await handle.runtime.pool.query(
      `insert into ${RATE_LIMITS_TABLE} (key, points, expire) select 'batch.old:' || i, 1, $1 from generate_series(1, 2500) as i`,
      [ended],
    );
    expect(await deleteExpired(handle.runtime.pool)).toBeGreaterThanOrEqual(2500);
    expect((await keys()).filter((key) => key.startsWith('batch.'))).toEqual([]);
  });

  it('P-KEY-2: a running limiter deletes counters that ended over a minute ago, every five minutes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await postgresLimiter();
    await insertCounter('timer.old:x', Date.now() - CLEANUP_GRACE_MS - 5000);
    await insertCounter('timer.recent:x', Date.now() - 5000);
    vi.advanceTimersByTime(CLEANUP_INTERVAL_MS);
    await vi.waitFor(async () => expect(await keys()).not.toContain('timer.old:x'), { timeout: 5000, interval: 50 });
    expect(await keys()).toContain('timer.recent:x');
  });

  it('consume holds no connection between statements: a caller can use the only one in between', async () => {
    const rl = await postgresLimiter();
    const r = { name: 'pool.shared', points: 100, durationSeconds: 60 };
    const caller = async (): Promise<void> => {
      const client = await handle.runtime.pool.connect();
      try {
        await client.query('begin');
        await client.query('select 1');
        await client.query('commit');
      } finally {
        client.release();
      }
    };
    const work = await Promise.all([
      ...Array.from({ length: 30 }, () => rl.consume(r, '192.0.2.9')),
      ...Array.from({ length: 5 }, caller),
    ]);
    expect(work.filter((result) => result && typeof result === 'object' && result.allowed)).toHaveLength(30);
    expect(handle.runtime.pool.waitingCount).toBe(0);
    expect(handle.runtime.pool.idleCount).toBe(handle.runtime.pool.totalCount);
  });

  it('a consume while the caller holds the only connection fails loudly (database_busy), not forever', async () => {
    const rl = await postgresLimiter();
    const r = { name: 'pool.held', points: 5, durationSeconds: 60 };
    const held = await handle.runtime.pool.connect();
    try {
      await expect(rl.consume(r, '192.0.2.10')).rejects.toMatchObject({ code: 'database_busy' });
    } finally {
      held.release();
    }
    // Nothing was counted by the failed consume, and the limiter answers again.
    expect(await rl.consume(r, '192.0.2.10')).toEqual({ allowed: true, remaining: 4 });
  });

  it('the runtime may only read and write counters: the library never creates or alters the table', async () => {
    const { rows } = await handle.runtime.pool.query<{ privilege_type: string }>(
      `select privilege_type from information_schema.role_table_grants
        where table_name = $1 and grantee = 'custos_runtime' order by 1`,
      [RATE_LIMITS_TABLE],
    );
    expect(rows.map((row) => row.privilege_type)).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    await expect(handle.runtime.pool.query(`create table if not exists rate_limits_probe (key text)`)).rejects.toMatchObject({ code: '42501' });
    const columns = await handle.runtime.pool.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = $1 order by ordinal_position`,
      [RATE_LIMITS_TABLE],
    );
    // A global table: no tenant_id, hence no row-level security to keep.
    expect(columns.rows.map((row) => row.column_name)).toEqual(['key', 'points', 'expire']);
  });
});
