// Leased points (hot rules): fewer writes to the shared store, never a request beyond the limit,
// and at most about one lease refused early per server.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { createRateLimiter, RATE_LIMITS_TABLE, type RateLimiter } from '../../src/ratelimit/index.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

const handle = useMigratedRuntime();
const log = createLogger({ level: 'info', destination: new LogCapture() });
const secret = crypto.randomBytes(32);
const limiters: RateLimiter[] = [];
afterAll(async () => {
  for (const limiter of limiters) await limiter.close();
});

async function server(): Promise<RateLimiter> {
  const limiter = await createRateLimiter({ pool: handle.runtime.pool, secret, log });
  limiters.push(limiter);
  return limiter;
}

describe(`leased rate-limit points on ${ENGINE}`, () => {
  it('P-KEY-2: one server with leases admits exactly the limit, writing once per lease', async () => {
    const limiter = await server();
    const rule = { name: 'lease.one', points: 100, durationSeconds: 60, leaseSize: 10 };
    const decisions = await Promise.all(Array.from({ length: 150 }, () => limiter.consume(rule, 'key-1')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    const refused = decisions.find((d) => !d.allowed);
    expect(refused && !refused.allowed && refused.retryAfterSeconds).toBeGreaterThan(0);
    // The store saw leases, not one write per request: its count is the points taken.
    const { rows } = await handle.runtime.pool.query<{ points: number }>(`select points from ${RATE_LIMITS_TABLE} where key like 'lease.one:%'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.points).toBeGreaterThanOrEqual(100);
  });

  it('P-KEY-2: two servers leasing from one store never admit more than the limit together', async () => {
    const a = await server();
    const b = await server();
    const rule = { name: 'lease.two', points: 100, durationSeconds: 60, leaseSize: 10 };
    const attempts = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a : b).consume(rule, 'key-2'));
    const allowed = (await Promise.all(attempts)).filter((d) => d.allowed).length;
    expect(allowed).toBeLessThanOrEqual(100);
    // Each server may hold back, or spend on a refused lease request, at most about one lease.
    expect(allowed).toBeGreaterThanOrEqual(100 - 2 * 10);
  });

  it('P-KEY-2: near the limit a server takes single points instead of leases it knows are not there', async () => {
    const limiter = await server();
    const rule = { name: 'lease.tail', points: 25, durationSeconds: 60, leaseSize: 10 };
    let allowed = 0;
    for (let i = 0; i < 40; i += 1) if ((await limiter.consume(rule, 'key-3')).allowed) allowed += 1;
    expect(allowed).toBe(25);
  });
});
