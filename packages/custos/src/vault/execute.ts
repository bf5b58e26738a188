// Running an approved action, at most once: `approved → executing` is a compare-and-set, so of two
// servers (or an approval and the recovery job) only one makes the call. The secret is opened by
// useSecret() for the call alone; the workflow log (P-DAT-6) keeps the request as sent with the
// secret redacted and the response scrubbed of it, sealed. A server that dies during the call
// leaves the action executing; the recovery job then ends it as failed, `interrupted`, and never
// calls again: whether the provider acted is for a person to check, not for custos to guess.
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import { isAppError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Sealer } from '../crypto/index.ts';
import { withTenant } from '../db/tenant.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { actionContext, openOperation, type ExecutionLog } from './action-view.ts';
import { ACTION_RECOVER } from './jobs.ts';
import { EgressError, sendOutbound, type EgressPolicy, type OutboundRequest, type OutboundResponse } from './egress.ts';
import type { Operation } from './operation.ts';
import { REDACTED } from './scrub.ts';
import type { OpenedSecret, Secrets } from './use-secret.ts';
import type { VaultTables, VaultTrx } from './tables.ts';

export interface ExecutorDeps {
  db: Kysely<VaultTables>;
  sealer: Sealer;
  audit: AuditTrail;
  secrets: Secrets;
  egress: EgressPolicy;
  log: Logger;
  queue: JobQueue;
  /**
   * A call not started this long after its claim is not started at all; the recovery job waits
   * this long past the call's deadline, counted from the claim. Together: a call the recovery job
   * declares interrupted has either ended or never begun, and will not begin.
   */
  startWithinSeconds: number;
}

interface Claimed {
  id: string;
  /** performance.now() when the claim committed. */
  claimedAt: number;
  credentialId: string | null;
  approvedBy: string | null;
  operation: Operation;
}

interface Outcome {
  status: 'succeeded' | 'failed';
  reason: string | null;
  responseStatus: number | null;
  log: ExecutionLog | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Executor {
  readonly #deps: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /** Runs the action if it is approved and nobody has started it; otherwise does nothing. */
  async run(tenantId: string, id: string): Promise<void> {
    const claimed = await withTenant(this.#deps.db, tenantId, async (trx): Promise<Omit<Claimed, 'claimedAt'> | null> => {
      const row = await trx.updateTable('actions').set({ status: 'executing', started_at: new Date(), updated_at: new Date() })
        .where('id', '=', id).where('status', '=', 'approved')
        .returning(['id', 'credential_id', 'decided_by', 'provider', 'method', 'operation']).executeTakeFirst();
      if (!row) return null;
      await this.#deps.audit.record(trx, tenantId, {
        action: 'action.executing', ...(row.decided_by ? { actorId: row.decided_by } : {}), targetType: 'action', targetId: id,
        details: { provider: row.provider, method: row.method },
      });
      return { id, credentialId: row.credential_id, approvedBy: row.decided_by, operation: await openOperation(this.#deps.sealer, trx, tenantId, row) };
    });
    if (!claimed) return;
    const call = { ...claimed, claimedAt: performance.now() };
    await this.#finish(tenantId, call, await this.#call(tenantId, call));
  }

  /**
   * Queues the recovery job (ACTION_RECOVER) in the caller's transaction: by default due once a
   * call claimed now must have ended (its start window and its deadline).
   */
  async scheduleRecovery(executor: Kysely<VaultTables> | VaultTrx, tenantId: string, id: string, afterMs = this.#deps.egress.timeoutMs + this.#deps.startWithinSeconds * 1000): Promise<void> {
    await this.#deps.queue.enqueue(executor, ACTION_RECOVER, { tenantId, actionId: id }, { startAfterSeconds: Math.ceil(afterMs / 1000) });
  }

