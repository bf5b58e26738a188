// Erasure (P-RIG-3, P-RET-2, P-RET-5). At the request, every way in goes at once (erasure-steps.ts,
// revokeAccess). Once the grace period is over, unless the person cancelled, the run works through
// a plan fixed at its first step: the workspaces that were theirs alone are deleted and their
// secrets shredded, the shared ones keep what the person wrote under a pseudonym, the person's own
// secret is shredded (their IP addresses and user agents in audit entries become unreadable while
// the chains still verify), a receipt is queued to their address, and their account row goes.
import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { INSTANCE_CHAIN, type AuditTrail } from '../audit/index.ts';
import type { Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Keystore } from '../crypto/index.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { TABLES } from '../db/registry.ts';
import { withTenant } from '../db/tenant.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Outbox } from '../mail/index.ts';
import { eraseWorkspace, pseudonymise, revokeAccess, type StepDeps } from './erasure-steps.ts';
import type { Exports } from './exports.ts';
import { RIGHTS_ERASE } from './jobs.ts';
import { keepLease, leaseFree, leaseWait, newLease } from './lease.ts';
import type { Register } from './register.ts';
import { ownedBy, personScope } from './scope.ts';
import type { ErasurePlan, ErasureStatus, RequestSource, RightsTables } from './tables.ts';

export interface ErasureView {
  id: string;
  status: ErasureStatus;
  requestedAt: Date;
  eraseAfter: Date;
  completedAt: Date | null;
}

export interface ErasuresDeps extends StepDeps {
  keystore: Keystore;
  audit: AuditTrail;
  queue: Pick<JobQueue, 'enqueue'>;
  mail: Pick<Outbox, 'queue'>;
  exports: Pick<Exports, 'deleteAllOf'>;
  register: Register;
  clock: Clock;
  log: Logger;
  graceSeconds: number;
}

export class Erasures {
  readonly #deps: ErasuresDeps;
  readonly #db: Kysely<RightsTables>;

  constructor(deps: ErasuresDeps) {
    this.#deps = deps;
    this.#db = deps.db;
  }

