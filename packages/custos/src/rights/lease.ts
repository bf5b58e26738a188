// A worker's claim on a long piece of work (an export, an erasure) in that work's own row: taken
// with a compare-and-set when the last claim lapsed, renewed while the worker lives. A server that
// dies stops renewing; once the lease lapses another server takes the work up from its start (or
// its last noted step). Leases measure real time on the database's clock, not the injectable one:
// they are about processes being alive, not about the rules of time the clock stands for.
import { sql, type Kysely } from 'kysely';
import { LEASE_SECONDS } from './jobs.ts';

export type LeasedTable = 'exports' | 'erasures';

export interface Lease {
  /** Whether the claim still held at the last renewal. */
  held(): boolean;
  release(): void;
}

/** Keeps renewing the claim of `table` row `id` until released; stops (and says so) once it is lost. */
export function keepLease(db: Kysely<never>, table: LeasedTable, idColumn: string, id: string): Lease {
  let held = true;
  const timer = setInterval(() => {
    void sql`update ${sql.table(table)} set lease_until = now() + make_interval(secs => ${LEASE_SECONDS})
              where ${sql.ref(idColumn)} = ${id} and lease_until > now()`.execute(db)
      .then((result) => {
        if (Number(result.numAffectedRows ?? 0n) === 0) held = false;
      }, () => undefined);
  }, (LEASE_SECONDS * 1000) / 3);
  timer.unref();
  return { held: () => held, release: () => clearInterval(timer) };
}

/** The SQL condition "nobody holds this row's lease". */
export const leaseFree = sql<boolean>`(lease_until is null or lease_until < now())`;
export const newLease = sql<Date>`now() + make_interval(secs => ${LEASE_SECONDS})`;
