// Idempotency-Key on writes: a request sent again with the same key (a client retrying after a
// timeout) gets the first request's answer instead of writing twice. The claim is a row in the
// same tenant transaction as the write, so it exists if and only if the write committed; a
// concurrent twin waits on the row's unique index until the first commits, then replays it.
// The row holds a hash of the key, the ids the write created (never content), and a hash of the
// request sealed under the workspace's key: a bare hash of a short message could be confirmed by
// guessing, and shredding the workspace must leave nothing of its content to confirm.
import crypto from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { AppError } from '../core/errors.ts';
import type { Sealer } from '../crypto/index.ts';
import type { DataTables } from './tables.ts';

/** How long a key is remembered (as Stripe does). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface IdempotencyRequest {
  /** The client's Idempotency-Key header. */
  key: string;
  /** The person sending it: keys are theirs, not the workspace's. */
  personId: string;
  /** What the request is (method, route, its parameters and body): the same key with another request is refused. */
  fingerprint: string;
}

const sha256 = (...parts: string[]) => crypto.createHash('sha256').update(parts.join('\u0000')).digest();

/**
 * Claims `request`'s key for a write whose created ids are `result`. Returns null when the claim is
 * new (go on with the write), or the ids of the first request's write to answer with again.
 */
export async function claimIdempotencyKey<R>(trx: Transaction<DataTables>, sealer: Sealer, tenantId: string, request: IdempotencyRequest, result: R): Promise<R | null> {
  const keyHash = sha256('custos/idempotency-key', request.personId, request.key);
  const requestHash = sha256('custos/idempotency-request', request.fingerprint);
  const context = { tenantId, table: 'idempotency_keys', column: 'request_hash', rowId: keyHash.toString('hex') };
  // An expired key is taken over in the same statement; a live one is left as it is.
  const claimed = await trx.insertInto('idempotency_keys')
    .values({ tenant_id: tenantId, key_hash: keyHash, request_hash: await sealer.seal(trx, context, requestHash), result: JSON.stringify(result), expires_at: sql<Date>`now() + make_interval(secs => ${IDEMPOTENCY_TTL_SECONDS})` })
    .onConflict((oc) => oc.columns(['tenant_id', 'key_hash']).doUpdateSet({
      request_hash: (eb) => eb.ref('excluded.request_hash'),
      result: sql`excluded.result`,
      created_at: sql<Date>`now()`,
      expires_at: (eb) => eb.ref('excluded.expires_at'),
    }).where('idempotency_keys.expires_at', '<', sql<Date>`now()`))
    .returning('tenant_id').executeTakeFirst();
  if (claimed) return null;
  const first = await trx.selectFrom('idempotency_keys').select(['request_hash', 'result'])
    .where('key_hash', '=', keyHash).executeTakeFirstOrThrow();
  if (!(await sealer.open(trx, context, first.request_hash)).equals(requestHash)) {
    throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used for another request; use a new key for a new request');
  }
  return (typeof first.result === 'string' ? JSON.parse(first.result) : first.result) as R;
}
