// The default store: counters in Postgres (the rate_limits table of migration 0007), so that every
// server on one database shares them, on the runtime pool.
//
// rate-limiter-flexible's RateLimiterPostgres is safe on custos's pool, configured as below:
// - storeType 'pool': each operation is one pool.query() (pg-pool takes a connection for that one
//   statement and gives it back), so the limiter never holds a connection across an await. On the
//   embedded engine (a pool of ONE connection) a consume made while the caller holds that
//   connection cannot deadlock silently either: it fails after the pool's acquisition timeout with
//   database_busy (pool.ts). Callers consume before they open a transaction.
// - a consume is one atomic `INSERT … ON CONFLICT (key) DO UPDATE … RETURNING points, expire`, so
//   concurrent requests on any number of servers count exactly (the row lock serialises them).
// - tableCreated: true, because the migration owns the table and the runtime role may not create one.
// - clearExpiredByTimeout: false, because the library's own timer can never be stopped (it keeps
//   querying a closed pool every five minutes for the life of the process); the timer below runs
//   deleteExpired() and stops with close().
// Store errors (the database is down or busy) propagate: no insurance limiter, i.e. fail closed.
// Without its database custos answers nothing anyway, and a per-process counter would be weaker.
import type pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Logger } from '../core/log.ts';
import type { LimiterStore, RateRule, RuleLimiter } from './limiter.ts';

export const RATE_LIMITS_TABLE = 'rate_limits';
export const CLEANUP_INTERVAL_MS = 5 * 60_000;
// Rows are removed a minute after their window ended, so that a server whose clock runs ahead
// cannot delete a window that another server still counts in.
export const CLEANUP_GRACE_MS = 60_000;
const CLEANUP_BATCH = 1000;

export type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Deletes the counters whose window ended before `before` (ms since the epoch), in small batches
 * (one statement each, so no lock or connection is held for long). Returns how many it deleted.
 * Idempotent and safe on several servers at once.
 */
export async function deleteExpired(pool: Queryable, before: number = Date.now()): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await pool.query(
      `DELETE FROM ${RATE_LIMITS_TABLE} WHERE key IN (
         SELECT key FROM ${RATE_LIMITS_TABLE} WHERE expire < $1 LIMIT ${CLEANUP_BATCH}
       )`,
      [before],
    );
    const count = result.rowCount ?? 0;
    deleted += count;
    if (count < CLEANUP_BATCH) return deleted;
  }
}

export function postgresStore(pool: pg.Pool, log: Pick<Logger, 'warn'>): LimiterStore {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deleteExpired(pool, Date.now() - CLEANUP_GRACE_MS)
      .catch((err: unknown) => log.warn({ err, store: 'postgres' }, 'deleting expired rate-limit counters failed; the next run retries'))
      .finally(() => {
        running = false;
      });
  }, CLEANUP_INTERVAL_MS);
  // The cleanup alone must not keep a process alive.
  timer.unref();

  return {
    limiterFor(rule: RateRule): RuleLimiter {
      return new RateLimiterPostgres({
        storeClient: pool,
        // CustosPool's class name is not one the library recognises as a pg Pool.
        storeType: 'pool',
        tableName: RATE_LIMITS_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        // The key already starts with the rule's name (limiter.ts).
        keyPrefix: '',
        points: rule.points,
        duration: rule.durationSeconds,
        // Once a subject is refused, this process refuses it from memory until its window ends,
        // without a write per request: a brute-force burst costs the database nothing more.
        inMemoryBlockOnConsumed: rule.points + 1,
      });
    },
    async close() {
      clearInterval(timer);
    },
  };
}
