// The Redis store when Redis is not there: each server falls back to counting in its own memory,
// says so once (without subjects or the URL), and returns to Redis when it is back. The outage is
// real: a TCP proxy in front of the Redis on 127.0.0.1:6379 that the test stops and restarts.
import crypto from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { createRateLimiter, type RateLimiter } from '../../src/ratelimit/index.ts';
import { useMigratedRuntime } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

const REDIS = new URL(process.env.CUSTOS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const REDIS_PREFIX = `custos-test:${crypto.randomBytes(6).toString('hex')}`;
const handle = useMigratedRuntime();
const secret = crypto.randomBytes(32);
let redis: Redis;
let limiter: RateLimiter | undefined;

beforeAll(() => {
  redis = new Redis(REDIS.toString());
});
afterEach(async () => {
  await limiter?.close();
  limiter = undefined;
});
afterAll(async () => {
  const keys = await redis.keys(`${REDIS_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** A TCP proxy to the test Redis that can be cut (every connection dropped) and restored. */
class Proxy {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  async start(): Promise<void> {
    const server = net.createServer((inbound) => {
      const outbound = net.connect(Number(REDIS.port || 6379), REDIS.hostname);
      for (const socket of [inbound, outbound]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function consumeTimes(rl: RateLimiter, times: number, subject: string, rule: { name: string; points: number; durationSeconds: number }) {
  const decisions = [];
  for (let i = 0; i < times; i += 1) decisions.push((await rl.consume(rule, subject)).allowed);
  return decisions;
}

describe('rate limiter on redis, when redis is unavailable', () => {
  it('P-KEY-2: with Redis unreachable from the start, limits still hold per server, and one warning says so', async () => {
    const logs = new LogCapture();
    const port = await freePort();
    const started = Date.now();
    limiter = await createRateLimiter({
      pool: handle.runtime.pool,
      redisUrl: `redis://:planted-redis-password@127.0.0.1:${port}`,
      secret,
      log: createLogger({ level: 'info', destination: logs }),
      redisKeyPrefix: REDIS_PREFIX,
    });
    // The server starts without waiting for Redis to come up.
    expect(Date.now() - started).toBeLessThan(1500);
    const rule = { name: 'outage.start', points: 3, durationSeconds: 60 };
    expect(await consumeTimes(limiter, 5, 'grace@example.org', rule)).toEqual([true, true, true, false, false]);
    const warnings = logs.records().filter((record) => record.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ store: 'redis', msg: expect.stringMatching(/per server, in memory/) });
    for (const secretText of ['grace', 'planted-redis-password', String(port)]) expect(logs.text()).not.toContain(secretText);
  });

  it('P-KEY-2: during an outage a server counts in memory; when Redis returns, it counts in Redis again', async () => {
    const logs = new LogCapture();
    const proxy = new Proxy();
    await proxy.start();
    try {
      limiter = await createRateLimiter({
        pool: handle.runtime.pool,
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
        secret,
        log: createLogger({ level: 'info', destination: logs }),
        redisKeyPrefix: REDIS_PREFIX,
      });
      const rule = { name: 'outage.middle', points: 3, durationSeconds: 60 };
      const subject = '203.0.113.200';
      expect(await consumeTimes(limiter, 2, subject, rule)).toEqual([true, true]);
      const [storedKey] = await redis.keys(`${REDIS_PREFIX}:outage.middle:*`);
      expect(await redis.get(storedKey!)).toBe('2');

      await proxy.cut();
      // In memory this server starts its own count: the limit holds, per server.
      expect(await consumeTimes(limiter, 4, subject, rule)).toEqual([true, true, true, false]);
      expect(logs.records().filter((record) => record.level === 40)).toHaveLength(1);

      await proxy.start();
      await vi.waitFor(() => expect(logs.text()).toMatch(/redis is available again/), { timeout: 10_000, interval: 50 });
      // Back on Redis, where 2 of 3 points were spent before the outage.
      expect(await consumeTimes(limiter, 2, subject, rule)).toEqual([true, false]);
      expect(await redis.get(storedKey!)).toBe('4');
      expect(logs.text()).not.toContain(subject);
    } finally {
      await limiter?.close();
      limiter = undefined;
      await proxy.cut();
    }
  });
});
