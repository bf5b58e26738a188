// Data events in the workspace's audit chain, in the transaction of the change (P-AUD-1): ids,
// counts and model details only, never content. The caller's IP and user agent are sealed by the
// audit trail under the person's own secret.
import type { Transaction } from 'kysely';
import type { DataTables } from './tables.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { Principal } from '../core/principal.ts';

export interface DataEvent {
  action: string;
  targetType: string;
  targetId: string;
  details?: Record<string, number | boolean | string>;
}

export async function recordDataEvent(audit: AuditTrail, trx: Transaction<DataTables>, principal: Principal, event: DataEvent): Promise<void> {
  const { ip, userAgent } = principal.client;
  await audit.record(trx, principal.workspaceId, {
    ...event,
    actorId: principal.personId,
    details: { ...event.details, via: principal.kind },
    client: ip || userAgent ? { ip, userAgent } : undefined,
  });
}
