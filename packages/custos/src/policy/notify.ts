// P-COM-2, P-COM-3: a material change of the policy is mailed to every account before it takes
// effect. The job pages through people by id, a batch per transaction, queueing one transactional
// mail each through the outbox and noting the last person queued on the version's row (locked
// for the batch), so that a retried or restarted job goes on where it stopped and nobody gets two.
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { defineJob } from '../jobs/contracts.ts';
import { transaction } from '../db/transaction.ts';
import type { Outbox } from '../mail/index.ts';
import type { PolicyTables } from './tables.ts';

export const POLICY_NOTIFY = defineJob({ name: 'policy.notify', payload: z.object({ version: z.number().int().positive() }), retryLimit: 10, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });

const BATCH = 200;

export interface NotifyDeps {
  db: Kysely<PolicyTables>;
  mail: Pick<Outbox, 'queue'>;
  publicUrl: URL;
}

/** Mails the version's notice to everyone not mailed yet; returns how many were queued. */
export async function notifyEveryone(deps: NotifyDeps, version: number): Promise<number> {
  let queued = 0;
  for (;;) {
    const batch = await transaction(deps.db, async (trx) => {
      const row = await trx.selectFrom('policy_versions').select(['effective_at', 'changes', 'notified_through', 'notified_at'])
        .where('n', '=', version).forUpdate().executeTakeFirst();
      if (!row || row.notified_at) return 0;
      let people = trx.selectFrom('people').select(['id', 'email']).orderBy('id').limit(BATCH);
      if (row.notified_through) people = people.where('id', '>', row.notified_through);
      const found = await people.execute();
      if (found.length === 0) {
        await trx.updateTable('policy_versions').set({ notified_at: new Date() }).where('n', '=', version).execute();
        return 0;
      }
      const vars = {
        version: String(version), effectiveAt: row.effective_at.toISOString(),
        changes: row.changes.slice(0, 100).map((change) => change.text.slice(0, 500)),
        url: new URL('/privacy', deps.publicUrl).toString(),
      };
      for (const person of found) await deps.mail.queue(trx, { template: 'policy_changed', to: person.email, vars });
      await trx.updateTable('policy_versions').set({ notified_through: found.at(-1)!.id }).where('n', '=', version).execute();
      return found.length;
    });
    if (batch === 0) return queued;
    queued += batch;
  }
}
