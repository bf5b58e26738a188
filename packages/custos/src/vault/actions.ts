// Confirm-before-mutate (P-ACT-1): an agent proposes one HTTP operation on a connected provider; it
// runs only after a person, signed in with a session and a role that may approve, approves that
// exact operation by sending back its hash. Every step is in the workspace's audit chain (P-AUD-2).
//
//   proposed → approved → executing → succeeded | failed
//   proposed → rejected | expired | voided
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Sealer } from '../crypto/index.ts';
import { withTenant } from '../db/tenant.ts';
import { createdBefore, createdCursor, decodeCursor, encodeCursor, exactCreatedAt, recordDataEvent, type Page } from '../data/index.ts';
import { can } from '../identity/index.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { actionContext, actionView, openOperation, type ActionRow, type ActionView } from './action-view.ts';
import type { Principal } from '../core/principal.ts';
import { credentialNotFound, type Credentials, type StoredCredential } from './credentials.ts';
import type { Executor } from './execute.ts';
import { ACTION_EXPIRE } from './jobs.ts';
import { checkOperation, operationHash, sameHash, type Operation, type OperationInput } from './operation.ts';
import type { ActionStatus, VaultTables, VaultTrx } from './tables.ts';

export interface ActionsDeps {
  db: Kysely<VaultTables>;
  sealer: Sealer;
  audit: AuditTrail;
  queue: JobQueue;
  credentials: Credentials;
  executor: Executor;
  /** Refusal reason for an address literal, null when actions may reach it (egress policy). */
  addressRefused: (ip: string) => string | null;
  ttlSeconds: number;
}

export interface ProposalInput {
  credentialId: string;
  summary: string;
  operation: OperationInput;
}

export interface ActionFilters {
  status?: ActionStatus;
  credentialId?: string;
  limit: number;
  cursor?: string;
}

const TERMINAL: readonly ActionStatus[] = ['succeeded', 'failed', 'rejected', 'expired', 'voided'];
export const actionNotFound = () => new AppError('not_found', 'no such action');
const notPending = (status: ActionStatus) => new AppError('action_not_pending', `this action is ${status}, not waiting for a decision`, { status });

export class Actions {
  readonly #deps: ActionsDeps;

  constructor(deps: ActionsDeps) {
    this.#deps = deps;
  }