  /** The recovery job (jobs.ts, ACTION_RECOVER). */
  async recover(tenantId: string, id: string): Promise<void> {
    const row = await withTenant(this.#deps.db, tenantId, (trx) =>
      trx.selectFrom('actions').select(['status', 'decided_by', 'started_at']).where('id', '=', id).executeTakeFirst());
    if (row?.status === 'approved') return this.run(tenantId, id);
    if (row?.status !== 'executing') return;
    // Too early if the claim came late (a slow transaction after the approval): look again then.
    const endsBy = (row.started_at?.getTime() ?? 0) + this.#deps.egress.timeoutMs + this.#deps.startWithinSeconds * 1000;
    if (endsBy > Date.now()) return this.scheduleRecovery(this.#deps.db, tenantId, id, endsBy - Date.now() + 1000);
    await this.#finish(tenantId, { id, approvedBy: row.decided_by }, { status: 'failed', reason: 'interrupted', responseStatus: null, log: null });
  }

  async #call(tenantId: string, claimed: Claimed): Promise<Outcome> {
    const started = performance.now();
    const failed = (reason: string): Outcome => ({ status: 'failed', reason, responseStatus: null, log: null });
    if (!claimed.credentialId) return failed('credential_deleted');
    try {
      return await this.#deps.secrets.useSecret(
        { workspaceId: tenantId, personId: claimed.approvedBy, execution: claimed.id }, claimed.credentialId, 'action.execute',
        async (secret) => {
          const request = outboundRequest(claimed.operation, secret);
          const sent = { method: request.method, url: secret.scrubber.text(request.url.href), headers: redactedHeaders(request.headers, secret) };
          if (performance.now() - claimed.claimedAt > this.#deps.startWithinSeconds * 1000) {
            // The recovery job may already count this call as interrupted: it must not begin.
            const log: ExecutionLog = { request: sent, response: null, remoteAddress: null, firstByteMs: null, durationMs: 0, error: 'not_started' };
            return { status: 'failed', reason: 'not_started', responseStatus: null, log };
          }
          try {
            return outcomeOf(sent, await sendOutbound(request, this.#deps.egress), secret);
          } catch (err) {
            if (!(err instanceof EgressError)) throw err;
            const log: ExecutionLog = { request: sent, response: null, remoteAddress: null, firstByteMs: null, durationMs: Math.round(performance.now() - started), error: err.code };
            return { status: 'failed', reason: err.code, responseStatus: null, log };
          }
        },
      );
    } catch (err) {
      if (isAppError(err) && (err.code === 'credential_missing' || err.code === 'key_shredded')) return failed('credential_deleted');
      // useSecret() has scrubbed it; the logger writes an error's type and frames, not its message.
      this.#deps.log.error({ err, action: claimed.id }, 'an approved action failed inside custos');
      return failed('internal');
    }
  }

  async #finish(tenantId: string, action: Pick<Claimed, 'id' | 'approvedBy'>, outcome: Outcome): Promise<void> {
    const recorded = await withTenant(this.#deps.db, tenantId, async (trx) => {
      const execution = outcome.log
        ? await this.#deps.sealer.seal(trx, actionContext(tenantId, action.id, 'execution'), Buffer.from(JSON.stringify(outcome.log), 'utf8'))
        : null;
      const row = await trx.updateTable('actions').set({
        status: outcome.status, reason: outcome.reason, response_status: outcome.responseStatus, execution,
        finished_at: new Date(), updated_at: new Date(),
      }).where('id', '=', action.id).where('status', '=', 'executing').returning(['provider']).executeTakeFirst();
      if (!row) return false;
      await this.#deps.audit.record(trx, tenantId, {
        action: `action.${outcome.status}`, ...(action.approvedBy ? { actorId: action.approvedBy } : {}), targetType: 'action', targetId: action.id,
        details: {
          provider: row.provider,
          ...(outcome.reason ? { reason: outcome.reason } : {}),
          ...(outcome.responseStatus !== null ? { responseStatus: outcome.responseStatus } : {}),
          ...(outcome.log ? { durationMs: outcome.log.durationMs } : {}),
        },
      });
      return true;
    });
    // The recovery job declared it interrupted first: the call did happen, once; its outcome is lost.
    if (!recorded) this.#deps.log.warn({ action: action.id }, 'an action finished after it was declared interrupted; its outcome was not recorded');
  }
}

function outboundRequest(operation: Operation, secret: OpenedSecret): OutboundRequest {
  const headers: Record<string, string> = { ...operation.headers };
  let body: Buffer | undefined;
  if (typeof operation.body === 'string') body = Buffer.from(operation.body, 'utf8');
  else if (operation.body !== null) {
    body = Buffer.from(JSON.stringify(operation.body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  const { header, scheme } = secret.provider.auth;
  headers[header] = scheme ? `${scheme} ${secret.value}` : secret.value;
  // Compressed, an echo of the secret would pass the scrubber.
  headers['accept-encoding'] = 'identity';
  return { method: operation.method, url: new URL(operation.url), headers, body };
}

function redactedHeaders(headers: Readonly<Record<string, string>>, secret: OpenedSecret): Record<string, string> {
  const { header, scheme } = secret.provider.auth;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = name === header ? (scheme ? `${scheme} ${REDACTED}` : REDACTED) : secret.scrubber.text(value);
  return out;
}

function outcomeOf(sent: ExecutionLog['request'], response: OutboundResponse, secret: OpenedSecret): Outcome {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    headers[secret.scrubber.text(name)] = Array.isArray(value) ? value.map((item) => secret.scrubber.text(item)) : secret.scrubber.text(value);
  }
  // A body encoded despite `accept-encoding: identity` cannot be scrubbed: it is not kept.
  const encoding = String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const body = encoding === 'identity' ? secret.scrubber.bytes(response.body) : Buffer.alloc(0);
  let text: string | null;
  try {
    text = utf8.decode(body);
  } catch {
    text = null;
  }
  const log: ExecutionLog = {
    request: sent,
    response: { status: response.status, headers, body: text ?? body.toString('base64'), bodyEncoding: text === null ? 'base64' : 'utf8', truncated: response.truncated },
    remoteAddress: response.remoteAddress,
    firstByteMs: response.timings.firstByteMs,
    durationMs: Math.round(response.timings.totalMs),
    error: null,
  };
  const status = response.status;
  if (status >= 200 && status < 300) return { status: 'succeeded', reason: null, responseStatus: status, log };
  return { status: 'failed', reason: status >= 300 && status < 400 ? 'redirect_not_followed' : 'provider_error', responseStatus: status, log };
}
