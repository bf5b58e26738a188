// What every data service is built from: the runtime database (reached through withTenant only),
// the sealer of content, and the audit trail.
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { Sealer } from '../crypto/index.ts';
import type { DataTables } from './tables.ts';

export interface DataServiceDeps {
  db: Kysely<DataTables>;
  sealer: Sealer;
  audit: AuditTrail;
}

export abstract class DataService {
  protected readonly db: Kysely<DataTables>;
  protected readonly sealer: Sealer;
  protected readonly audit: AuditTrail;

  constructor(deps: DataServiceDeps) {
    this.db = deps.db;
    this.sealer = deps.sealer;
    this.audit = deps.audit;
  }
}
