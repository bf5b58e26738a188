// The rate limiter's configuration from the environment. To be merged into core/config.ts.
import { z } from 'zod';
import { ConfigError } from '../core/config.ts';

export interface RateLimitConfig {
  /** Absent: counters live in Postgres. */
  redisUrl?: string;
}

const envSchema = z.object({
  // An empty variable counts as unset, as an unset one would in a shell `REDIS_URL=` line.
  REDIS_URL: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.url({ protocol: /^rediss?$/, hostname: /./ }).optional(),
  ),
});

export function loadRateLimitConfig(env: NodeJS.ProcessEnv = process.env): RateLimitConfig {
  const parsed = envSchema.safeParse(env);
  // Name the variable, never echo its value: a Redis URL may carry a password.
  if (!parsed.success) throw new ConfigError('invalid configuration in REDIS_URL: expected a redis:// or rediss:// URL');
  return parsed.data.REDIS_URL === undefined ? {} : { redisUrl: parsed.data.REDIS_URL };
}
