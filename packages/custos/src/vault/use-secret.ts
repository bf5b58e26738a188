// useSecret(): the one way a credential's secret is opened (P-ENC-3). It is opened for the duration
// of `fn` and for nothing else; each opening is an entry in the workspace's audit chain (who, for
// what purpose, in which execution), written in the transaction that opens it; whatever `fn` throws
// is scrubbed of the secret (and of anything shaped like a provider's key) before anyone can log it.
//
// A JavaScript string cannot be wiped from memory: the secret lives as long as the garbage
// collector keeps it. What custos can promise is that no code path beyond `fn` receives it.
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import { AppError } from '../core/errors.ts';
import { withTenant } from '../db/tenant.ts';
import type { Credentials } from './credentials.ts';
import type { Provider, ProviderRegistry } from './providers.ts';
import { Scrubber } from './scrub.ts';
import type { VaultTables } from './tables.ts';

/** Who opens a secret, and for which execution (an action's id): written into the audit entry. */
export interface SecretUse {
  workspaceId: string;
  /** The person on whose behalf it runs (the approver of an action). */
  personId: string | null;
  execution: string;
}

export interface OpenedSecret {
  value: string;
  provider: Provider;
  baseUrl: string | null;
  /** Scrubs this secret and any provider's key shape out of what `fn` keeps or returns. */
  scrubber: Scrubber;
}

export interface SecretsDeps {
  db: Kysely<VaultTables>;
  audit: AuditTrail;
  credentials: Credentials;
  providers: ProviderRegistry;
}

export const credentialGone = () => new AppError('credential_missing', 'the credential this needs was deleted');

export class Secrets {
  readonly #deps: SecretsDeps;

  constructor(deps: SecretsDeps) {
    this.#deps = deps;
  }

  /** `purpose`: a short token (`action.execute`). */
  async useSecret<T>(use: SecretUse, credentialId: string, purpose: string, fn: (secret: OpenedSecret) => Promise<T>): Promise<T> {
    const { value, provider, baseUrl } = await withTenant(this.#deps.db, use.workspaceId, async (trx) => {
      const stored = await this.#deps.credentials.stored(trx, credentialId);
      if (!stored) throw credentialGone();
      const secret = await this.#deps.credentials.openSecret(trx, use.workspaceId, stored.row);
      await trx.updateTable('credentials').set({ last_used_at: new Date() }).where('id', '=', credentialId).execute();
      await this.#deps.audit.record(trx, use.workspaceId, {
        action: 'credential.used',
        ...(use.personId ? { actorId: use.personId } : {}),
        targetType: 'credential',
        targetId: credentialId,
        details: { purpose, execution: use.execution, provider: stored.provider.name },
      });
      return { value: secret, provider: stored.provider, baseUrl: stored.row.base_url };
    });
    const scrubber = new Scrubber([value], this.#deps.providers.allSecretPatterns());
    try {
      return await fn({ value, provider, baseUrl, scrubber });
    } catch (err) {
      throw scrubber.error(err);
    }
  }
}
