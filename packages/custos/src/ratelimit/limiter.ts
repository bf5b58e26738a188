// The rate limiter's contract (P-KEY-2) and what every store shares: rules, HMAC'd keys, and the
// translation of rate-limiter-flexible's results into decisions. A subject (an IP address, a
// normalised email address, an API key id) is turned into an HMAC before it reaches any store, so
// that counters in Postgres or Redis, their backups and their logs never hold it in clear.
import crypto from 'node:crypto';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../core/errors.ts';
import { LeasedPoints } from './leases.ts';

/** At most `points` requests per subject in a window of `durationSeconds` from its first request. */
export interface RateRule {
  /** Part of the stored key: lower-case letters, digits, '.', '_' and '-' (e.g. 'signin.ip'). */
  name: string;
  points: number;
  durationSeconds: number;
  /**
   * For hot rules: take this many points from the shared store at a time and hand them out from
   * memory (leases.ts). Fewer writes, at the price of refusing up to about one lease of requests
   * early per server near the limit. Leave unset where a limit must be exact (sign-in).
   */
  leaseSize?: number;
}

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /**
   * Counts one request of `subject` under `rule`. Call it outside any transaction: on the embedded
   * engine the pool has one connection, and a caller holding it would wait for the acquisition
   * timeout (database_busy) instead of a decision.
   */
  consume(rule: RateRule, subject: string): Promise<RateDecision>;
  close(): Promise<void>;
}

const RULE_NAME = /^[a-z][a-z0-9._-]{0,63}$/;
const MAX_DURATION_SECONDS = 31 * 24 * 60 * 60;
const MIN_SECRET_BYTES = 32;
// 24 bytes of HMAC-SHA256 (192 bits, 32 base64url characters): collisions between subjects are
// out of reach, and keys stay short in an index that every limited request writes to.
const DIGEST_BYTES = 24;

export function checkRule(rule: RateRule): void {
  if (!RULE_NAME.test(rule.name)) throw new TypeError(`rate rule name ${JSON.stringify(rule.name)} must match ${RULE_NAME}`);
  if (!Number.isSafeInteger(rule.points) || rule.points < 1) throw new RangeError(`rate rule ${rule.name}: points must be a positive integer`);
  // Whole seconds: the Redis store sets expiries in seconds (a fraction would be rounded down to 0,
  // which rate-limiter-flexible reads as "never expires").
  if (rule.leaseSize !== undefined && (!Number.isSafeInteger(rule.leaseSize) || rule.leaseSize < 1)) {
    throw new RangeError(`rate rule ${rule.name}: leaseSize must be a positive integer`);
  }
  if (!Number.isSafeInteger(rule.durationSeconds) || rule.durationSeconds < 1 || rule.durationSeconds > MAX_DURATION_SECONDS) {
    throw new RangeError(`rate rule ${rule.name}: durationSeconds must be a whole number of seconds between 1 and ${MAX_DURATION_SECONDS}`);
  }
}

/** A keyed hash of subjects: the same subject always gives the same key, and no key gives it back. */
export class SubjectHasher {
  readonly #key: crypto.KeyObject;

  constructor(secret: Buffer) {
    if (secret.length < MIN_SECRET_BYTES) throw new RangeError(`the rate-limit secret must be at least ${MIN_SECRET_BYTES} bytes`);
    this.#key = crypto.createSecretKey(Buffer.from(secret));
  }

  /** `<rule>:<base64url of HMAC-SHA256(secret, subject), truncated>`. */
  key(rule: RateRule, subject: string): string {
    // An empty subject would mean a caller lost what it meant to limit: one counter for everybody.
    if (subject.length === 0) throw new TypeError(`rate rule ${rule.name}: the subject is empty`);
    const digest = crypto.createHmac('sha256', this.#key).update(subject, 'utf8').digest().subarray(0, DIGEST_BYTES);
    return `${rule.name}:${digest.toString('base64url')}`;
  }
}

/** What a store builds once per rule: rate-limiter-flexible's consume(), bound to the rule's limits. */
export interface RuleLimiter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
}

export interface LimiterStore {
  limiterFor(rule: RateRule): RuleLimiter;
  close(): Promise<void>;
}

export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** A RateLimiter over a store: one library limiter per rule, built on first use. */
export class StoreRateLimiter implements RateLimiter {
  readonly #store: LimiterStore;
  readonly #hasher: SubjectHasher;
  readonly #rules = new Map<string, { rule: RateRule; limiter: RuleLimiter }>();
  readonly #leases = new LeasedPoints();
  #closing: Promise<void> | undefined;

  constructor(store: LimiterStore, hasher: SubjectHasher) {
    this.#store = store;
    this.#hasher = hasher;
  }

  async consume(rule: RateRule, subject: string): Promise<RateDecision> {
    if (this.#closing) throw new Error('the rate limiter is closed');
    const limiter = this.#limiterFor(rule);
    const key = this.#hasher.key(rule, subject);
    if (rule.leaseSize && rule.leaseSize > 1) {
      return this.#leases.consume(key, Math.min(rule.leaseSize, rule.points), (points) => this.#take(limiter, key, points));
    }
    return (await this.#take(limiter, key, 1)).decision;
  }

  async #take(limiter: RuleLimiter, key: string, points: number): Promise<{ decision: RateDecision; msBeforeNext: number }> {
    try {
      const res = await limiter.consume(key, points);
      return { decision: { allowed: true, remaining: res.remainingPoints }, msBeforeNext: res.msBeforeNext };
    } catch (err) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the points are spent, and with an
      // Error when the store failed (and no insurance answered): that one propagates (fail closed).
      if (err instanceof RateLimiterRes) return { decision: { allowed: false, retryAfterSeconds: retryAfterSeconds(err.msBeforeNext) }, msBeforeNext: err.msBeforeNext };
      throw err;
    }
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#store.close());
  }

  #limiterFor(rule: RateRule): RuleLimiter {
    const known = this.#rules.get(rule.name);
    if (known) {
      if (known.rule.points !== rule.points || known.rule.durationSeconds !== rule.durationSeconds || known.rule.leaseSize !== rule.leaseSize) {
        // Both would count into the same keys with different limits.
        throw new Error(`rate rule ${rule.name} is used with two different limits`);
      }
      return known.limiter;
    }
    checkRule(rule);
    const limiter = this.#store.limiterFor(rule);
    this.#rules.set(rule.name, { rule: { ...rule }, limiter });
    return limiter;
  }
}

/** The error a refused request answers with (429); callers set Retry-After from its details. */
export function rateLimitedError(retryAfterSeconds: number): AppError {
  return new AppError('rate_limited', 'too many requests; try again later', { retryAfterSeconds });
}

/** Consumes one point and throws rate_limited when the rule refuses; resolves with what remains. */
export async function enforceRateLimit(limiter: Pick<RateLimiter, 'consume'>, rule: RateRule, subject: string): Promise<number> {
  const decision = await limiter.consume(rule, subject);
  if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
  return decision.remaining;
}
