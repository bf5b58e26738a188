// The only door to tenant tables: a short transaction in which Postgres itself knows the tenant.
// Row-level security on every tenant table compares tenant_id with custos_current_tenant(), so a
// query that forgets its WHERE still sees only this tenant's rows (P-TEN-1).
import { sql, type Kysely, type Transaction } from 'kysely';
import { AppError } from '../core/errors.ts';
import { isUuid } from '../core/ids.ts';
import type { Schema } from './schema.ts';
import { transaction } from './transaction.ts';

export type TenantTransaction<S = Schema> = Transaction<S>;

export async function withTenant<T, S = Schema>(
  db: Kysely<S>,
  tenantId: string,
  fn: (trx: TenantTransaction<S>) => Promise<T>,
): Promise<T> {
  // SET LOCAL cannot take a parameter, so the id is checked to be a canonical uuid before it is
  // spelled into the statement; set_config() is not granted to the runtime on every engine.
  if (!isUuid(tenantId)) throw new AppError('invalid_request', 'tenant id must be a uuid');
  return transaction(db, async (trx) => {
    await sql`SET LOCAL custos.tenant_id = ${sql.lit(tenantId)}`.execute(trx);
    tenants.set(trx, tenantId);
    return fn(trx);
  });
}

const tenants = new WeakMap<object, string>();

/** The tenant a withTenant transaction was opened for (undefined for any other executor). */
export function tenantOf(trx: object): string | undefined {
  return tenants.get(trx);
}