  async propose(principal: Principal, input: ProposalInput): Promise<ActionView> {
    if (!can(principal.role, 'action', 'propose')) throw new AppError('forbidden', 'your role cannot propose actions');
    return withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      const stored = await this.#deps.credentials.stored(trx, input.credentialId, 'share');
      if (!stored) throw credentialNotFound();
      const operation = this.#check(input.operation, stored);
      return this.#insertProposal(trx, principal, { credentialId: input.credentialId, provider: stored.provider.name, summary: input.summary, operation, replayOf: null });
    });
  }

  /** A new proposal of a finished action's operation: it needs an approval of its own. */
  async replay(principal: Principal, id: string): Promise<ActionView> {
    if (!can(principal.role, 'action', 'propose')) throw new AppError('forbidden', 'your role cannot propose actions');
    return withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      const row = await this.#row(trx, id);
      if (!TERMINAL.includes(row.status)) throw new AppError('conflict', 'only a finished action can be replayed', { status: row.status });
      const stored = await this.#credentialOf(trx, row);
      const summary = (await this.#deps.sealer.open(trx, actionContext(principal.workspaceId, id, 'summary'), row.summary)).toString('utf8');
      const operation = this.#check(await openOperation(this.#deps.sealer, trx, principal.workspaceId, row), stored);
      return this.#insertProposal(trx, principal, { credentialId: stored.row.id, provider: row.provider, summary, operation, replayOf: id });
    });
  }

  async list(principal: Principal, filters: ActionFilters): Promise<Page<ActionView>> {
    if (!can(principal.role, 'action', 'read')) throw new AppError('forbidden', 'your role cannot see actions');
    const after = decodeCursor(filters.cursor, createdCursor);
    return withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      let query = trx.selectFrom('actions').selectAll().select(exactCreatedAt.as('position'))
        .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filters.limit + 1);
      // As the views show them: a proposal past its expiry is expired, even before the job marks it.
      if (filters.status === 'expired') query = query.where((eb) => eb.or([eb('status', '=', 'expired'), eb.and([eb('status', '=', 'proposed'), eb('expires_at', '<=', new Date())])]));
      else if (filters.status === 'proposed') query = query.where('status', '=', 'proposed').where('expires_at', '>', new Date());
      else if (filters.status) query = query.where('status', '=', filters.status);
      if (filters.credentialId) query = query.where('credential_id', '=', filters.credentialId);
      if (after) query = query.where(createdBefore(after));
      const rows = await query.execute();
      const page = rows.slice(0, filters.limit);
      const last = page.at(-1);
      return {
        items: await Promise.all(page.map((row) => actionView(this.#deps.sealer, trx, principal.workspaceId, row as ActionRow, false))),
        nextCursor: rows.length > filters.limit && last ? encodeCursor([last.position, last.id]) : null,
      };
    });
  }

  async get(principal: Principal, id: string): Promise<ActionView> {
    if (!can(principal.role, 'action', 'read')) throw new AppError('forbidden', 'your role cannot see actions');
    return withTenant(this.#deps.db, principal.workspaceId, async (trx) => actionView(this.#deps.sealer, trx, principal.workspaceId, await this.#row(trx, id), true));
  }

  /**
   * A person approves the operation whose hash they were shown; custos then runs it at most once
   * and answers with the outcome. Another approval of the same action finds it no longer pending.
   */
  async approve(principal: Principal, id: string, shownHash: string): Promise<ActionView> {
    this.#mayDecide(principal);
    const decision = await withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      const row = await this.#pending(trx, principal.workspaceId, id);
      if (row === 'expired') return row;
      const operation = await openOperation(this.#deps.sealer, trx, principal.workspaceId, row);
      if (!sameHash(operationHash(id, row.credential_id, operation), shownHash)) {
        throw new AppError('operation_hash_mismatch', 'the operation is not the one whose hash was approved; read the action again');
      }
      this.#check(operation, await this.#credentialOf(trx, row));
      await trx.updateTable('actions').set({ status: 'approved', decided_by: principal.personId, decided_at: new Date(), updated_at: new Date() })
        .where('id', '=', id).execute();
      await recordDataEvent(this.#deps.audit, trx, principal, { action: 'action.approved', targetType: 'action', targetId: id, details: { provider: row.provider, method: row.method } });
      // If this server dies before or during the call, another one finds out from this job.
      await this.#deps.executor.scheduleRecovery(trx, principal.workspaceId, id);
      return 'approved' as const;
    });
    if (decision === 'expired') throw new AppError('action_expired', 'this proposal expired before it was approved');
    await this.#deps.executor.run(principal.workspaceId, id);
    return this.get(principal, id);
  }

  async reject(principal: Principal, id: string): Promise<ActionView> {
    this.#mayDecide(principal);
    const decision = await withTenant(this.#deps.db, principal.workspaceId, async (trx) => {
      const row = await this.#pending(trx, principal.workspaceId, id);
      if (row === 'expired') return row;
      await trx.updateTable('actions').set({ status: 'rejected', decided_by: principal.personId, decided_at: new Date(), updated_at: new Date() })
        .where('id', '=', id).execute();
      await recordDataEvent(this.#deps.audit, trx, principal, { action: 'action.rejected', targetType: 'action', targetId: id, details: { provider: row.provider } });
      return 'rejected' as const;
    });
    if (decision === 'expired') throw new AppError('action_expired', 'this proposal expired before it was decided');
    return this.get(principal, id);
  }

  /** The expiry job: a proposal nobody decided on in time. */
  async expireDue(tenantId: string, id: string): Promise<void> {
    await withTenant(this.#deps.db, tenantId, async (trx) => {
      const row = await trx.selectFrom('actions').select(['status', 'expires_at']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (row?.status === 'proposed' && row.expires_at <= new Date()) await this.#expire(trx, tenantId, id);
    });
  }

  #mayDecide(principal: Principal): void {
    // The route admits sessions only; this holds for any other caller of the service too.
    if (principal.kind !== 'session') throw new AppError('session_required', 'only a person signed in may approve or reject an action');
    if (!can(principal.role, 'action', 'approve')) throw new AppError('forbidden', 'your role cannot approve or reject actions');
  }

  /** The action locked for a decision; 'expired' (and so marked) when it waited too long. */
  async #pending(trx: VaultTrx, tenantId: string, id: string): Promise<ActionRow | 'expired'> {
    const row = await this.#row(trx, id, true);
    if (row.status !== 'proposed') throw notPending(row.status);
    return row.expires_at <= new Date() ? this.#expire(trx, tenantId, id) : row;
  }

  /** The action's credential, locked against deletion until commit. */
  async #credentialOf(trx: VaultTrx, row: ActionRow): Promise<StoredCredential> {
    const stored = row.credential_id ? await this.#deps.credentials.stored(trx, row.credential_id, 'share') : null;
    if (!stored) throw new AppError('credential_missing', 'the credential of this action was deleted');
    return stored;
  }

  /** Where the operation may go, as the credential and the operator's settings stand now. */
  #check(operation: OperationInput | Operation, stored: StoredCredential): Operation {
    return checkOperation(operation, { provider: stored.provider, baseUrl: stored.row.base_url, addressRefused: this.#deps.addressRefused });
  }

  async #expire(trx: VaultTrx, tenantId: string, id: string): Promise<'expired'> {
    await trx.updateTable('actions').set({ status: 'expired', reason: 'expired', updated_at: new Date() }).where('id', '=', id).execute();
    await this.#deps.audit.record(trx, tenantId, { action: 'action.expired', targetType: 'action', targetId: id });
    return 'expired';
  }

  async #row(trx: VaultTrx, id: string, forUpdate = false): Promise<ActionRow> {
    let query = trx.selectFrom('actions').selectAll().where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw actionNotFound();
    return row as ActionRow;
  }

  async #insertProposal(
    trx: VaultTrx,
    principal: Principal,
    proposal: { credentialId: string; provider: string; summary: string; operation: Operation; replayOf: string | null },
  ): Promise<ActionView> {
    const id = newId();
    const seal = await this.#deps.sealer.sealerFor(trx, principal.workspaceId);
    const row = await trx.insertInto('actions').values({
      tenant_id: principal.workspaceId,
      id,
      credential_id: proposal.credentialId,
      provider: proposal.provider,
      method: proposal.operation.method,
      host: new URL(proposal.operation.url).host,
      summary: seal(actionContext(principal.workspaceId, id, 'summary'), Buffer.from(proposal.summary, 'utf8')),
      operation: seal(actionContext(principal.workspaceId, id, 'operation'), Buffer.from(JSON.stringify(proposal.operation), 'utf8')),
      status: 'proposed',
      proposed_by: principal.personId,
      proposed_via: principal.kind,
      api_key_id: principal.kind === 'api_key' ? principal.credentialId : null,
      expires_at: new Date(Date.now() + this.#deps.ttlSeconds * 1000),
      replay_of: proposal.replayOf,
    }).returningAll().executeTakeFirstOrThrow();
    await recordDataEvent(this.#deps.audit, trx, principal, {
      action: 'action.proposed', targetType: 'action', targetId: id,
      details: { provider: proposal.provider, method: proposal.operation.method, ...(proposal.replayOf ? { replayOf: proposal.replayOf } : {}) },
    });
    await this.#deps.queue.enqueue(trx, ACTION_EXPIRE, { tenantId: principal.workspaceId, actionId: id }, { startAfterSeconds: this.#deps.ttlSeconds + 1 });
    return actionView(this.#deps.sealer, trx, principal.workspaceId, row as ActionRow, false);
  }
}

