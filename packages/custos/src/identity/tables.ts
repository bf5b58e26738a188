// The Kysely view of the identity tables: Better Auth's (migration 0004, its camelCase column
// names) and custos's own (0005, 0012), with the audit trail and the outbox that identity's
// transactions also write. Only what custos's own queries touch is typed.
import type { Generated, Transaction } from 'kysely';
import type { AuditTables } from '../audit/index.ts';
import type { MailTables } from '../mail/index.ts';

export type IdentityTables = AuditTables & MailTables & {
  people: { id: Generated<string>; name: string; email: string; emailVerified: boolean; createdAt: Generated<Date>; updatedAt: Generated<Date> };
  sessions: { id: string; token: string; userId: string; expiresAt: Date; createdAt: Date; updatedAt: Date; userAgent: string | null };
  workspaces: { id: string; name: string; slug: string; createdAt: Date; personal: boolean; metadata: string | null; logo: string | null };
  memberships: { id: string; organizationId: string; userId: string; role: string; createdAt: Date };
  api_keys: {
    id: string;
    name: string | null;
    start: string | null;
    prefix: string | null;
    key: string;
    referenceId: string;
    enabled: boolean | null;
    expiresAt: Date | null;
    lastRequest: Date | null;
    createdAt: Date;
    permissions: string | null;
    metadata: string | null;
  };
  terms_acceptances: { person_id: string; policy_version: string; accepted_at: Generated<Date>; client_sealed: Buffer | null };
  instance_admins: { person_id: string; granted_at: Generated<Date> };
  former_memberships: { person_id: string; workspace_id: string; left_at: Generated<Date> };
  person_names: { person_id: string; name_sealed: Buffer; updated_at: Generated<Date> };
};

export type IdentityTrx = Transaction<IdentityTables>;
