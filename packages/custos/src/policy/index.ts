// The policy as code (P-COM-2, P-COM-3, P-COM-5, P-PAP-1..4, P-COO-2, P-COO-4): custos.policy.yaml
// read and checked (load.ts), what the runtime takes from it (runtime.ts), its published versions
// and the one in force (versions.ts), the notice of a material change (notify.ts), and the pages
// rendered from it (render/). `custos verify` (src/verify) proves it against the running system.
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Outbox } from '../mail/index.ts';
import { POLICY_NOTIFY, noticeNewcomer, notifyEveryone } from './notify.ts';
import type { LoadedPolicy } from './load.ts';
import type { VerificationSummary } from './render/html.ts';
import type { RenderContext } from './render/sections.ts';
import type { PolicyTables } from './tables.ts';
import { PolicyVersions } from './versions.ts';

export { DEFAULT_POLICY_FILE, POLICY_FILE_NAME, PolicyError, SESSION_COOKIE_NAME, loadPolicyFile, parsePolicy, type LoadedPolicy, type PolicyProblem } from './load.ts';
export { loadPolicy, policyFileOf, rightsConfig } from './runtime.ts';
export { parseRetention, policyJsonSchema, policySchema, type Policy, type PolicyCategory, type PolicyCookie, type Retention, type Subprocessor } from './schema.ts';
export { PolicyVersions, type PolicyVersionView, type Published } from './versions.ts';
export { policyChanges, type PolicyChange } from './diff.ts';
export { PAGE_CSP, policyHtml, subprocessorsHtml, verificationHtml, versionsHtml, type VerificationSummary } from './render/html.ts';
export { policyMarkdown } from './render/markdown.ts';
export { describeCategory, retentionText, sectionsOf, type RenderContext, type Section } from './render/sections.ts';
export type { PolicyTables } from './tables.ts';

/** How many verification reports are kept. */
const KEPT_REPORTS = 20;

export interface PolicyDeps {
  loaded: LoadedPolicy;
  db: Kysely<PolicyTables>;
  clock: Clock;
  queue: JobQueue;
  mail: Pick<Outbox, 'queue'>;
  publicUrl: URL;
  log: Logger;
  /** CUSTOS_POLICY_VERSION, when the operator pins the version people accept. */
  pinnedVersion?: string;
}

export interface PolicyService {
  /** The policy the runtime runs under: the file, as read at start. */
  readonly loaded: LoadedPolicy;
  readonly versions: PolicyVersions;
  /** What the public pages render: the version in force, or version `n`. */
  renderContext(n?: number): Promise<RenderContext>;
  /** The last `custos verify` report, if any ran. */
  lastVerification(): Promise<VerificationSummary | undefined>;
  recordVerification(rows: VerificationSummary['rows']): Promise<void>;
  /** Tells someone who just signed up of a material change announced but not in force yet. */
  noticeNewcomer(email: string): Promise<void>;
  /** Declares and handles the notice job; call before the queue starts. */
  register(): void;
  /** Publishes the file as version 1 on a new deployment; says when the file differs from what is published. */
  start(): Promise<void>;
  close(): void;
}

export function createPolicy(deps: PolicyDeps): PolicyService {
  const versions = new PolicyVersions({ db: deps.db, clock: deps.clock, queue: deps.queue, pinned: deps.pinnedVersion });
  const notifyDeps = { db: deps.db, mail: deps.mail, publicUrl: deps.publicUrl };
  return {
    loaded: deps.loaded,
    versions,
    async renderContext(n) {
      const published = await versions.get(n ?? versions.inForce());
      return { policy: published.document, version: { n: published.n, effectiveAt: published.effectiveAt, publishedAt: published.publishedAt }, publicUrl: deps.publicUrl };
    },
    async lastVerification() {
      const row = await deps.db.selectFrom('verify_reports').select(['ran_at', 'rows']).orderBy('ran_at', 'desc').limit(1).executeTakeFirst();
      return row ? { ranAt: row.ran_at, rows: row.rows } : undefined;
    },
    async recordVerification(rows) {
      await deps.db.insertInto('verify_reports').values({ id: newId(), ok: rows.every((row) => row.result !== 'fail'), rows: JSON.stringify(rows) }).execute();
      const kept = deps.db.selectFrom('verify_reports').select('id').orderBy('ran_at', 'desc').limit(KEPT_REPORTS);
      await deps.db.deleteFrom('verify_reports').where('id', 'not in', kept).execute();
    },
    noticeNewcomer: (email) => noticeNewcomer(notifyDeps, email, deps.clock.now()),
    register() {
      deps.queue.handle(POLICY_NOTIFY, async ({ version }) => {
        const { queued, skipped } = await notifyEveryone(notifyDeps, version);
        deps.log.info({ version, queued, skipped }, 'policy change notices queued');
      });
    },
    async start() {
      await versions.start(deps.loaded.policy);
      if (!(await versions.isPublished(deps.loaded.policy))) {
        deps.log.warn({ file: deps.loaded.file }, 'the policy file differs from the newest published version: publish it with `custos policy publish`');
      }
    },
    close: () => versions.stop(),
  };
}
