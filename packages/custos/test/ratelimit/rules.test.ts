// What needs no store: rules, the keyed hash of subjects, and the configuration.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.ts';
import { checkRule, SubjectHasher } from '../../src/ratelimit/limiter.ts';
import { rateLimitedError } from '../../src/ratelimit/index.ts';

// REDIS_URL as the server reads it (core/config.ts, the one parser of the environment).
const loadRateLimitConfig = (env: NodeJS.ProcessEnv) => {
  const { redisUrl } = loadConfig(env);
  return redisUrl === undefined ? {} : { redisUrl };
};

describe('rate rules and keys', () => {
  it('P-KEY-2: a key is the rule name and a truncated HMAC-SHA256 of the subject under the secret', () => {
    const secret = crypto.randomBytes(32);
    const hasher = new SubjectHasher(secret);
    const rule = { name: 'signin.email', points: 10, durationSeconds: 60 };
    const key = hasher.key(rule, 'alice@example.com');
    const expected = crypto.createHmac('sha256', secret).update('alice@example.com').digest().subarray(0, 24).toString('base64url');
    expect(key).toBe(`signin.email:${expected}`);
    expect(key).not.toContain('alice');
    // Stable for one secret, unrelated under another: a leaked table says nothing without the secret.
    expect(hasher.key(rule, 'alice@example.com')).toBe(key);
    expect(new SubjectHasher(crypto.randomBytes(32)).key(rule, 'alice@example.com')).not.toBe(key);
  });

  it('refuses a short secret and an empty subject', () => {
    expect(() => new SubjectHasher(crypto.randomBytes(16))).toThrow(/at least 32 bytes/);
    expect(() => new SubjectHasher(crypto.randomBytes(32)).key({ name: 'a', points: 1, durationSeconds: 1 }, '')).toThrow(/subject is empty/);
  });

  it('refuses rules that would store odd keys or never expire', () => {
    expect(() => checkRule({ name: 'signin.ip', points: 10, durationSeconds: 60 })).not.toThrow();
    for (const name of ['', 'Signin', 'signin:ip', 'a b', 'x'.repeat(65)]) {
      expect(() => checkRule({ name, points: 1, durationSeconds: 1 })).toThrow(TypeError);
    }
    for (const points of [0, -1, 1.5, Number.NaN]) expect(() => checkRule({ name: 'r', points, durationSeconds: 1 })).toThrow(RangeError);
    for (const durationSeconds of [0, 0.5, -1, 32 * 24 * 3600]) {
      expect(() => checkRule({ name: 'r', points: 1, durationSeconds })).toThrow(RangeError);
    }
  });

  it('P-KEY-2: a refusal is the rate_limited error (429) with the seconds to wait in its details', () => {
    const err = rateLimitedError(17);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, message: 'too many requests; try again later', details: { retryAfterSeconds: 17 } });
  });
});

describe('rate limit configuration', () => {
  it('REDIS_URL: absent or empty means Postgres; a redis:// or rediss:// URL means Redis', () => {
    expect(loadRateLimitConfig({})).toEqual({});
    expect(loadRateLimitConfig({ REDIS_URL: '' })).toEqual({});
    expect(loadRateLimitConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual({ redisUrl: 'redis://127.0.0.1:6379' });
    expect(loadRateLimitConfig({ REDIS_URL: 'rediss://:pw@cache.example:6380/2' })).toEqual({ redisUrl: 'rediss://:pw@cache.example:6380/2' });
  });

  it('an invalid REDIS_URL is named, never echoed', () => {
    for (const value of ['http://user:planted-secret@cache.example', 'planted-secret', 'redis://', 'redis:///0']) {
      let error: unknown;
      try {
        loadRateLimitConfig({ REDIS_URL: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('REDIS_URL');
      expect((error as Error).message).not.toContain('planted-secret');
    }
  });
});
