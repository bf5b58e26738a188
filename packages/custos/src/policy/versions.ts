// Published versions of the policy and the one in force (P-COM-2, P-COM-3, P-ACC-6). The first
// start publishes the file as version 1, in force at once. `custos policy publish` records the next:
// a material change takes effect no sooner than the notice period of the version in force after its
// publication, and is mailed to every account (notify.ts). From its effective date the version in
// force is the one people read; the newest *material* version in force is the one they must have
// accepted (identity's terms): a new operator address asks nobody to accept anything again. Every
// server learns of a new version within REFRESH_MS.
import canonicalize from 'canonicalize';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { transaction } from '../db/transaction.ts';
import { policyChanges, type PolicyChange } from './diff.ts';
import { POLICY_NOTIFY } from './notify.ts';
import type { Policy } from './schema.ts';
import type { PolicyTables } from './tables.ts';

const DAY_MS = 86_400_000;
/** The advisory lock publishers take, so that two at once publish one after the other. */
const PUBLISH_LOCK = 0x70_6f_6c_69;
/** How often a server looks for versions another server (or the CLI) published. */
export const REFRESH_MS = 15_000;

export interface PolicyVersionView {
  n: number;
  publishedAt: Date;
  effectiveAt: Date;
  material: boolean;
  changes: PolicyChange[];
}

export interface Published extends PolicyVersionView {
  document: Policy;
}

type Row = Selectable<PolicyTables['policy_versions']>;

const view = (row: Row): PolicyVersionView => ({ n: row.n, publishedAt: row.published_at, effectiveAt: row.effective_at, material: row.material, changes: row.changes });
const sameDocument = (a: Policy, b: Policy) => canonicalize(a) === canonicalize(b);

export interface PolicyVersionsDeps {
  db: Kysely<PolicyTables>;
  clock: Clock;
  queue: Pick<JobQueue, 'enqueue'>;
  /** CUSTOS_POLICY_VERSION: the version people accept, whatever is published. */
  pinned?: string;
}

export class PolicyVersions {
  readonly #deps: PolicyVersionsDeps;
  /** Every version, newest first: enough to answer inForce() and current() at any instant. */
  #schedule: Array<{ n: number; effectiveAt: number; material: boolean; document: Policy }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: PolicyVersionsDeps) {
    this.#deps = deps;
  }

  /** Publishes `policy` as version 1 when nothing is published yet; then keeps the schedule fresh. */
  async start(policy: Policy): Promise<void> {
    await this.#deps.db.insertInto('policy_versions')
      .values({ n: 1, document: JSON.stringify(policy), material: false, changes: '[]', effective_at: this.#deps.clock.now() })
      .onConflict((oc) => oc.column('n').doNothing()).execute();
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    const rows = await this.#deps.db.selectFrom('policy_versions').select(['n', 'effective_at', 'material', 'document']).orderBy('n', 'desc').execute();
    this.#schedule = rows.map((row) => ({ n: row.n, effectiveAt: row.effective_at.getTime(), material: row.material, document: row.document }));
  }

  #inForceNow() {
    const now = this.#deps.clock.now().getTime();
    return this.#schedule.filter((version) => version.effectiveAt <= now);
  }

  /** The number of the version in force now (the newest whose effective date has come). */
  inForce(): number {
    return this.#inForceNow()[0]?.n ?? 1;
  }

  /** The version in force now, as published (what /privacy and GET /v1/me/data say). */
  inForceDocument(): Policy | undefined {
    return this.#inForceNow()[0]?.document;
  }

  /**
   * The version people must have accepted: the pinned one, or the newest material version in
   * force (version 1 until there is one), as text.
   */
  current(): string {
    return this.#deps.pinned ?? String(this.#inForceNow().find((version) => version.material || version.n === 1)?.n ?? 1);
  }

  async list(): Promise<PolicyVersionView[]> {
    return (await this.#deps.db.selectFrom('policy_versions').selectAll().orderBy('n', 'desc').execute()).map(view);
  }

  async get(n: number): Promise<Published> {
    const row = await this.#deps.db.selectFrom('policy_versions').selectAll().where('n', '=', n).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such version of the policy');
    return { ...view(row), document: row.document };
  }

  async latest(): Promise<Published> {
    const row = await this.#deps.db.selectFrom('policy_versions').selectAll().orderBy('n', 'desc').limit(1).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no version of the policy is published yet');
    return { ...view(row), document: row.document };
  }

  /** Whether `policy` is the newest published version, word for word. */
  async isPublished(policy: Policy): Promise<boolean> {
    return sameDocument((await this.latest()).document, policy);
  }

  /**
   * Publishes `policy` as the next version, in force from `effectiveAt` (default: as soon as the
   * notice period allows). Refuses a material change that would take effect before the notice
   * period of the version in force has run, naming the earliest date. Null when nothing changed.
   */
  async publish(policy: Policy, effectiveAt?: Date): Promise<Published | null> {
    return transaction(this.#deps.db, async (trx) => {
      // One publisher at a time, until this one commits (a row lock would not stop a second reading the same newest row).
      await sql`select pg_advisory_xact_lock(${PUBLISH_LOCK})`.execute(trx);
      const newest = await trx.selectFrom('policy_versions').selectAll().orderBy('n', 'desc').limit(1).forUpdate().executeTakeFirstOrThrow();
      if (sameDocument(newest.document, policy)) return null;
      const changes = policyChanges(newest.document, policy);
      const material = changes.some((change) => change.material);
      const now = this.#deps.clock.now();
      const inForce = await trx.selectFrom('policy_versions').select('document').where('effective_at', '<=', now).orderBy('n', 'desc').limit(1).executeTakeFirst();
      const noticeDays = (inForce?.document ?? newest.document).notice.materialChangeDays;
      const earliest = new Date(now.getTime() + (material ? noticeDays * DAY_MS : 0));
      // By default as soon as allowed: after the notice period, and not before a version still pending.
      const effective = effectiveAt ?? new Date(Math.max(earliest.getTime(), newest.effective_at.getTime()));
      if (effective.getTime() < earliest.getTime() - 1000) {
        throw new AppError('conflict', `a material change takes effect ${noticeDays} days after it is announced at the earliest: ${earliest.toISOString()}`, { earliest: earliest.toISOString() });
      }
      if (effective.getTime() < newest.effective_at.getTime()) {
        throw new AppError('conflict', `version ${newest.n} takes effect on ${newest.effective_at.toISOString()}: a newer version cannot take effect before it`);
      }
      const row = await trx.insertInto('policy_versions').values({
        n: newest.n + 1, document: JSON.stringify(policy), material, changes: JSON.stringify(changes), published_at: now, effective_at: effective,
      }).returningAll().executeTakeFirstOrThrow();
      if (material) await this.#deps.queue.enqueue(trx, POLICY_NOTIFY, { version: row.n });
      return { ...view(row), document: row.document };
    }).finally(() => this.refresh());
  }
}
