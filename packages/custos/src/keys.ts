// Builds the key hierarchy from configuration: master keys (the local key file for now; a KMS
// provider slots in here), the keystore beside them, data keys and the sealer.
import type { Config } from './core/config.ts';
import type { Logger } from './core/log.ts';
import { AuditTrail } from './audit/index.ts';
import { z } from 'zod';
import { DataKeys, Keystore, LocalKeyFile, Sealer, rewrapDataKeys, type InTenant, type KeyProvider, type RotationDeps } from './crypto/index.ts';
import type { Database } from './db/connect.ts';
import { tenantOf, withTenant } from './db/tenant.ts';
import { afterCommit } from './db/transaction.ts';
import { defineJob } from './jobs/contracts.ts';

export interface Keys extends RotationDeps {
  provider: KeyProvider;
  keystore: Keystore;
  dataKeys: DataKeys;
  sealer: Sealer;
  audit: AuditTrail;
}

export interface KeysOptions {
  /** How long opened secrets and keys are trusted before the key files are read again (30 s). */
  cacheTtlMs?: number;
}

export function openKeys(config: Pick<Config, 'dataDir'>, log: Logger, options: KeysOptions = {}): Keys {
  const provider = LocalKeyFile.open(config.dataDir, {
    onCreated: (file) =>
      log.warn({ file }, 'created the master key file: back it up now and keep the copy safe; losing it loses every encrypted value'),
  });
  const keystore = new Keystore(config.dataDir, provider, options);
  const dataKeys = new DataKeys(provider, keystore, { afterCommit, tenantOf }, options);
  return { provider, keystore, dataKeys, sealer: new Sealer(dataKeys, keystore), audit: new AuditTrail(keystore) };
}

/** Readiness: every secret in the keystore is wrapped under a master key version we still have. */
export async function keysProblems(keys: Keys): Promise<string[]> {
  const available = new Set(await keys.provider.versions());
  return [...keys.keystore.kekVersionsInUse()].filter((v) => !available.has(v)).map((v) => `master key version ${v} is missing`);
}

/** Rotation's way into each tenant's keys: one withTenant transaction per tenant. */
export function inTenantOf(database: Database): InTenant {
  return (tenantId, fn) => withTenant(database.db, tenantId, fn);
}

/** Once a minute, on one server: data keys still wrapped under an older master key are re-wrapped. */
export const REWRAP_DATA_KEYS = defineJob({ name: 'keys.rewrap', payload: z.object({}), schedule: '* * * * *', retryLimit: 2 });

/** The handler of REWRAP_DATA_KEYS: does nothing until the master key version changes. */
export function rewrapJob(keys: Keys, database: Database): () => Promise<void> {
  let doneFor: number | undefined;
  return async () => {
    const current = await keys.provider.currentVersion();
    if (doneFor === current) return;
    await keys.keystore.rewrap();
    await rewrapDataKeys(keys, inTenantOf(database));
    doneFor = current;
  };
}