  /**
   * Schedules the erasure of a person (after `graceSeconds`, or at once with `now`) and revokes
   * every way in at once. Refused while the person is the only owner of a workspace others share.
   * Asking again while one is pending answers with the pending one, revoking again whatever way
   * in was made since; asking with `now` makes a scheduled one due at once.
   */
  async request(personId: string, source: RequestSource, options: { now?: boolean } = {}): Promise<ErasureView> {
    const pending = await this.pending(personId);
    if (pending) {
      if (options.now && pending.status === 'scheduled') {
        await this.#db.updateTable('erasures').set({ erase_after: this.#deps.clock.now() }).where('request_id', '=', pending.id).where('status', '=', 'scheduled').execute();
      }
      const current = await personScope(this.#deps.db, personId);
      if (current) await revokeAccess(this.#deps, personId, current);
      return this.get(pending.id);
    }
    const scope = await personScope(this.#deps.db, personId);
    if (!scope) throw new AppError('not_found', 'no such person');
    if (scope.soleOwnerOf.length > 0) {
      throw new AppError('sole_owner', 'you are the only owner of workspaces others share: make another member owner first', { workspaceIds: scope.soleOwnerOf });
    }
    const now = this.#deps.clock.now();
    const eraseAfter = options.now ? now : new Date(now.getTime() + this.#deps.graceSeconds * 1000);
    const requestId = await this.#schedule(personId, scope.email, source, eraseAfter, Boolean(options.now)).catch(async (err: unknown) => {
      // Asked twice at once: the one pending erasure a person may have (a unique index) answers both.
      if (isUniqueViolation(err)) return (await this.pending(personId))?.id;
      throw err;
    });
    if (!requestId) throw new AppError('conflict', 'the erasure changed while it was asked for; ask again');
    await revokeAccess(this.#deps, personId, scope);
    return this.get(requestId);
  }

  async #schedule(personId: string, email: string, source: RequestSource, eraseAfter: Date, now: boolean): Promise<string> {
    const receivedAt = this.#deps.clock.now();
    return withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
      const received = await this.#deps.register.receive(trx, { personId, kind: 'erasure', source });
      await trx.insertInto('erasures').values({ request_id: received, person_id: personId, status: 'scheduled', erase_after: eraseAfter, plan: null, attempts: 0, lease_until: null, created_at: receivedAt, completed_at: null }).execute();
      await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'erasure.requested', actorId: personId, targetType: 'person', targetId: personId, details: { source, graceSeconds: Math.round((eraseAfter.getTime() - receivedAt.getTime()) / 1000) } });
      if (!now) await this.#deps.mail.queue(trx, { template: 'erasure_scheduled', to: email, vars: { at: eraseAfter.toISOString() } });
      return received;
    });
  }

  async get(requestId: string): Promise<ErasureView> {
    const row = await this.#db.selectFrom('erasures').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such erasure');
    return view(row);
  }

  /** The person's erasure that is scheduled or running, if any. */
  async pending(personId: string, executor: Kysely<RightsTables> = this.#db): Promise<ErasureView | null> {
    const row = await executor.selectFrom('erasures').selectAll().where('person_id', '=', personId)
      .where('status', 'in', ['scheduled', 'running']).executeTakeFirst();
    return row ? view(row) : null;
  }

  /** Cancels a scheduled erasure (one already running cannot be stopped). */
  async cancel(personId: string): Promise<ErasureView> {
    return withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
      const row = await trx.updateTable('erasures').set({ status: 'cancelled', completed_at: this.#deps.clock.now() })
        .where('person_id', '=', personId).where('status', '=', 'scheduled').where(leaseFree)
        .returningAll().executeTakeFirst();
      if (!row) {
        // In this transaction: the embedded engine has one connection, which it holds.
        if (await this.pending(personId, trx)) throw new AppError('conflict', 'the erasure is already running and cannot be cancelled');
        throw new AppError('not_found', 'no erasure is scheduled');
      }
      await this.#deps.register.close(trx, row.request_id, 'cancelled');
      await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'erasure.cancelled', actorId: personId, targetType: 'person', targetId: personId });
      return view(row);
    });
  }

  /** The erasures whose grace period is over and that nobody is running. */
  async due(): Promise<string[]> {
    const rows = await this.#db.selectFrom('erasures').select('request_id').where('status', 'in', ['scheduled', 'running'])
      .where('erase_after', '<=', this.#deps.clock.now()).where(leaseFree).orderBy('erase_after').execute();
    return rows.map((row) => row.request_id);
  }

  /** Runs every due erasure here and now (the CLI, and tests with a moved clock). */
  async runDue(): Promise<number> {
    let ran = 0;
    for (const id of await this.due()) if (await this.run(id)) ran += 1;
    return ran;
  }

  /** Queues every due erasure (the sweep, so that several servers share them). */
  async enqueueDue(): Promise<number> {
    const ids = await this.due();
    for (const requestId of ids) await this.#deps.queue.enqueue(this.#deps.db, RIGHTS_ERASE, { requestId });
    return ids.length;
  }

  /** Queues the running erasures whose worker may have died, for when their lease lapses (start-up). */
  async resumeAbandoned(): Promise<number> {
    const rows = await this.#db.selectFrom('erasures').select(['request_id', leaseWait.as('wait')]).where('status', '=', 'running').execute();
    for (const row of rows) {
      await this.#deps.queue.enqueue(this.#deps.db, RIGHTS_ERASE, { requestId: row.request_id }, { startAfterSeconds: Math.ceil(Number(row.wait)) + 1 });
    }
    return rows.length;
  }

  /** Runs (or resumes) one erasure if it is due and nobody else runs it; false otherwise. */
  async run(requestId: string): Promise<boolean> {
    const claimed = await this.#db.updateTable('erasures').set({ status: 'running', lease_until: newLease, attempts: sql<number>`attempts + 1` })
      .where('request_id', '=', requestId).where('status', 'in', ['scheduled', 'running'])
      .where('erase_after', '<=', this.#deps.clock.now()).where(leaseFree)
      .returning(['person_id', 'plan', 'attempts']).executeTakeFirst();
    if (!claimed) return false;
    const claim = { requestId, personId: claimed.person_id, token: claimed.attempts };
    const lease = keepLease(this.#deps.db, 'erasures', 'request_id', requestId, claim.token);
    try {
      await this.#work(claim, claimed.plan ?? (await this.#plan(claim)), lease.held);
      return true;
    } catch (err) {
      await lease.abandon();
      throw err;
    } finally {
      lease.release();
    }
  }

  /** The workspaces of the person not in the plan yet, split as the plan splits them. */
  async #unplanned(claim: Claim, plan: ErasurePlan): Promise<Pick<ErasurePlan, 'alone' | 'shared'>> {
    const scope = (await personScope(this.#deps.db, claim.personId)) ?? { alone: [], shared: [], soleOwnerOf: [] };
    // Someone may have joined since the request; the erasure is owed all the same, so the
    // workspace keeps its data and loses its last owner: said in the log for the operator.
    if (scope.soleOwnerOf.length > 0) this.#deps.log.warn({ requestId: claim.requestId, workspaces: scope.soleOwnerOf.length }, 'erasure leaves shared workspaces without an owner');
    const planned = new Set([...plan.alone, ...plan.shared.map((s) => s.workspaceId)]);
    return {
      alone: scope.alone.filter((id) => !planned.has(id)),
      shared: scope.shared.filter((id) => !planned.has(id)).map((workspaceId) => ({ workspaceId, pseudonym: crypto.randomUUID() })),
    };
  }

  async #save(claim: Claim, plan: ErasurePlan): Promise<void> {
    const saved = await this.#db.updateTable('erasures').set({ plan: JSON.stringify(plan) })
      .where('request_id', '=', claim.requestId).where('attempts', '=', claim.token).executeTakeFirst();
    if (Number(saved.numUpdatedRows) === 0) throw new AppError('conflict', 'the erasure was taken over by another worker');
  }

  async #plan(claim: Claim): Promise<ErasurePlan> {
    const plan: ErasurePlan = { ...(await this.#unplanned(claim, { alone: [], shared: [], done: [] })), done: [] };
    await this.#save(claim, plan);
    return plan;
  }

  async #work(claim: Claim, plan: ErasurePlan, held: () => boolean): Promise<void> {
    const { personId } = claim;
    const step = async (name: string, fn: () => Promise<void>) => {
      if (plan.done.includes(name)) return;
      if (!held()) throw new AppError('conflict', 'the erasure was taken over by another worker');
      await fn();
      plan.done.push(name);
      await this.#save(claim, plan);
    };
    // The person may still sign in while this runs (until their secret is shredded) and make a
    // workspace: what the plan did not know is added to it and erased in another round.
    for (let round = 0; ; round += 1) {
      // Named by the plan's size, not the round: a run resumed after the plan grew revokes again,
      // for the workspaces it added too.
      const planned = plan.alone.length + plan.shared.length;
      await step(`access:${planned}`, () => revokeAccess(this.#deps, personId, { alone: plan.alone, shared: plan.shared.map((s) => s.workspaceId) }));
      for (const workspaceId of plan.alone) await step(`erase:${workspaceId}`, () => eraseWorkspace(this.#deps, workspaceId));
      for (const { workspaceId, pseudonym } of plan.shared) await step(`pseudonymise:${workspaceId}`, () => pseudonymise(this.#deps, personId, workspaceId, pseudonym));
      // Before the account row goes, so that a crash here finds the person still to finish.
      await step('shred', () => this.#deps.audit.shredPerson(personId));
      const more = await this.#unplanned(claim, plan);
      if (more.alone.length + more.shared.length === 0) break;
      if (round >= 5) throw new AppError('conflict', 'workspaces keep appearing during this erasure; it is retried');
      plan.alone.push(...more.alone);
      plan.shared.push(...more.shared);
      await this.#save(claim, plan);
    }
    await this.#finish(claim);
  }

  /** The receipt is queued and the account's rows go in one transaction, which also closes the request. */
  async #finish({ requestId, personId, token }: Claim): Promise<void> {
    const now = this.#deps.clock.now();
    await withTenant(this.#db, INSTANCE_CHAIN, async (trx) => {
      // A membership made since the last round would lose its only member with the account row.
      const { rows: left } = await sql<{ id: string }>`select id from memberships where "userId" = ${personId} limit 1`.execute(trx);
      if (left.length > 0) throw new AppError('conflict', 'a workspace appeared during this erasure; it is retried');
      const person = await trx.selectFrom('people').select('email').where('id', '=', personId).executeTakeFirst();
      await this.#deps.exports.deleteAllOf(trx, personId);
      if (person) await this.#deps.mail.queue(trx, { template: 'erasure_completed', to: person.email, vars: { at: now.toISOString() } });
      // Every global table the person owns rows in, children before the account row itself.
      for (const entry of [...TABLES].reverse()) {
        if (entry.owner.kind !== 'person' || entry.keptAtErasure !== undefined) continue;
        // Rows the runtime may never delete itself (policy acceptances, admin grants) go with the
        // account row, by their foreign keys' ON DELETE CASCADE.
        const { rows } = await sql<{ allowed: boolean }>`select has_table_privilege(${entry.table}, 'DELETE') as allowed`.execute(trx);
        if (!rows[0]?.allowed) continue;
        await sql`delete from ${sql.table(entry.table)} where ${ownedBy(entry, personId, person?.email)}`.execute(trx);
      }
      const closed = await trx.updateTable('erasures').set({ status: 'completed', completed_at: now, plan: null, lease_until: null })
        .where('request_id', '=', requestId).where('attempts', '=', token).executeTakeFirst();
      if (Number(closed.numUpdatedRows) === 0) throw new AppError('conflict', 'the erasure was taken over by another worker');
      await this.#deps.register.close(trx, requestId, 'completed');
      await this.#deps.audit.record(trx, INSTANCE_CHAIN, { action: 'erasure.completed', targetType: 'person', targetId: personId });
    });
  }
}

interface Claim {
  requestId: string;
  personId: string;
  /** The claim's number (attempts): every write of this run names it. */
  token: number;
}

function view(row: Selectable<RightsTables['erasures']>): ErasureView {
  return { id: row.request_id, status: row.status, requestedAt: row.created_at, eraseAfter: row.erase_after, completedAt: row.completed_at };
}
