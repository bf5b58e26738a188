// Queue names and payload schemas in one module, so that a producer and its handler cannot disagree.
// Payloads carry ids and short tokens only, never content: a job row is plaintext in Postgres.
import type { z } from 'zod';

export interface JobContract<P extends Record<string, unknown>> {
  /** The queue's name: lower case, dot-separated (`mail.send`). */
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /** Retries after the first attempt, with exponential backoff from retryDelaySeconds. */
  readonly retryLimit?: number;
  readonly retryDelaySeconds?: number;
  /** The longest wait between two retries, however many came before (no cap by default). */
  readonly retryDelayMaxSeconds?: number;
  /** How long one attempt may run before it is counted as failed and retried. */
  readonly expireInSeconds?: number;
  /**
   * pg-boss's queue policy: `short` keeps at most one job per singleton key waiting, `singleton`
   * at most one running, `stately` both. Standard queues ignore singleton keys.
   */
  readonly policy?: 'standard' | 'short' | 'singleton' | 'stately';
  /** A five-field cron expression: each occurrence is sent once, by one server, however many run. */
  readonly schedule?: string;
}

export function defineJob<P extends Record<string, unknown>>(contract: JobContract<P>): JobContract<P> {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/.test(contract.name)) {
    throw new Error(`job name ${contract.name} must be lower case and dot-separated`);
  }
  return contract;
}

// A payload leaf is an id (uuid), a short token (an enum value, a queue name), a number or a
// boolean; anything that could be free text is refused before it reaches the queue table.
const TOKEN = /^[A-Za-z0-9_.:-]{0,64}$/;

export function payloadProblems(value: unknown, at = 'payload'): string[] {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return [];
  if (typeof value === 'string') return TOKEN.test(value) ? [] : [`${at} is not an id or a short token`];
  if (Array.isArray(value)) return value.flatMap((item, i) => payloadProblems(item, `${at}[${i}]`));
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      TOKEN.test(key) ? payloadProblems(item, `${at}.${key}`) : [`${at} has a key that is not a short token`],
    );
  }
  return [`${at} has a type a job payload cannot carry`];
}
