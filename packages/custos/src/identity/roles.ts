// Workspace roles, declared with Better Auth's access control so that the organization plugin and
// custos's own routes read one definition. Each route asks `can(role, resource, action)`; nothing
// compares role names by hand.
import { createAccessControl } from 'better-auth/plugins/access';
import { defaultStatements } from 'better-auth/plugins/organization/access';

const statements = {
  ...defaultStatements,
  workspace: ['read', 'update', 'delete'],
  apiKey: ['read', 'create', 'delete'],
  data: ['read', 'write'],
  credential: ['read', 'create', 'delete'],
  action: ['read', 'propose', 'approve'],
} as const;

export const accessControl = createAccessControl(statements);

const viewer = accessControl.newRole({ workspace: ['read'], apiKey: [], data: ['read'], credential: [], action: ['read'] });
const member = accessControl.newRole({
  workspace: ['read'], apiKey: ['read'], data: ['read', 'write'], credential: ['read'], action: ['read', 'propose', 'approve'],
});
const admin = accessControl.newRole({
  organization: ['update'],
  member: ['create', 'update', 'delete'],
  invitation: ['create', 'cancel'],
  workspace: ['read', 'update'],
  apiKey: ['read', 'create', 'delete'],
  data: ['read', 'write'],
  credential: ['read', 'create', 'delete'],
  action: ['read', 'propose', 'approve'],
});
const owner = accessControl.newRole({
  organization: ['update', 'delete'],
  member: ['create', 'update', 'delete'],
  invitation: ['create', 'cancel'],
  workspace: ['read', 'update', 'delete'],
  apiKey: ['read', 'create', 'delete'],
  data: ['read', 'write'],
  credential: ['read', 'create', 'delete'],
  action: ['read', 'propose', 'approve'],
});

export const ROLES = { owner, admin, member, viewer } as const;
export type Role = keyof typeof ROLES;
export const ROLE_NAMES = Object.keys(ROLES) as Role[];

type Statements = typeof statements;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && value in ROLES;
}

/** Whether a role may perform `action` on `resource`. An unknown role may do nothing. */
export function can<R extends keyof Statements>(role: string, resource: R, action: Statements[R][number]): boolean {
  if (!isRole(role)) return false;
  return ROLES[role].authorize({ [resource]: [action] } as never).success;
}
