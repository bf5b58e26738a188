// Short transactions with work that must wait for the commit (waking a job worker, for example):
// what runs after commit never runs for a transaction that rolled back.
import type { Kysely, Transaction } from 'kysely';

const pendingAfterCommit = new WeakMap<object, Array<() => void>>();

export async function transaction<T, S>(db: Kysely<S>, fn: (trx: Transaction<S>) => Promise<T>): Promise<T> {
  let callbacks: Array<() => void> = [];
  const result = await db.transaction().execute(async (trx) => {
    callbacks = [];
    pendingAfterCommit.set(trx, callbacks);
    return fn(trx);
  });
  for (const callback of callbacks) callback();
  return result;
}

/**
 * Runs `callback` once the transaction commits; outside a transaction opened by transaction() or
 * withTenant(), runs it at once (the write it follows is already committed).
 */
export function afterCommit(trxOrDb: object, callback: () => void): void {
  const callbacks = pendingAfterCommit.get(trxOrDb);
  if (callbacks) callbacks.push(callback);
  else callback();
}
