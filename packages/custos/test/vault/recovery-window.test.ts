// The recovery job is the last word on an action whose server died: when its retries run out, the
// action stays executing for good (no sweep can see actions across tenants). Its retries must
// outlast an outage of the keystore or the database, not a couple of minutes (P-ACT-1).
import { describe, expect, it } from 'vitest';
import { ACTION_RECOVER } from '../../src/vault/jobs.ts';

/** pg-boss's backoff at its shortest (no jitter): min(cap, delay × 2^min(16, n) / 2) before retry n. */
function shortestWindowSeconds(retries: number, delay: number, cap = Infinity): number {
  let total = 0;
  for (let n = 1; n <= retries; n += 1) total += Math.min(cap, (delay * 2 ** Math.min(16, n)) / 2);
  return total;
}

describe('the action recovery job', () => {
  it('P-ACT-1: retries for over an hour, never waiting more than 5 minutes between two tries', () => {
    const { retryLimit = 5, retryDelaySeconds = 5, retryDelayMaxSeconds } = ACTION_RECOVER;
    expect(retryDelayMaxSeconds).toBeLessThanOrEqual(300);
    expect(shortestWindowSeconds(retryLimit, retryDelaySeconds, retryDelayMaxSeconds)).toBeGreaterThan(3600);
  });
});
