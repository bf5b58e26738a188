// The steps of an erasure, each idempotent so that a run resumed after a crash can do it again:
// what is gone stays gone, a shredded secret stays shredded. They walk the data registry, so a new
// table is erased without new code here.
import { sql, type Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import { AppError } from '../core/errors.ts';
import type { Principal } from '../core/principal.ts';
import type { Sealer } from '../crypto/index.ts';
import { TABLES, tableEntry, type TableEntry } from '../db/registry.ts';
import { ownedBy } from './scope.ts';
import { transaction } from '../db/transaction.ts';
import { withTenant } from '../db/tenant.ts';
import type { Vault } from '../vault/index.ts';
import type { RightsTables } from './tables.ts';

export interface StepDeps {
  db: Kysely<RightsTables>;
  sealer: Pick<Sealer, 'shredTenant'>;
  audit: AuditTrail;
  vault: Pick<Vault, 'credentials'>;
}

const tenantTables = TABLES.filter((entry) => entry.owner.kind === 'workspace' && entry.owner.column === 'tenant_id');
const erasable = (entry: TableEntry) => entry.keptAtErasure === undefined;

/**
 * At the request, and again first thing in the run: every way in goes. Sessions, the API keys the
 * person made, the tokens of external sign-ins, pending password resets, and the provider
 * credentials they hold (all of a workspace that is theirs alone, the ones they added elsewhere),
 * each deleted through the vault so that its own secret is shredded and its proposals voided.
 */
export async function revokeAccess(deps: StepDeps, personId: string, workspaces: { alone: string[]; shared: string[] }): Promise<void> {
  await transaction(deps.db, async (trx) => {
    // The ways in that are rows of their own, picked as the registry says whose they are.
    for (const table of ['sessions', 'api_keys', 'verifications']) {
      await sql`delete from ${sql.table(table)} where ${ownedBy(tableEntry(table)!, personId)}`.execute(trx);
    }
    await sql`update accounts set "accessToken" = null, "refreshToken" = null, "idToken" = null where "userId" = ${personId}`.execute(trx);
  });
  const owned = async (workspaceId: string, all: boolean) => withTenant(deps.db, workspaceId, async (trx) => {
    const { rows } = await sql<{ id: string }>`select id from credentials ${all ? sql`` : sql`where created_by = ${personId}`}`.execute(trx);
    return rows.map((row) => row.id);
  });
  for (const [workspaceId, all] of [...workspaces.alone.map((id) => [id, true] as const), ...workspaces.shared.map((id) => [id, false] as const)]) {
    for (const credentialId of await owned(workspaceId, all)) {
      // The erasure acts as the person with an owner's rights in their own workspaces.
      const asThePerson: Principal = {
        kind: 'session', workspaceId, personId, credentialId: personId, client: {}, role: 'owner', scopes: new Set(['read', 'write']), termsAccepted: true,
      };
      await deps.vault.credentials.delete(asThePerson, credentialId).catch((err: unknown) => {
        if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      });
    }
  }
}

/**
 * A workspace that was the person's alone: every row of every table goes (but the append-only
 * audit trail and the data keys, which the shredding makes unreadable), the workspace row with its
 * memberships and keys, and then its secret: every copy of anything sealed for it, in backups too,
 * stops opening at that moment.
 */
export async function eraseWorkspace(deps: StepDeps, workspaceId: string): Promise<void> {
  await withTenant(deps.db, workspaceId, async (trx) => {
    // Children before parents, in reverse registry order (messages before conversations).
    for (const entry of [...tenantTables].reverse().filter(erasable)) await sql`delete from ${sql.table(entry.table)}`.execute(trx);
    await deps.audit.record(trx, workspaceId, { action: 'workspace.erased', targetType: 'workspace', targetId: workspaceId, details: { via: 'erasure' } });
  });
  await transaction(deps.db, async (trx) => {
    for (const entry of TABLES.filter((e) => e.workspaceColumn !== undefined && erasable(e))) {
      await sql`delete from ${sql.table(entry.table)} where ${sql.ref(entry.workspaceColumn!)} = ${workspaceId}`.execute(trx);
    }
    await sql`delete from workspaces where id = ${workspaceId}`.execute(trx);
  });
  await deps.sealer.shredTenant(workspaceId);
}

/**
 * A workspace shared with others: what the person wrote or decided stays, under a pseudonym that
 * names nobody (a fresh id per workspace, linked to the person nowhere once the erasure is done);
 * their membership goes. The audit trail keeps its entries as they are (append-only, ids only).
 */
export async function pseudonymise(deps: StepDeps, personId: string, workspaceId: string, pseudonym: string): Promise<void> {
  await withTenant(deps.db, workspaceId, async (trx) => {
    for (const entry of tenantTables.filter((e) => e.people?.length && erasable(e))) {
      for (const column of entry.people!) {
        await sql`update ${sql.table(entry.table)} set ${sql.ref(column)} = ${pseudonym} where ${sql.ref(column)} = ${personId}`.execute(trx);
      }
    }
    await deps.audit.record(trx, workspaceId, { action: 'member.erased', targetType: 'person', targetId: pseudonym });
  });
  // Its other members may be leaving at this very moment (two erasures at once, each of which saw
  // the workspace shared): under the workspace row's lock, the last one to leave erases it instead,
  // so that no workspace is left with nobody in it and all of its data.
  const last = await transaction(deps.db, async (trx) => {
    await sql`select id from workspaces where id = ${workspaceId} for update`.execute(trx);
    const { rows } = await sql<{ others: number }>`
      select count(*)::int as others from memberships where "organizationId" = ${workspaceId} and "userId" <> ${personId}`.execute(trx);
    if (rows[0]!.others === 0) return true;
    await sql`delete from memberships where "organizationId" = ${workspaceId} and "userId" = ${personId}`.execute(trx);
    return false;
  });
  if (last) await eraseWorkspace(deps, workspaceId);
}
