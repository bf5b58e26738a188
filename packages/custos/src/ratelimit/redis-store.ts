// The store for several servers behind a load balancer: counters in Redis (REDIS_URL), shared by
// every server, through rate-limiter-flexible's RateLimiterRedis on an ioredis client. A consume is
// one Lua script (SET NX with the window's TTL, INCRBY, PTTL): atomic on the Redis server.
//
// When Redis is unavailable: each server falls back to an in-memory limiter with the same rule
// (the library's insuranceLimiter) and logs one warning per outage, then one line when Redis is
// back. We chose this over failing closed because refusing every sign-in while Redis is down would
// hand anyone who can disrupt Redis a lockout of every user; we chose it over failing open because
// the limits still hold per process: during an outage a subject gets at most `points` per server
// instead of `points` overall. The client is set up so that fallback is immediate and counts stay
// honest:
// - enableOfflineQueue false, rejectIfRedisNotReady: while disconnected, a consume goes straight to
//   memory instead of waiting in a queue (and landing, late, in another window);
// - autoResendUnfulfilledCommands false, maxRetriesPerRequest 0: a script in flight when the
//   connection drops is not sent again after reconnecting (INCRBY is not idempotent);
// - commandTimeout: a Redis that hangs rather than refuses costs a request this long, no more.
// Log lines carry the error's type and code only: never the URL (it may hold a password), never a key.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Logger } from '../core/log.ts';
import type { LimiterStore, RateRule, RuleLimiter } from './limiter.ts';

export const DEFAULT_REDIS_KEY_PREFIX = 'custos:ratelimit';
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

type MemoryOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/** The per-process limiter used while Redis is unavailable; tells its owner when it is used. */
class InsuranceLimiter extends RateLimiterMemory {
  readonly #onUse: () => void;

  constructor(options: MemoryOptions, onUse: () => void) {
    super(options);
    this.#onUse = onUse;
  }

  // The library calls consume() on its insurance only after the Redis call failed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override consume(key: string | number, points?: number, options?: { [key: string]: any }) {
    this.#onUse();
    return super.consume(key, points, options);
  }
}

export interface RedisStoreOptions {
  url: string;
  log: Pick<Logger, 'warn' | 'info'>;
  /** Namespace of every key in Redis; several custos instances may share one Redis. */
  keyPrefix?: string;
}

/**
 * Connects and waits for Redis to be ready, at most REDIS_CONNECT_TIMEOUT_MS or until the first
 * connection error: a server starts even when Redis is down (on the in-memory fallback), and
 * the client keeps reconnecting in the background.
 */
export async function redisStore(options: RedisStoreOptions): Promise<LimiterStore> {
  const { log } = options;
  const keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    connectionName: 'custos-ratelimit',
  });

  let degraded = false;
  let closed = false;
  const degrade = (err?: unknown): void => {
    if (degraded || closed) return;
    degraded = true;
    log.warn({ err, store: 'redis' }, 'redis is unavailable: rate limits are counted per server, in memory, until it returns');
  };
  // Without a listener ioredis prints every connection error to the console.
  client.on('error', (err: unknown) => degrade(err));
  client.on('ready', () => {
    if (!degraded || closed) return;
    degraded = false;
    log.info({ store: 'redis' }, 'redis is available again: rate limits are shared across servers');
  });
  await firstConnection(client);
  if (client.status !== 'ready') degrade();

  return {
    limiterFor(rule: RateRule): RuleLimiter {
      const limits = { points: rule.points, duration: rule.durationSeconds, keyPrefix };
      return new RateLimiterRedis({
        ...limits,
        storeClient: client,
        useRedisPackage: false,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new InsuranceLimiter(limits, () => degrade()),
        // As for Postgres: a refused subject is refused from memory until its window ends.
        inMemoryBlockOnConsumed: rule.points + 1,
      });
    },
    async close() {
      closed = true;
      if (client.status === 'ready') {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },
  };
}

async function firstConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, REDIS_CONNECT_TIMEOUT_MS);
    client.on('ready', done);
    client.on('error', done);
  });
}
