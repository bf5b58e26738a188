// The Kysely view of the rights tables (migration 0011), with the identity tables (people, sessions,
// the audit trail and the outbox) and data keys that rights' transactions also use. Every other
// registered table is reached by name, walking the data registry (src/db/registry.ts).
import type { ColumnType } from 'kysely';
import type { KeysTables } from '../crypto/index.ts';
import type { IdentityTables } from '../identity/index.ts';

export type RequestKind = 'access' | 'export' | 'erasure' | 'rectification' | 'restriction' | 'objection';
/** Who brought the request: the person over the API, or an operator on their behalf (the CLI). */
export type RequestSource = 'api' | 'operator';
export type RequestStatus = 'open' | 'completed' | 'cancelled' | 'failed';
export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed' | 'expired';
export type ErasureStatus = 'scheduled' | 'running' | 'completed' | 'cancelled';

/** What an erasure works through, fixed at its first step (ids only). */
export interface ErasurePlan {
  /** Workspaces the person was the only member of: deleted, their secrets shredded. */
  alone: string[];
  /** Shared workspaces, each with the pseudonym that takes the person's place in it. */
  shared: Array<{ workspaceId: string; pseudonym: string }>;
  /** Steps done, so a resumed run skips them. */
  done: string[];
}

export type RightsTables = IdentityTables & KeysTables & {
  rights_requests: {
    id: string;
    person_id: string;
    kind: RequestKind;
    source: RequestSource;
    status: RequestStatus;
    received_at: Date;
    due_at: Date;
    completed_at: Date | null;
  };
  exports: {
    id: string;
    person_id: string;
    request_id: string;
    status: ExportStatus;
    progress: number;
    bytes: string | null;
    attempts: number;
    lease_until: Date | null;
    created_at: Date;
    ready_at: Date | null;
    expires_at: Date;
  };
  erasures: {
    request_id: string;
    person_id: string;
    status: ErasureStatus;
    erase_after: Date;
    // jsonb: read back as an object, written as its JSON text.
    plan: ColumnType<ErasurePlan | null, string | null, string | null>;
    attempts: number;
    lease_until: Date | null;
    created_at: Date;
    completed_at: Date | null;
  };
};
