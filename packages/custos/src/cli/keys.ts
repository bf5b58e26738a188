// custos keys: master key rotation and retirement (P-ENC-4).
import { createLogger } from '../core/log.ts';
import { addMasterKeyVersion, retireMasterKeyVersion, rewrapDataKeys } from '../crypto/index.ts';
import { openDatabase, type Database } from '../db/connect.ts';
import { DataDirLockedError } from '../db/lock.ts';
import { inTenantOf, openKeys } from '../keys.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

async function withRuntime<T>(flags: CommonFlags, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(configFromFlags(flags), 'runtime');
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export async function keysRotateCommand(flags: CommonFlags): Promise<void> {
  try {
    const config = configFromFlags(flags);
    const keys = openKeys(config, createLogger({ level: 'warn' }));
    const { version, secrets } = await addMasterKeyVersion(keys);
    process.stdout.write(`master key version ${version} is current; ${secrets} keystore secrets re-wrapped\n`);
    try {
      const count = await withRuntime(flags, (database) => rewrapDataKeys(keys, inTenantOf(database)));
      process.stdout.write(`${count} data keys re-wrapped; no sealed value changed\n`);
    } catch (err) {
      // The embedded engine is held by the running server: its periodic job re-wraps the data keys.
      if (!(err instanceof DataDirLockedError)) throw err;
      process.stdout.write('the running server re-wraps the data keys within a minute (job keys.rewrap)\n');
    }
  } catch (err) {
    fail(err);
  }
}

export async function keysRetireCommand(version: string, flags: CommonFlags): Promise<void> {
  try {
    if (!/^[1-9]\d*$/.test(version)) throw new Error('a master key version is a positive whole number');
    const config = configFromFlags(flags);
    const keys = openKeys(config, createLogger({ level: 'warn' }));
    await withRuntime(flags, (database) => retireMasterKeyVersion(keys, inTenantOf(database), Number(version)));
    process.stdout.write(`master key version ${version} destroyed\n`);
  } catch (err) {
    fail(err);
  }
}

export async function keysStatusCommand(flags: CommonFlags): Promise<void> {
  try {
    const keys = openKeys(configFromFlags(flags), createLogger({ level: 'warn' }));
    const versions = await keys.provider.versions();
    const current = await keys.provider.currentVersion();
    const inUse = [...keys.keystore.kekVersionsInUse()].sort((a, b) => a - b);
    process.stdout.write(`master key versions: ${versions.join(', ')} (current ${current}); keystore uses: ${inUse.join(', ') || 'none'}\n`);
  } catch (err) {
    fail(err);
  }
}
