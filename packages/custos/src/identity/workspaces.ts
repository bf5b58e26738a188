// Workspaces (tenants) and their members. Better Auth's organization plugin owns the tables; custos
// writes them here so that every change checks the role (roles.ts) and is audited in the
// workspace's own chain in the same transaction. A workspace's id is the tenant id of RLS.
import type { Kysely } from 'kysely';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Principal } from '../core/principal.ts';
import type { IdentityRecorder } from './recorder.ts';
import { can, isRole, type Role } from './roles.ts';
import type { IdentityTables, IdentityTrx } from './tables.ts';

export interface WorkspaceView {
  id: string;
  name: string;
  role: string;
  personal: boolean;
  createdAt: Date;
}

export interface MemberView {
  personId: string;
  role: string;
  joinedAt: Date;
}

/** A session acts with the person's role; an API key also needs the `admin` scope to manage. */
export function hasAdminScope(principal: Principal): boolean {
  return principal.kind === 'session' || principal.scopes.has('admin');
}

const notFound = () => new AppError('not_found', 'no such workspace');

export class Workspaces {
  readonly #db: Kysely<IdentityTables>;
  readonly #recorder: IdentityRecorder;
  /** Crypto-shreds a deleted workspace's data keys. */
  readonly #shred: (workspaceId: string) => Promise<void>;

  constructor(db: Kysely<IdentityTables>, recorder: IdentityRecorder, shred: (workspaceId: string) => Promise<void>) {
    this.#db = db;
    this.#recorder = recorder;
    this.#shred = shred;
  }

