// The public face of ratelimit/ (P-KEY-2): what other modules import.
export { createRateLimiter, type RateLimiterOptions } from './create.ts';
export { enforceRateLimit, rateLimitedError, type RateDecision, type RateLimiter, type RateRule } from './limiter.ts';
export { deleteExpired, RATE_LIMITS_TABLE } from './postgres-store.ts';
