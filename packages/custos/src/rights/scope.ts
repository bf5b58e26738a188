// Whose data is whose: the workspaces a person belongs to, split by what their rights reach. In a
// workspace where they are the only member, everything is theirs: their export holds it all and
// their erasure deletes it all. In a workspace shared with others, only the rows naming them are
// theirs (what they wrote stays with the workspace, under a pseudonym once they are erased).
import { sql, type Kysely } from 'kysely';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import { TABLES, type TableEntry } from '../db/registry.ts';
import type { RightsTables } from './tables.ts';

export interface PersonScope {
  personId: string;
  email: string;
  /** Workspaces where the person is the only member. */
  alone: string[];
  /** Workspaces shared with others, and those the person has left (only the rows naming them are theirs). */
  shared: string[];
  /** Shared workspaces where the person is the only owner: erasure waits until ownership moves. */
  soleOwnerOf: string[];
}

export async function scopeOf(db: Kysely<RightsTables>, personId: string, email: string): Promise<PersonScope> {
  const { rows } = await sql<{ id: string; role: string; members: number; owners: number }>`
    select m."organizationId" as id, m.role,
           (select count(*)::int from memberships o where o."organizationId" = m."organizationId") as members,
           (select count(*)::int from memberships o where o."organizationId" = m."organizationId" and o.role = 'owner') as owners
      from memberships m where m."userId" = ${personId}
     order by m."createdAt", m."organizationId"`.execute(db);
  // Left ones (and not joined again): what they wrote there is theirs, as in a shared workspace.
  const { rows: left } = await sql<{ id: string }>`
    select f.workspace_id as id from former_memberships f
     where f.person_id = ${personId}
       and not exists (select 1 from memberships m where m."organizationId" = f.workspace_id and m."userId" = f.person_id)
     order by f.left_at, f.workspace_id`.execute(db);
  return {
    personId,
    email,
    alone: rows.filter((row) => row.members === 1).map((row) => row.id),
    shared: [...rows.filter((row) => row.members > 1).map((row) => row.id), ...left.map((row) => row.id)],
    soleOwnerOf: rows.filter((row) => row.members > 1 && row.role === 'owner' && row.owners === 1).map((row) => row.id),
  };
}

/** The scope of a person by id; null once their account row is gone. */
export async function personScope(db: Kysely<RightsTables>, personId: string): Promise<PersonScope | null> {
  const { rows } = await sql<{ email: string }>`select email from people where id = ${personId}`.execute(db);
  return rows[0] ? scopeOf(db, personId, rows[0].email) : null;
}

/**
 * One place a table holds a person's rows: in one workspace (a tenant transaction for `tenantId`)
 * or in a global table, and the condition that picks them.
 */
export interface Selection {
  entry: TableEntry;
  /** Set for tenant tables: the rows are read in a withTenant transaction for it. */
  tenantId?: string;
  /** The workspace the rows belong to (null: the person's own, in a global table). */
  workspaceId: string | null;
  where: ReturnType<typeof sql>;
}

const ref = (column: string) => sql.ref(column);

/**
 * The condition picking the rows of a table the person owns (`owner.kind === 'person'`): by their
 * id, and by their address where the table names one (an invitation sent to them).
 */
export function ownedBy(entry: TableEntry, personId: string, email?: string): ReturnType<typeof sql> {
  if (entry.owner.kind !== 'person') throw new Error(`${entry.table} is not a person's table`);
  const owner = entry.owner.jsonField
    ? sql`(${ref(entry.owner.column)}::jsonb ->> ${sql.lit(entry.owner.jsonField)}) = ${personId}`
    // No cast on the column: the parameter takes its type, and the column's index serves.
    : sql`${ref(entry.owner.column)} = ${personId}`;
  return entry.emailColumn && email !== undefined ? sql`(${owner} or ${ref(entry.emailColumn)} = ${email})` : owner;
}

/** Rows a person wrote or decided, or that are about them. */
function namesPerson(entry: TableEntry, personId: string): ReturnType<typeof sql> | undefined {
  const conditions = [
    ...(entry.people ?? []).map((column) => sql`${ref(column)} = ${personId}`),
    ...(entry.about ? [sql`${ref(entry.about)} = ${personId}`] : []),
  ];
  return conditions.length > 0 ? sql`(${sql.join(conditions, sql` or `)})` : undefined;
}

/** Every place a person's rows are, table by table in registry order. */
export function selectionsOf(scope: PersonScope, tables: readonly TableEntry[] = TABLES): Selection[] {
  const selections: Selection[] = [];
  for (const entry of tables) {
    const owner = entry.owner;
    if (owner.kind === 'person') {
      selections.push({ entry, workspaceId: null, where: ownedBy(entry, scope.personId, scope.email) });
    } else if (owner.kind === 'workspace' && owner.column === 'id') {
      for (const workspaceId of scope.alone) selections.push({ entry, workspaceId, where: sql`id = ${workspaceId}` });
    } else if (owner.kind === 'workspace') {
      for (const workspaceId of scope.alone) selections.push({ entry, tenantId: workspaceId, workspaceId, where: sql`true` });
      const naming = namesPerson(entry, scope.personId);
      // The instance chain is nobody's workspace: the person's own events there are theirs.
      if (!naming) continue;
      for (const workspaceId of scope.shared) selections.push({ entry, tenantId: workspaceId, workspaceId, where: naming });
      selections.push({ entry, tenantId: INSTANCE_CHAIN, workspaceId: null, where: naming });
    }
  }
  return selections;
}
