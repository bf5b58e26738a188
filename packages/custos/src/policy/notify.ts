// P-COM-2, P-COM-3: a material change of the policy is mailed to every account before it takes
// effect. The job takes people in the order they signed up, a batch per transaction, queueing one
// transactional mail each through the outbox and noting the last person queued on the version's
// row (locked for the batch), so that a retried or restarted job goes on where it stopped, nobody
// gets two, and whoever signs up while it runs comes after and is mailed too. Whoever signs up
// after it finished, before the version takes effect, is mailed at sign-up (noticeNewcomer).
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { defineJob } from '../jobs/contracts.ts';
import { transaction } from '../db/transaction.ts';
import { MailError, type Outbox } from '../mail/index.ts';
import type { PolicyChange } from './diff.ts';
import type { PolicyTables } from './tables.ts';

export const POLICY_NOTIFY = defineJob({ name: 'policy.notify', payload: z.object({ version: z.number().int().positive() }), retryLimit: 10, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });

const BATCH = 200;

export interface NotifyDeps {
  db: Kysely<PolicyTables>;
  mail: Pick<Outbox, 'queue'>;
  publicUrl: URL;
}

function noticeVars(deps: NotifyDeps, version: number, effectiveAt: Date, changes: PolicyChange[]) {
  return {
    version: String(version), effectiveAt: effectiveAt.toISOString(),
    changes: changes.slice(0, 100).map((change) => change.text.slice(0, 500)),
    // The version announced, not the one in force (which /privacy shows until the effective date).
    url: new URL(`/privacy/versions/${version}`, deps.publicUrl).toString(),
  };
}

/** Queues one notice; an address the outbox refuses is skipped (counted), not a reason to stop. */
async function queueNotice(deps: NotifyDeps, trx: Kysely<PolicyTables>, to: string, vars: ReturnType<typeof noticeVars>): Promise<boolean> {
  try {
    await deps.mail.queue(trx, { template: 'policy_changed', to, vars });
    return true;
  } catch (err) {
    if (err instanceof MailError) return false;
    throw err;
  }
}

/** Mails the version's notice to everyone not mailed yet; returns how many were queued and skipped. */
export async function notifyEveryone(deps: NotifyDeps, version: number): Promise<{ queued: number; skipped: number }> {
  const total = { queued: 0, skipped: 0 };
  for (;;) {
    const batch = await transaction(deps.db, async (trx) => {
      const row = await trx.selectFrom('policy_versions').select(['effective_at', 'changes', 'notified_through_at', 'notified_through', 'notified_at'])
        .where('n', '=', version).forUpdate().executeTakeFirst();
      if (!row || row.notified_at) return 0;
      let people = trx.selectFrom('people').select(['id', 'email', 'createdAt']).orderBy('createdAt').orderBy('id').limit(BATCH);
      const { notified_through_at: at, notified_through: id } = row;
      if (at && id) people = people.where((eb) => eb.or([eb('createdAt', '>', at), eb.and([eb('createdAt', '=', at), eb('id', '>', id)])]));
      const found = await people.execute();
      if (found.length === 0) {
        await trx.updateTable('policy_versions').set({ notified_at: new Date() }).where('n', '=', version).execute();
        return 0;
      }
      const vars = noticeVars(deps, version, row.effective_at, row.changes);
      for (const person of found) {
        if (await queueNotice(deps, trx, person.email, vars)) total.queued += 1;
        else total.skipped += 1;
      }
      const last = found.at(-1)!;
      await trx.updateTable('policy_versions').set({ notified_through_at: last.createdAt, notified_through: last.id }).where('n', '=', version).execute();
      return found.length;
    });
    if (batch === 0) return total;
  }
}

/**
 * Someone who signs up after a material version was announced, before it takes effect, is told of
 * it too (the mailing may have finished before they came).
 */
export async function noticeNewcomer(deps: NotifyDeps, email: string, now: Date): Promise<void> {
  const pending = await deps.db.selectFrom('policy_versions').select(['n', 'effective_at', 'changes'])
    .where('material', '=', true).where('effective_at', '>', now).where('notified_at', 'is not', null).orderBy('n').execute();
  for (const version of pending) await queueNotice(deps, deps.db, email, noticeVars(deps, version.n, version.effective_at, version.changes));
}
