// An action as the API shows it: the clear columns, the sealed summary and operation opened, the
// hash the approver must send back, and (for one action) the workflow log of its execution.
import type { Selectable } from 'kysely';
import type { Sealer, SealContext } from '../crypto/index.ts';
import { operationHash, type Operation } from './operation.ts';
import type { ActionStatus, ActionsTable, VaultTrx } from './tables.ts';

/** What an execution sent and received (P-DAT-6), sealed in actions.execution. */
export interface ExecutionLog {
  /** The request as sent; the header carrying the secret shows `[REDACTED]` in its place. */
  request: { method: string; url: string; headers: Record<string, string> };
  response: {
    status: number;
    headers: Record<string, string | string[]>;
    body: string;
    bodyEncoding: 'utf8' | 'base64';
    truncated: boolean;
  } | null;
  remoteAddress: string | null;
  firstByteMs: number | null;
  durationMs: number;
  /** Why no response was recorded (address_refused, timeout, network, tls, credential_deleted…). */
  error: string | null;
}

export interface ActionView {
  id: string;
  status: ActionStatus;
  reason: string | null;
  provider: string;
  credentialId: string | null;
  summary: string;
  operation: Operation;
  operationHash: string;
  proposedBy: string | null;
  proposedVia: 'session' | 'api_key';
  decidedBy: string | null;
  decidedAt: Date | null;
  expiresAt: Date;
  replayOf: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  responseStatus: number | null;
  createdAt: Date;
  updatedAt: Date;
  /** Present when one action is read; lists leave it out. */
  execution?: ExecutionLog | null;
}

export type ActionRow = Selectable<ActionsTable>;

export function actionContext(tenantId: string, id: string, column: 'summary' | 'operation' | 'execution'): SealContext {
  return { tenantId, table: 'actions', column, rowId: id };
}

/** A proposal past its expiry reads as expired even before the expiry job has marked it. */
export function effectiveStatus(row: Pick<ActionsTable, 'status' | 'expires_at'>, now = new Date()): ActionStatus {
  return row.status === 'proposed' && row.expires_at <= now ? 'expired' : row.status;
}

export async function openOperation(sealer: Sealer, trx: VaultTrx, tenantId: string, row: Pick<ActionsTable, 'id' | 'operation'>): Promise<Operation> {
  return JSON.parse((await sealer.open(trx, actionContext(tenantId, row.id, 'operation'), row.operation)).toString('utf8')) as Operation;
}

export async function actionView(sealer: Sealer, trx: VaultTrx, tenantId: string, row: ActionRow, withExecution: boolean): Promise<ActionView> {
  const opener = await sealer.openerFor(trx, tenantId);
  const summary = (await opener(actionContext(tenantId, row.id, 'summary'), row.summary)).toString('utf8');
  const operation = JSON.parse((await opener(actionContext(tenantId, row.id, 'operation'), row.operation)).toString('utf8')) as Operation;
  const status = effectiveStatus(row);
  const view: ActionView = {
    id: row.id,
    status,
    // Expired before the job marked it: the stored reason is still empty.
    reason: status !== row.status ? 'expired' : row.reason,
    provider: row.provider,
    credentialId: row.credential_id,
    summary,
    operation,
    operationHash: operationHash(row.id, row.credential_id, operation),
    proposedBy: row.proposed_by,
    proposedVia: row.proposed_via,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    expiresAt: row.expires_at,
    replayOf: row.replay_of,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    responseStatus: row.response_status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (withExecution) {
    view.execution = row.execution
      ? JSON.parse((await opener(actionContext(tenantId, row.id, 'execution'), row.execution)).toString('utf8')) as ExecutionLog
      : null;
  }
  return view;
}
