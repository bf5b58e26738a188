// Reading a chain of the audit trail back in tests: its actions, and whether it verifies.
import { sql, type Kysely } from 'kysely';
import { verifyChain, type AuditTables } from '../../src/audit/index.ts';
import { withTenant } from '../../src/db/tenant.ts';
import type { TestApp } from './app.ts';

export interface AuditRow {
  action: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
}

export async function auditRows(t: TestApp, chain: string): Promise<AuditRow[]> {
  return withTenant(t.app.database.db, chain, async (trx) =>
    (await sql<AuditRow>`select action, actor_id, target_type, target_id, details from audit_entries order by seq`.execute(trx)).rows);
}

export async function auditActions(t: TestApp, chain: string, actor?: string): Promise<string[]> {
  return (await auditRows(t, chain)).filter((r) => !actor || r.actor_id === actor).map((r) => r.action);
}

/** The chain's first problem, or null when it verifies. */
export async function verifyAudit(t: TestApp, chain: string): Promise<string | null> {
  const macKey = await t.app.keys.audit.macKey();
  return withTenant(t.app.database.db, chain, async (trx) => (await verifyChain(trx as unknown as Kysely<AuditTables>, chain, macKey)).problem);
}
