// The Kysely view of the vault's tables (migration 0010), beside the data tables whose audit
// chain and data keys the vault shares.
import type { Generated, Transaction } from 'kysely';
import type { DataTables } from '../data/index.ts';

export interface CredentialsTable {
  tenant_id: string;
  id: string;
  provider: string;
  /** Empty since migration 0013, but for a row an earlier release wrote (sealed when next read). */
  label: string | null;
  label_sealed: Buffer | null;
  secret: Buffer;
  last_four: string;
  base_url: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
}

export const ACTION_STATUSES = ['proposed', 'approved', 'executing', 'succeeded', 'failed', 'rejected', 'expired', 'voided'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface ActionsTable {
  tenant_id: string;
  id: string;
  credential_id: string | null;
  provider: string;
  method: string;
  host: string;
  summary: Buffer;
  operation: Buffer;
  status: ActionStatus;
  reason: string | null;
  proposed_by: string | null;
  proposed_via: 'session' | 'api_key';
  api_key_id: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  expires_at: Date;
  replay_of: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  response_status: number | null;
  execution: Buffer | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type VaultTables = DataTables & {
  credentials: CredentialsTable;
  actions: ActionsTable;
};

export type VaultTrx = Transaction<VaultTables>;
