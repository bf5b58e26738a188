// Leased points for hot rules (an API key making hundreds of requests a second): instead of one
// write to the shared store per request, which also serialises every request of one key on its
// counter row, a server takes `leaseSize` points at once and hands them out from memory until they
// run out or the window ends. The shared count stays exact about what was taken; a server may hold
// points its key never uses before the window ends (and a refused lease request counts in the
// store too), so a busy key near its limit can be refused up to about one lease early per server.
// Near the limit, when a whole lease is no longer there, it falls back to one point at a time, so no
// request is ever let through beyond the limit.
import type { RateDecision } from './limiter.ts';

interface Lease {
  left: number;
  /** When the store's window for this key ends (ms since the epoch). */
  until: number;
  /** What the store said remained after this lease was taken. */
  remainingAfter: number;
}

/** Takes `points` from the shared store for `key`: a decision, plus when its window ends. */
export type TakePoints = (points: number) => Promise<{ decision: RateDecision; msBeforeNext: number }>;

export class LeasedPoints {
  readonly #leases = new Map<string, Lease>();
  readonly #taking = new Map<string, Promise<void>>();
  readonly #maxKeys: number;

  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys;
  }

  async consume(key: string, leaseSize: number, take: TakePoints): Promise<RateDecision> {
    for (;;) {
      const lease = this.#leases.get(key);
      if (lease && lease.left > 0 && lease.until > Date.now()) {
        lease.left -= 1;
        this.#refillEarly(key, lease, leaseSize, take);
        return { allowed: true, remaining: lease.remainingAfter + lease.left };
      }
      // One lease request per key at a time; the others wait for it and try again.
      const pending = this.#taking.get(key);
      if (pending) {
        await pending;
        continue;
      }
      let outcome: RateDecision | undefined;
      const taking = this.#take(key, leaseSize, take).then((decision) => {
        outcome = decision;
      }).finally(() => this.#taking.delete(key));
      this.#taking.set(key, taking);
      await taking;
      // A lease was taken (loop to spend it), or the store decided this one request directly.
      if (outcome) return outcome;
    }
  }

  /**
   * With a fifth of a lease left, the next one is taken in the background, so that a busy key's
   * requests do not all wait for the store at the moment the lease runs out. Only while the store
   * has a whole lease to give, and only within the same window: points of a window that ended are
   * never carried into the next one.
   */
  #refillEarly(key: string, lease: Lease, leaseSize: number, take: TakePoints): void {
    if (lease.left * 5 > leaseSize || lease.remainingAfter < leaseSize || this.#taking.has(key)) return;
    const refill = take(leaseSize).then(({ decision, msBeforeNext }) => {
      if (!decision.allowed) {
        // No whole lease left after all (other servers took it): single points from now on.
        const current = this.#leases.get(key);
        if (current) current.remainingAfter = 0;
        return;
      }
      const until = Date.now() + msBeforeNext;
      const current = this.#leases.get(key);
      const sameWindow = current !== undefined && Math.abs(current.until - until) < 1000;
      this.#remember(key, { left: leaseSize + (sameWindow ? current.left : 0), until, remainingAfter: decision.remaining });
    }).catch(() => undefined).finally(() => this.#taking.delete(key));
    this.#taking.set(key, refill);
  }

  async #take(key: string, leaseSize: number, take: TakePoints): Promise<RateDecision | undefined> {
    // A store counts a refused request too: asking for a whole lease that is known not to be there
    // would spend what is left for nothing. So near the limit, one point at a time.
    const last = this.#leases.get(key);
    if (last && last.until > Date.now() && last.remainingAfter < leaseSize) {
      const single = await take(1);
      if (single.decision.allowed) last.remainingAfter = single.decision.remaining;
      return single.decision;
    }
    const whole = await take(leaseSize);
    if (whole.decision.allowed) {
      this.#remember(key, { left: leaseSize, until: Date.now() + whole.msBeforeNext, remainingAfter: whole.decision.remaining });
      return undefined;
    }
    // Not a whole lease left in this window: one point, decided by the store itself.
    this.#leases.delete(key);
    return (await take(1)).decision;
  }

  #remember(key: string, lease: Lease): void {
    if (this.#leases.size >= this.#maxKeys) {
      const now = Date.now();
      for (const [k, l] of this.#leases) if (l.until <= now || l.left === 0) this.#leases.delete(k);
      // Still full: drop the oldest; its unspent points are lost to this window (never over-granted).
      if (this.#leases.size >= this.#maxKeys) this.#leases.delete(this.#leases.keys().next().value!);
    }
    this.#leases.set(key, lease);
  }
}
