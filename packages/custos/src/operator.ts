// What the CLI does for an operator beside (or instead of) a running server: master key rotation
// and retirement, audit verification, instance administrators. Composed here, like the running
// application in app.ts, so that the CLI only parses flags and prints; each operation opens what it
// needs and closes it again.
import type { Config } from './core/config.ts';
import { createLogger } from './core/log.ts';
import { INSTANCE_CHAIN, chainsOf, verifyChain, type AuditTables, type ChainReport } from './audit/index.ts';
import { addMasterKeyVersion, retireMasterKeyVersion, rewrapDataKeys } from './crypto/index.ts';
import { openDatabase, type Database, type Identity as DatabaseLogin } from './db/connect.ts';
import { DataDirLockedError } from './db/lock.ts';
import { personIdByEmail, setInstanceAdmin, type IdentityTables } from './identity/index.ts';
import { inTenantOf, openKeys, type Keys } from './keys.ts';

const quietKeys = (config: Config): Keys => openKeys(config, createLogger({ level: 'warn' }));

async function withDatabase<T>(config: Config, login: DatabaseLogin, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config, login);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export interface Rotated {
  version: number;
  /** Keystore secrets re-wrapped under the new version. */
  secrets: number;
  /** Data keys re-wrapped, or null when the embedded engine is held by a running server (its job re-wraps them). */
  dataKeys: number | null;
}

/** A new master key version becomes current; everything wrapped under an older one is re-wrapped. */
export async function rotateMasterKey(config: Config): Promise<Rotated> {
  const keys = quietKeys(config);
  const { version, secrets } = await addMasterKeyVersion(keys);
  try {
    const dataKeys = await withDatabase(config, 'runtime', (database) => rewrapDataKeys(keys, inTenantOf(database)));
    return { version, secrets, dataKeys };
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    return { version, secrets, dataKeys: null };
  }
}

/** Destroys a master key version once nothing is wrapped under it any more. */
export async function retireMasterKey(config: Config, version: number): Promise<void> {
  const keys = quietKeys(config);
  await withDatabase(config, 'runtime', (database) => retireMasterKeyVersion(keys, inTenantOf(database), version));
}

export async function masterKeyStatus(config: Config): Promise<{ versions: number[]; current: number; inUse: number[] }> {
  const keys = quietKeys(config);
  return {
    versions: await keys.provider.versions(),
    current: await keys.provider.currentVersion(),
    inUse: [...keys.keystore.kekVersionsInUse()].sort((a, b) => a - b),
  };
}

/** Recomputes every chain, or one workspace's, as the schema owner (who reads them all; verification only reads). */
export async function verifyAudit(config: Config, workspaceId?: string): Promise<Array<{ chain: string; instance: boolean; report: ChainReport }>> {
  const keys = quietKeys(config);
  return withDatabase(config, 'owner', async (owner) => {
    const db = owner.db.$extendTables<AuditTables>();
    const chains = workspaceId ? [workspaceId] : await chainsOf(db);
    const macKey = await keys.audit.macKey();
    const reports = [];
    for (const chain of chains) reports.push({ chain, instance: chain === INSTANCE_CHAIN, report: await verifyChain(db, chain, macKey) });
    return reports;
  });
}

/** Makes the person with this address an instance administrator, or no longer one; returns their id. */
export async function changeInstanceAdmin(config: Config, email: string, grant: boolean): Promise<string> {
  const keys = quietKeys(config);
  return withDatabase(config, 'owner', async (owner) => {
    const db = owner.db.$extendTables<IdentityTables>();
    const personId = await personIdByEmail(db, email);
    await setInstanceAdmin(db, keys.audit, personId, grant);
    return personId;
  });
}
