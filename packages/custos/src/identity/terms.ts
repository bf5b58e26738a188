// P-ACC-6: acceptance of the privacy policy, recorded with its version, time, IP address and user
// agent. The client details are sealed under the person's own secret. Until a person accepts the
// current version, every request but the acceptance route is refused (plugins/authentication.ts).
import type { Kysely } from 'kysely';
import { AppError } from '../core/errors.ts';
import { INSTANCE_CHAIN } from '../audit/index.ts';
import { personDataKey, seal, type Keystore, type SealContext } from '../crypto/index.ts';
import type { IdentityRecorder } from './recorder.ts';
import type { RequestContext } from './request-context.ts';
import type { IdentityTables } from './tables.ts';

export interface TermsStatus {
  currentVersion: string;
  accepted: boolean;
  acceptedAt: Date | null;
}

function clientContext(personId: string, version: string): SealContext {
  return { tenantId: INSTANCE_CHAIN, table: 'terms_acceptances', column: 'client_sealed', rowId: `${personId}:${version}` };
}

export class Terms {
  readonly #db: Kysely<IdentityTables>;
  readonly #keystore: Keystore;
  readonly #recorder: IdentityRecorder;
  readonly #currentVersion: () => string;

  constructor(db: Kysely<IdentityTables>, keystore: Keystore, recorder: IdentityRecorder, currentVersion: () => string) {
    this.#db = db;
    this.#keystore = keystore;
    this.#recorder = recorder;
    this.#currentVersion = currentVersion;
  }

  /** The version in force now. */
  get currentVersion(): string {
    return this.#currentVersion();
  }

  async status(personId: string): Promise<TermsStatus> {
    const currentVersion = this.currentVersion;
    const row = await this.#db.selectFrom('terms_acceptances').select('accepted_at')
      .where('person_id', '=', personId).where('policy_version', '=', currentVersion).executeTakeFirst();
    return { currentVersion, accepted: Boolean(row), acceptedAt: row?.accepted_at ?? null };
  }

  /** Records acceptance of `version`, which must be the current one; accepting twice changes nothing. */
  async accept(personId: string, version: string, client: RequestContext): Promise<TermsStatus> {
    if (version !== this.currentVersion) {
      throw new AppError('conflict', 'that is not the current policy version', { currentVersion: this.currentVersion });
    }
    const sealed = client.ip || client.userAgent
      ? seal(await personDataKey(this.#keystore, personId, true), clientContext(personId, version), Buffer.from(JSON.stringify({ ip: client.ip, userAgent: client.userAgent })))
      : null;
    await this.#recorder.person({ action: 'terms.accepted', actorId: personId, client: { ip: client.ip, userAgent: client.userAgent }, targetType: 'policy', targetId: version }, async (trx) => {
      await trx.insertInto('terms_acceptances')
        .values({ person_id: personId, policy_version: version, client_sealed: sealed })
        .onConflict((oc) => oc.columns(['person_id', 'policy_version']).doNothing()).execute();
    });
    return this.status(personId);
  }
}
