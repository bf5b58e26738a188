// custos admin grant|revoke EMAIL: makes a person an instance administrator (an operator of this
// custos, for the admin routes), or no longer one. Runs as the schema owner: the runtime login
// can read the grants but never make them. Each change is on the instance audit chain.
import type { Kysely } from 'kysely';
import { INSTANCE_CHAIN, type AuditTables } from '../audit/index.ts';
import { createLogger } from '../core/log.ts';
import { openDatabase } from '../db/connect.ts';
import { withTenant } from '../db/tenant.ts';
import type { IdentityTables } from '../identity/index.ts';
import { openKeys } from '../keys.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';
import { personIdByEmail } from './person.ts';

type AdminTables = IdentityTables & AuditTables;

async function changeAdmin(email: string, flags: CommonFlags, grant: boolean): Promise<void> {
  try {
    const config = configFromFlags(flags);
    const keys = openKeys(config, createLogger({ level: 'warn' }));
    const owner = await openDatabase(config, 'owner');
    try {
      const db = owner.db as unknown as Kysely<AdminTables>;
      const personId = await personIdByEmail(db, email);
      await withTenant(db, INSTANCE_CHAIN, async (trx) => {
        if (grant) {
          await trx.insertInto('instance_admins').values({ person_id: personId }).onConflict((oc) => oc.column('person_id').doNothing()).execute();
        } else {
          await trx.deleteFrom('instance_admins').where('person_id', '=', personId).execute();
        }
        await keys.audit.record(trx, INSTANCE_CHAIN, { action: grant ? 'admin.granted' : 'admin.revoked', targetType: 'person', targetId: personId, details: { via: 'cli' } });
      });
      process.stdout.write(`${grant ? 'granted' : 'revoked'} instance admin ${grant ? 'to' : 'from'} person ${personId}\n`);
    } finally {
      await owner.close();
    }
  } catch (err) {
    fail(err);
  }
}

export const adminGrantCommand = (email: string, flags: CommonFlags) => changeAdmin(email, flags, true);
export const adminRevokeCommand = (email: string, flags: CommonFlags) => changeAdmin(email, flags, false);
