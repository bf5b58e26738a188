// The Kysely view of the policy's table (migration 0014), with the identity tables its notice
// mailing reads (people) and writes (the outbox).
import type { ColumnType, Transaction } from 'kysely';
import type { IdentityTables } from '../identity/index.ts';
import type { PolicyChange } from './diff.ts';
import type { VerificationSummary } from './render/html.ts';
import type { Policy } from './schema.ts';

export type PolicyTables = IdentityTables & {
  policy_versions: {
    n: number;
    // jsonb: read back as objects, written as their JSON text.
    document: ColumnType<Policy, string, string>;
    material: boolean;
    changes: ColumnType<PolicyChange[], string, string>;
    published_at: ColumnType<Date, Date | undefined, never>;
    effective_at: Date;
    notified_through_at: Date | null;
    notified_through: string | null;
    notified_at: Date | null;
  };
  verify_reports: {
    id: string;
    ran_at: ColumnType<Date, Date | undefined, never>;
    ok: boolean;
    rows: ColumnType<VerificationSummary['rows'], string, never>;
  };
};

export type PolicyTrx = Transaction<PolicyTables>;
