// The factory: Redis when REDIS_URL is configured (servers share counters through it), otherwise
// Postgres on the runtime pool (servers share counters through their database).
import type pg from 'pg';
import type { Logger } from '../core/log.ts';
import { StoreRateLimiter, SubjectHasher, type RateLimiter } from './limiter.ts';
import { postgresStore } from './postgres-store.ts';
import { redisStore } from './redis-store.ts';

export interface RateLimiterOptions {
  /** The runtime pool (CustosPool); the limiter uses it one statement at a time and never closes it. */
  pool: pg.Pool;
  redisUrl?: string | undefined;
  /** The key of the subjects' HMACs, e.g. `await keystore.secret('instance:ratelimit')`. */
  secret: Buffer;
  log: Pick<Logger, 'warn' | 'info'>;
  /** Namespace of the keys in Redis (default 'custos:ratelimit'). */
  redisKeyPrefix?: string;
}

export async function createRateLimiter(options: RateLimiterOptions): Promise<RateLimiter> {
  // Checked before a store is opened, so that a bad secret leaves no connection or timer behind.
  const hasher = new SubjectHasher(options.secret);
  const store = options.redisUrl
    ? await redisStore({ url: options.redisUrl, log: options.log, keyPrefix: options.redisKeyPrefix })
    : postgresStore(options.pool, options.log);
  return new StoreRateLimiter(store, hasher);
}
