// What an operator does to identities from the command line: find a person by address, and make
// them an instance administrator (for the admin routes) or no longer one. Granting runs as the
// schema owner (the runtime login can read the grants but never make them); each change is on the
// instance audit chain.
import type { Kysely } from 'kysely';
import { INSTANCE_CHAIN, type AuditTrail } from '../audit/index.ts';
import { withTenant } from '../db/tenant.ts';
import type { IdentityTables } from './tables.ts';

/** The person with this email address (stored lowercased); refuses when there is none. */
export async function personIdByEmail(db: Kysely<IdentityTables>, email: string): Promise<string> {
  const person = await db.selectFrom('people').select('id').where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  if (!person) throw new Error('no account has that email address');
  return person.id;
}

export async function setInstanceAdmin(owner: Kysely<IdentityTables>, audit: AuditTrail, personId: string, grant: boolean): Promise<void> {
  await withTenant(owner, INSTANCE_CHAIN, async (trx) => {
    if (grant) {
      await trx.insertInto('instance_admins').values({ person_id: personId }).onConflict((oc) => oc.column('person_id').doNothing()).execute();
    } else {
      await trx.deleteFrom('instance_admins').where('person_id', '=', personId).execute();
    }
    await audit.record(trx, INSTANCE_CHAIN, { action: grant ? 'admin.granted' : 'admin.revoked', targetType: 'person', targetId: personId, details: { via: 'cli' } });
  });
}
