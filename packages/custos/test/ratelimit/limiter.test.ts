// One suite, both stores: Postgres (on this run's engine) and Redis (127.0.0.1:6379, under a key
// prefix of this run's own, so that runs never meet).
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { openDatabase, type Database } from '../../src/db/connect.ts';
import { createRateLimiter, enforceRateLimit, RATE_LIMITS_TABLE, type RateLimiter, type RateRule } from '../../src/ratelimit/index.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

const REDIS_URL = process.env.CUSTOS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_PREFIX = `custos-test:${crypto.randomBytes(6).toString('hex')}`;

const handle = useMigratedRuntime();
const logs = new LogCapture();
const log = createLogger({ level: 'info', destination: logs });
const secret = crypto.randomBytes(32);
const limiters: RateLimiter[] = [];
const extraDatabases: Database[] = [];
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const limiter of limiters) await limiter.close();
  for (const database of extraDatabases) await database.close();
  const keys = await redis.keys(`${REDIS_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

type StoreKind = 'postgres' | 'redis';

/** One "server": a limiter of its own; for Postgres, on `database` (the runtime pool by default). */
async function server(store: StoreKind, database: Database = handle.runtime): Promise<RateLimiter> {
  const limiter = await createRateLimiter({
    pool: database.pool,
    redisUrl: store === 'redis' ? REDIS_URL : undefined,
    secret,
    log,
    redisKeyPrefix: REDIS_PREFIX,
  });
  limiters.push(limiter);
  return limiter;
}

/** Every key the store holds for this run. */
async function storedKeys(store: StoreKind): Promise<string[]> {
  if (store === 'redis') return (await redis.keys(`${REDIS_PREFIX}:*`)).map((key) => key.slice(REDIS_PREFIX.length + 1));
  const { rows } = await handle.runtime.pool.query<{ key: string }>(`select key from ${RATE_LIMITS_TABLE}`);
  return rows.map((row) => row.key);
}

/** Rules of their own for each test, so that tests on one store never share counters. */
let ruleCount = 0;
function rule(points: number, durationSeconds: number): RateRule {
  ruleCount += 1;
  return { name: `test.rule-${ruleCount}`, points, durationSeconds };
}

async function countAllowed(limiter: RateLimiter, r: RateRule, subject: string, times: number): Promise<number> {
  const decisions = await Promise.all(Array.from({ length: times }, () => limiter.consume(r, subject)));
  return decisions.filter((decision) => decision.allowed).length;
}

describe.each<StoreKind>(['postgres', 'redis'])(`rate limiter on %s (database engine ${ENGINE})`, (store) => {
  it('P-KEY-2: N requests are allowed, the next is refused with a Retry-After, and the window ends', async () => {
    const limiter = await server(store);
    const r = rule(3, 1);
    const started = Date.now();
    expect(await limiter.consume(r, '198.51.100.1')).toEqual({ allowed: true, remaining: 2 });
    expect(await limiter.consume(r, '198.51.100.1')).toEqual({ allowed: true, remaining: 1 });
    expect(await limiter.consume(r, '198.51.100.1')).toEqual({ allowed: true, remaining: 0 });
    const refused = await limiter.consume(r, '198.51.100.1');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Refused again while the window lasts (from this process's memory, or the store).
    expect((await limiter.consume(r, '198.51.100.1')).allowed).toBe(false);
    await sleep(Math.max(0, started + 1200 - Date.now()));
    expect(await limiter.consume(r, '198.51.100.1')).toEqual({ allowed: true, remaining: 2 });
  });

  it('P-KEY-2: Retry-After counts the seconds left in the window', async () => {
    const limiter = await server(store);
    const r = rule(1, 60);
    await limiter.consume(r, 'key_0123456789');
    const refused = await limiter.consume(r, 'key_0123456789');
    if (refused.allowed) throw new Error('expected a refusal');
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('P-KEY-2: two servers on the same store share one count', async () => {
    let database = handle.runtime;
    // Two servers on Postgres have two pools; the embedded engine admits one, so they share it there.
    if (store === 'postgres' && ENGINE === 'postgres') {
      database = await openDatabase(handle.testDb.config, 'runtime');
      extraDatabases.push(database);
    }
    const a = await server(store);
    const b = await server(store, database);
    const r = rule(4, 60);
    expect(await countAllowed(a, r, 'bob@example.org', 2)).toBe(2);
    expect(await countAllowed(b, r, 'bob@example.org', 2)).toBe(2);
    expect(await b.consume(r, 'bob@example.org')).toMatchObject({ allowed: false });
    expect(await a.consume(r, 'bob@example.org')).toMatchObject({ allowed: false });
  });

  it('P-KEY-2: of 50 concurrent requests with 20 points, exactly 20 are allowed', async () => {
    const limiter = await server(store);
    const r = rule(20, 60);
    expect(await countAllowed(limiter, r, '192.0.2.50', 50)).toBe(20);
  });

  it('P-KEY-2: of 50 concurrent requests on two servers with 20 points, exactly 20 are allowed', async () => {
    const a = await server(store);
    const b = await server(store);
    const r = rule(20, 60);
    const [fromA, fromB] = await Promise.all([countAllowed(a, r, '192.0.2.51', 25), countAllowed(b, r, '192.0.2.51', 25)]);
    expect(fromA + fromB).toBe(20);
  });

  it('P-KEY-2: stored keys are HMACs: no email address or IP address is stored in clear', async () => {
    const limiter = await server(store);
    const email = 'alice.planted@example.com';
    const ip = '203.0.113.77';
    const byEmail = rule(5, 60);
    const byIp = rule(5, 60);
    await limiter.consume(byEmail, email);
    await limiter.consume(byIp, ip);
    const keys = await storedKeys(store);
    const hmac = (subject: string): string =>
      crypto.createHmac('sha256', secret).update(subject).digest().subarray(0, 24).toString('base64url');
    expect(keys).toContain(`${byEmail.name}:${hmac(email)}`);
    expect(keys).toContain(`${byIp.name}:${hmac(ip)}`);
    const stored = keys.join('\n');
    for (const fragment of [email, 'alice', 'example.com', ip, '203.0.113']) expect(stored).not.toContain(fragment);
    for (const key of keys) expect(key).toMatch(/^[a-z][a-z0-9._-]*:[A-Za-z0-9_-]{32}$/);
    // Nor does anything the limiter logged.
    expect(logs.text()).not.toContain('alice');
    expect(logs.text()).not.toContain('203.0.113');
  });

  it('P-KEY-2: rules and subjects count independently', async () => {
    const limiter = await server(store);
    const signin = rule(1, 60);
    const signup = rule(1, 60);
    expect((await limiter.consume(signin, 'carol@example.net')).allowed).toBe(true);
    expect((await limiter.consume(signin, 'carol@example.net')).allowed).toBe(false);
    // Another rule, same subject; same rule, another subject: both untouched.
    expect((await limiter.consume(signup, 'carol@example.net')).allowed).toBe(true);
    expect((await limiter.consume(signin, 'dave@example.net')).allowed).toBe(true);
  });

  it('P-KEY-2: enforceRateLimit passes allowed requests and throws rate_limited (429) with retryAfterSeconds', async () => {
    const limiter = await server(store);
    const r = rule(2, 30);
    expect(await enforceRateLimit(limiter, r, 'key_enforce')).toBe(1);
    expect(await enforceRateLimit(limiter, r, 'key_enforce')).toBe(0);
    await expect(enforceRateLimit(limiter, r, 'key_enforce')).rejects.toMatchObject({
      code: 'rate_limited',
      status: 429,
      details: { retryAfterSeconds: expect.any(Number) },
    });
  });

  it('one rule name with two different limits is a programming error', async () => {
    const limiter = await server(store);
    const r = rule(5, 60);
    await limiter.consume(r, 'erin@example.net');
    await expect(limiter.consume({ ...r, points: 6 }, 'erin@example.net')).rejects.toThrow(/two different limits/);
  });

  it('a closed limiter refuses to answer rather than guess', async () => {
    const limiter = await server(store);
    await limiter.close();
    await expect(limiter.consume(rule(5, 60), 'frank@example.net')).rejects.toThrow(/closed/);
  });
});