  #ofPerson(personId: string) {
    return this.#db.selectFrom('memberships as m').innerJoin('workspaces as w', 'w.id', 'm.organizationId')
      .select(['w.id', 'w.name', 'm.role', 'w.personal', 'w.createdAt'])
      .where('m.userId', '=', personId);
  }

  async list(personId: string): Promise<WorkspaceView[]> {
    return this.#ofPerson(personId).orderBy('w.personal', 'desc').orderBy('w.createdAt').execute();
  }

  /** The caller's view of one workspace; 404 when they are not a member. */
  async get(personId: string, workspaceId: string): Promise<WorkspaceView> {
    const found = await this.#ofPerson(personId).where('w.id', '=', workspaceId).executeTakeFirst();
    if (!found) throw notFound();
    return found;
  }

  /** What a principal sees: a person sees their workspaces; an API key only its own. */
  async visible(principal: Principal, workspaceId: string): Promise<WorkspaceView> {
    if (principal.kind === 'api_key' && principal.workspaceId !== workspaceId) throw notFound();
    return this.get(principal.personId, workspaceId);
  }

  /** `client` defaults to the request's (in Better Auth's hooks) when not given. */
  async create(personId: string, name: string, options: { personal?: boolean; client?: Principal['client'] } = {}): Promise<WorkspaceView> {
    const id = newId();
    const createdAt = new Date();
    const personal = options.personal ?? false;
    await this.#recorder.workspace(id, { action: 'workspace.created', actorId: personId, client: options.client, targetType: 'workspace', targetId: id, details: { personal } }, async (trx) => {
      await trx.insertInto('workspaces').values({ id, name, slug: id, createdAt, personal, metadata: null, logo: null }).execute();
      await trx.insertInto('memberships').values({ id: newId(), organizationId: id, userId: personId, role: 'owner', createdAt }).execute();
    });
    return { id, name, role: 'owner', personal, createdAt };
  }

  async rename(principal: Principal, workspaceId: string, name: string): Promise<WorkspaceView> {
    const current = await this.visible(principal, workspaceId);
    this.#require(current.role, principal, 'update');
    await this.#recorder.workspace(workspaceId, { action: 'workspace.renamed', actorId: principal.personId, client: principal.client, targetType: 'workspace', targetId: workspaceId }, async (trx) => {
      await trx.updateTable('workspaces').set({ name }).where('id', '=', workspaceId).execute();
    });
    return { ...current, name };
  }

  /** Leaves a shared workspace. The last owner must hand ownership on first; a personal one cannot be left. */
  async leave(personId: string, workspaceId: string): Promise<void> {
    const current = await this.get(personId, workspaceId);
    if (current.personal) throw new AppError('conflict', 'a personal workspace cannot be left; it goes with the account');
    await this.#recorder.workspace(workspaceId, { action: 'member.left', actorId: personId, targetType: 'person', targetId: personId }, async (trx) => {
      // The workspace row before any membership row, as erasure and deletion take them: the
      // former_memberships row below locks the workspace row too (its foreign key), and taking it
      // last, after the owners' memberships, could deadlock with them.
      await trx.selectFrom('workspaces').select('id').where('id', '=', workspaceId).forKeyShare().execute();
      await this.#refuseLastOwner(trx, workspaceId, personId);
      await trx.deleteFrom('memberships')
        .where('organizationId', '=', workspaceId).where('userId', '=', personId).execute();
      // What they wrote there still names them: their export and erasure must still find it.
      await trx.insertInto('former_memberships').values({ person_id: personId, workspace_id: workspaceId }).onConflict((oc) => oc.doNothing()).execute();
    });
  }

  /** Deletes a workspace (owner only): its keys and memberships go, and its data keys are shredded. */
  async delete(principal: Principal, workspaceId: string): Promise<void> {
    const current = await this.visible(principal, workspaceId);
    this.#require(current.role, principal, 'delete');
    if (current.personal) throw new AppError('conflict', 'a personal workspace is deleted with the account');
    // The chain keeps the record of the deletion; the workspace's secret then goes, so that every
    // value sealed for it, in the database and in every backup, is unreadable.
    await this.#recorder.workspace(workspaceId, { action: 'workspace.deleted', actorId: principal.personId, client: principal.client, targetType: 'workspace', targetId: workspaceId }, async (trx) => {
      await trx.deleteFrom('api_keys').where('referenceId', '=', workspaceId).execute();
      await trx.deleteFrom('workspaces').where('id', '=', workspaceId).execute();
    });
    await this.#shred(workspaceId);
  }

  async members(principal: Principal, workspaceId: string): Promise<MemberView[]> {
    await this.visible(principal, workspaceId);
    const rows = await this.#db.selectFrom('memberships').select(['userId', 'role', 'createdAt'])
      .where('organizationId', '=', workspaceId).orderBy('createdAt').execute();
    return rows.map((row) => ({ personId: row.userId, role: row.role, joinedAt: row.createdAt }));
  }

  /** Changes a member's role. Admins manage members; only an owner makes or unmakes an owner. */
  async setRole(principal: Principal, workspaceId: string, personId: string, role: Role): Promise<MemberView> {
    const current = await this.visible(principal, workspaceId);
    if (!can(current.role, 'member', 'update') || !hasAdminScope(principal)) throw new AppError('forbidden', 'your role cannot change members');
    const target = await this.#db.selectFrom('memberships').select(['role', 'createdAt'])
      .where('organizationId', '=', workspaceId).where('userId', '=', personId).executeTakeFirst();
    if (!target) throw new AppError('not_found', 'no such member');
    if ((role === 'owner' || target.role === 'owner') && current.role !== 'owner') {
      throw new AppError('forbidden', 'only an owner can make or unmake an owner');
    }
    await this.#recorder.workspace(workspaceId, {
      action: 'member.role_changed', actorId: principal.personId, client: principal.client, targetType: 'person', targetId: personId, details: { from: isRole(target.role) ? target.role : 'unknown', to: role },
    }, async (trx) => {
      if (target.role === 'owner' && role !== 'owner') await this.#refuseLastOwner(trx, workspaceId, personId);
      await trx.updateTable('memberships').set({ role })
        .where('organizationId', '=', workspaceId).where('userId', '=', personId).execute();
    });
    return { personId, role, joinedAt: target.createdAt };
  }

  #require(role: string, principal: Principal, action: 'update' | 'delete'): void {
    if (!can(role, 'workspace', action) || !hasAdminScope(principal)) {
      throw new AppError('forbidden', `your role cannot ${action} this workspace`);
    }
  }

  // FOR UPDATE on the owners' rows, so two owners leaving at once cannot both succeed.
  async #refuseLastOwner(trx: IdentityTrx, workspaceId: string, leaving: string): Promise<void> {
    const owners = await trx.selectFrom('memberships').select('userId')
      .where('organizationId', '=', workspaceId).where('role', '=', 'owner').forUpdate().execute();
    if (owners.every((o) => o.userId === leaving)) {
      throw new AppError('sole_owner', 'you are the only owner: make another member owner first');
    }
  }
}
