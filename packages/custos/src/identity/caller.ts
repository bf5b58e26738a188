// GET /v1/me: who is calling, as the caller may see it: the person, the workspace the request acts
// in, the role there, and what this credential may do.
import type { Kysely } from 'kysely';
import type { Principal, Scope } from '../core/principal.ts';
import type { PersonNames } from './names.ts';
import type { IdentityTables } from './tables.ts';

export interface MeView {
  personId: string;
  email: string;
  name: string;
  emailVerified: boolean;
  workspaceId: string;
  role: string;
  scopes: Scope[];
  via: Principal['kind'];
  termsAccepted: boolean;
}

export async function describeCaller(db: Kysely<IdentityTables>, names: PersonNames, principal: Principal): Promise<MeView> {
  const person = await db.selectFrom('people').select(['email', 'emailVerified']).where('id', '=', principal.personId).executeTakeFirstOrThrow();
  return {
    personId: principal.personId, ...person, name: await names.get(principal.personId), workspaceId: principal.workspaceId, role: principal.role,
    scopes: [...principal.scopes], via: principal.kind, termsAccepted: principal.termsAccepted,
  };
}
