// Master key (KEK) rotation, while the server runs (P-ENC-4): a new master key version, then every
// keystore secret and every tenant data key re-wrapped under it. No sealed value changes: data keys
// stay the same, only their wrapping does. A retired version is destroyed once nothing uses it.
import { AppError } from '../core/errors.ts';
import type { DataKeys, KeysTrx } from './data-keys.ts';
import type { KeyProvider } from './key-provider.ts';
import type { Keystore } from './keystore.ts';

/** How a tenant transaction is opened: withTenant, passed in so that crypto does not import db. */
export type InTenant = <T>(tenantId: string, fn: (trx: KeysTrx) => Promise<T>) => Promise<T>;

export interface RotationDeps {
  provider: KeyProvider;
  keystore: Keystore;
  dataKeys: DataKeys;
}

/** Adds a master key version and re-wraps the keystore under it (files only, no database). */
export async function addMasterKeyVersion(deps: Pick<RotationDeps, 'provider' | 'keystore'>): Promise<{ version: number; secrets: number }> {
  const version = await deps.provider.generate();
  return { version, secrets: await deps.keystore.rewrap() };
}

/** Re-wraps every tenant's data keys that are under an older master key version. */
export async function rewrapDataKeys(deps: RotationDeps, inTenant: InTenant): Promise<number> {
  let count = 0;
  for (const tenantId of deps.keystore.tenantIds()) {
    count += await inTenant(tenantId, (trx) => deps.dataKeys.rewrap(trx, tenantId));
  }
  return count;
}

/** Destroys a master key version, after checking that no secret and no data key still needs it. */
export async function retireMasterKeyVersion(deps: RotationDeps, inTenant: InTenant, version: number): Promise<void> {
  if (version === (await deps.provider.currentVersion())) throw new AppError('conflict', 'the current master key version cannot be retired');
  if (deps.keystore.kekVersionsInUse().has(version)) throw new AppError('conflict', `keystore secrets still use master key version ${version}`);
  for (const tenantId of deps.keystore.tenantIds()) {
    const used = await inTenant(tenantId, (trx) =>
      trx.selectFrom('tenant_keys').select('version').where('kek_version', '=', version).limit(1).executeTakeFirst(),
    );
    if (used) throw new AppError('conflict', `data keys still use master key version ${version}; run custos keys rotate first`);
  }
  await deps.provider.destroy(version);
}

