// The vault: provider credentials opened only by useSecret() (P-ENC-3), and confirm-before-mutate
// actions with their workflow logs (P-ACT-1, P-DAT-6, P-AUD-2).
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { VaultConfig } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import { shredCredentialKey, type Keystore, type Sealer } from '../crypto/index.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { Actions } from './actions.ts';
import { Credentials } from './credentials.ts';
import { classify } from './address-policy.ts';
import { parseAllowedRanges, type EgressPolicy } from './egress.ts';
import { Executor } from './execute.ts';
import { ACTION_EXPIRE, ACTION_RECOVER, CREDENTIAL_SHRED } from './jobs.ts';
import { loadOperatorProviders, ProviderRegistry } from './providers.ts';
import type { VaultTables } from './tables.ts';
import { Secrets } from './use-secret.ts';

export { Actions, type ActionFilters, type ProposalInput } from './actions.ts';
export type { ActionView, ExecutionLog } from './action-view.ts';
export { Credentials, credentialInput, type CredentialInput, type CredentialView } from './credentials.ts';
export { HTTP_METHODS, operationHash, operationInput, type Operation, type OperationInput } from './operation.ts';
export { BUILT_IN_PROVIDERS, ProviderRegistry, type Provider } from './providers.ts';
export { ACTION_STATUSES, type ActionStatus, type VaultTables } from './tables.ts';
export { Secrets, type OpenedSecret, type SecretUse } from './use-secret.ts';

/** Responses are kept up to this size in the workflow log; the rest is cut (and says so). */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
// A call starts within this long of its claim, and the recovery job waits this long past the call's deadline.
const RECOVERY_MARGIN_SECONDS = 5;

export interface VaultDeps {
  db: Kysely<VaultTables>;
  sealer: Sealer;
  keystore: Keystore;
  audit: AuditTrail;
  queue: JobQueue;
  config: VaultConfig;
  log: Logger;
}

export interface Vault {
  providers: ProviderRegistry;
  credentials: Credentials;
  secrets: Secrets;
  actions: Actions;
  /** Registers the vault's job handlers; call before the queue starts. */
  register(): void;
}

export function createVault(deps: VaultDeps): Vault {
  const { db } = deps;
  const providers = new ProviderRegistry(loadOperatorProviders(deps.config.providersFile));
  const allowed = parseAllowedRanges(deps.config.egressAllow);
  const egress: EgressPolicy = {
    allowedRanges: deps.config.egressAllow,
    ...(deps.config.egressCaFile ? { extraCa: fs.readFileSync(deps.config.egressCaFile, 'utf8') } : {}),
    timeoutMs: deps.config.actionTimeoutSeconds * 1000,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  };
  const addressRefused = (ip: string) => classify(ip, allowed);
  const credentials = new Credentials({ db, sealer: deps.sealer, keystore: deps.keystore, audit: deps.audit, providers, addressRefused, queue: deps.queue, log: deps.log });
  const secrets = new Secrets({ db, audit: deps.audit, credentials, providers });
  const executor = new Executor({ db, sealer: deps.sealer, audit: deps.audit, secrets, egress, log: deps.log, queue: deps.queue, startWithinSeconds: RECOVERY_MARGIN_SECONDS });
  const actions = new Actions({
    db, sealer: deps.sealer, audit: deps.audit, queue: deps.queue, credentials, executor,
    addressRefused,
    ttlSeconds: deps.config.actionTtlSeconds,
  });
  return {
    providers,
    credentials,
    secrets,
    actions,
    register: () => {
      deps.queue.handle(ACTION_EXPIRE, ({ tenantId, actionId }) => actions.expireDue(tenantId, actionId));
      deps.queue.handle(ACTION_RECOVER, ({ tenantId, actionId }) => executor.recover(tenantId, actionId));
      deps.queue.handle(CREDENTIAL_SHRED, ({ credentialId }) => shredCredentialKey(deps.keystore, credentialId));
    },
  };
}
