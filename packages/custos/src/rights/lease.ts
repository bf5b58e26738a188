// A worker's claim on a long piece of work (an export, an erasure) in that work's own row: taken
// with a compare-and-set when the last claim lapsed, renewed while the worker lives. A server that
// dies stops renewing; once the lease lapses another server takes the work up from its start (or
// its last noted step). Each claim bumps the row's `attempts`, and that number is the claim's
// token: renewals and every later write of the worker name it, so a worker whose lease lapsed (a
// stalled process, a lost connection) can neither renew over the next holder nor touch its work.
// Leases measure real time on the database's clock, not the injectable one: they are about
// processes being alive, not about the rules of time the clock stands for.
import { sql, type Kysely } from 'kysely';
import { LEASE_SECONDS } from './jobs.ts';
import type { RightsTables } from './tables.ts';

export type LeasedTable = 'exports' | 'erasures';

export interface Lease {
  /** Whether the claim still held at the last renewal (false after any failed renewal). */
  held(): boolean;
  /** Stops renewing (the work is done, or its last write gave the lease up). */
  release(): void;
  /**
   * Stops renewing and gives the claim up at once (a failed attempt), so that the next worker
   * need not wait for it to lapse. A failure to say so is ignored: the lease lapses on its own.
   */
  abandon(): Promise<void>;
}

/** Keeps renewing claim `token` of `table` row `id` until released; stops (and says so) once it is lost. */
export function keepLease(db: Kysely<RightsTables>, table: LeasedTable, idColumn: string, id: string, token: number): Lease {
  let held = true;
  const timer = setInterval(() => {
    void sql`update ${sql.table(table)} set lease_until = ${newLease}
              where ${sql.ref(idColumn)} = ${id} and attempts = ${token} and lease_until > now()`.execute(db)
      .then((result) => {
        if (Number(result.numAffectedRows ?? 0n) === 0) held = false;
      }, () => {
        held = false;
      });
  }, (LEASE_SECONDS * 1000) / 3);
  timer.unref();
  const release = () => clearInterval(timer);
  return {
    held: () => held,
    release,
    abandon: async () => {
      release();
      await sql`update ${sql.table(table)} set lease_until = null where ${sql.ref(idColumn)} = ${id} and attempts = ${token}`.execute(db).catch(() => undefined);
    },
  };
}

/** The SQL condition "nobody holds this row's lease". */
export const leaseFree = sql<boolean>`(lease_until is null or lease_until < now())`;
export const newLease = sql<Date>`now() + make_interval(secs => ${LEASE_SECONDS})`;
/** Seconds until the row's lease lapses (0 when it has). */
export const leaseWait = sql<number>`greatest(0, extract(epoch from (coalesce(lease_until, now()) - now())))`;
