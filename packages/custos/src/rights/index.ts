// Rights (P-RIG-1, P-RIG-2, P-RIG-3, P-RIG-7): what we hold about a person, the export of it,
// its erasure, and the register that proves each request was answered on time.
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { Clock } from '../core/clock.ts';
import type { RightsConfig } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Keystore, Sealer } from '../crypto/index.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Outbox } from '../mail/index.ts';
import type { Vault } from '../vault/index.ts';
import { Erasures } from './erasure.ts';
import { ExportFiles } from './export-files.ts';
import { inProcessBuilder, type ExportBuilder } from './export-build.ts';
import { Exports } from './exports.ts';
import { inventoryOf, type CategoryHeld, type DescribeCategory } from './inventory.ts';
import { RIGHTS_ERASE, RIGHTS_EXPORT, RIGHTS_SWEEP } from './jobs.ts';
import { Register } from './register.ts';
import { personScope } from './scope.ts';
import { AppError } from '../core/errors.ts';
import type { RequestSource, RightsTables } from './tables.ts';

export { Erasures, type ErasureView } from './erasure.ts';
export { Exports, type ExportView } from './exports.ts';
export { EXPORTS_DIR_NAME, ExportFiles } from './export-files.ts';
export { buildExportFile, type BuildJob, type BuildProgress, type ExportBuilder } from './export-build.ts';
export { ARCHIVE_SCHEMA_VERSION } from './archive.ts';
export { LEASE_SECONDS } from './jobs.ts';
export { sealContextOf } from './rows.ts';
export { Register, type RequestView } from './register.ts';
export type { CategoryHeld } from './inventory.ts';
export type { RequestKind, RequestSource, RightsTables } from './tables.ts';


export interface RightsDeps {
  db: Kysely<RightsTables>;
  sealer: Sealer;
  keystore: Keystore;
  audit: AuditTrail;
  queue: JobQueue;
  mail: Pick<Outbox, 'queue'>;
  vault: Pick<Vault, 'credentials'>;
  clock: Clock;
  log: Logger;
  dataDir: string;
  publicUrl: URL;
  config: RightsConfig;
  /** How the privacy policy describes each category (GET /v1/me/data speaks its words). */
  describeCategory: DescribeCategory;
  /** Where exports are built: in this process unless the composition root gives another builder. */
  buildExport?: ExportBuilder;
}

export interface Rights {
  requests: Register;
  exports: Exports;
  erasures: Erasures;
  /** What is held about the person (GET /v1/me/data); recorded in the register as an access request. */
  inventory(personId: string, source: RequestSource): Promise<CategoryHeld[]>;
  /** Declares and handles the rights jobs; call before the queue starts. */
  register(): void;
  /** At start-up: work whose worker died is queued again. */
  resume(): Promise<void>;
  /** The sweep's work, callable directly (the CLI, tests with a moved clock). */
  sweep(): Promise<void>;
}

export function createRights(deps: RightsDeps): Rights {
  const { db } = deps;
  const register = new Register(db, deps.clock, deps.config.requestDueDays);
  const files = new ExportFiles(deps.dataDir, deps.keystore);
  const build = deps.buildExport ?? inProcessBuilder({ db: deps.db, sealer: deps.sealer, keystore: deps.keystore, files });
  const exports = new Exports({ ...deps, files, build, register, ttlSeconds: deps.config.exportTtlSeconds });
  const erasures = new Erasures({ ...deps, exports, register, graceSeconds: deps.config.erasureGraceSeconds });

  const sweep = async () => {
    await erasures.enqueueDue();
    await exports.expireDue();
    await exports.resumeAbandoned();
    const overdue = await register.overdueCount();
    if (overdue > 0) deps.log.warn({ overdue }, 'requests about personal data are overdue: see custos requests --overdue');
  };

  return {
    requests: register,
    exports,
    erasures,
    async inventory(personId, source) {
      const scope = await personScope(deps.db, personId);
      if (!scope) throw new AppError('not_found', 'no such person');
      const held = await inventoryOf(deps.db, scope, deps.describeCategory);
      await register.receive(db, { personId, kind: 'access', source, completed: true });
      return held;
    },
    register() {
      deps.queue.handle(RIGHTS_EXPORT, async ({ exportId }) => void (await exports.run(exportId)));
      deps.queue.handle(RIGHTS_ERASE, async ({ requestId }) => void (await erasures.run(requestId)));
      deps.queue.handle(RIGHTS_SWEEP, sweep);
    },
    async resume() {
      await exports.resumeAbandoned();
      await erasures.resumeAbandoned();
    },
    sweep,
  };
}
