// The Kysely view of custos's own tables. Domain modules add theirs here as they arrive.
import type { Generated } from 'kysely';

export interface MigrationsTable {
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface TenantKeysTable {
  tenant_id: string;
  version: number;
  kek_version: number;
  wrapped: Buffer;
  created_at: Generated<Date>;
}

export type Schema = {
  custos_migrations: MigrationsTable;
  tenant_keys: TenantKeysTable;
};
