import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { addMasterKeyVersion, retireMasterKeyVersion } from '../../src/crypto/index.ts';
import { KEY_FILE_NAME } from '../../src/crypto/local-key-file.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { REWRAP_DATA_KEYS, inTenantOf, openKeys } from '../../src/keys.ts';
import { createLogger } from '../../src/core/log.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';

type Notes = { test_notes: { tenant_id: string; id: string; body: string } };
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ infra: { jobPollingIntervalSeconds: 0.5 } });
});
afterAll(async () => t?.close());

const ctx = (tenantId: string, rowId: string) => ({ tenantId, table: 'test_notes', column: 'body', rowId });

async function store(tenantId: string, text: string): Promise<string> {
  const id = newId();
  await withTenant(t.app.database.db, tenantId, async (trx) => {
    const sealed = await t.app.keys.sealer.seal(trx, ctx(tenantId, id), Buffer.from(text));
    await trx.withTables<Notes>().insertInto('test_notes').values({ tenant_id: tenantId, id, body: sealed.toString('base64') }).execute();
  });
  return id;
}

async function snapshot(tenants: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const tenant of tenants) {
    await withTenant(t.app.database.db, tenant, async (trx) => {
      for (const row of await trx.withTables<Notes>().selectFrom('test_notes').select(['id', 'body']).execute()) out[row.id] = row.body;
    });
  }
  return out;
}

async function kekVersionsOfDataKeys(tenants: string[]): Promise<number[]> {
  const versions = new Set<number>();
  for (const tenant of tenants) {
    await withTenant(t.app.database.db, tenant, async (trx) => {
      for (const row of await trx.selectFrom('tenant_keys').select('kek_version').execute()) versions.add(row.kek_version);
    });
  }
  return [...versions].sort();
}

describe(`master key rotation on ${ENGINE}`, () => {
  it('P-ENC-4: a new master key is rolled in while the server runs; data keys are re-wrapped, data untouched; the old key is retired', async () => {
    const tenants = [newId(), newId()];
    const notes = { [await store(tenants[0]!, 'alpha')]: 'alpha', [await store(tenants[1]!, 'beta')]: 'beta' };
    const before = await snapshot(tenants);
    expect(await kekVersionsOfDataKeys(tenants)).toEqual([1]);

    // What `custos keys rotate` does first, from another process: a new master key version.
    const cli = openKeys(t.config, createLogger({ level: 'silent' }));
    expect(await addMasterKeyVersion(cli)).toMatchObject({ version: 2 });
    // Retiring version 1 now is refused: data keys still use it.
    await expect(retireMasterKeyVersion(cli, inTenantOf(t.app.database), 1)).rejects.toThrow(/data keys still use master key version 1/);

    // The running server's job re-wraps the data keys.
    await t.app.queue.enqueue(t.app.database.db, REWRAP_DATA_KEYS, {});
    for (let i = 0; i < 100 && (await kekVersionsOfDataKeys(tenants)).join() !== '2'; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(await kekVersionsOfDataKeys(tenants)).toEqual([2]);
    expect(await snapshot(tenants)).toEqual(before); // not one sealed value was rewritten

    await retireMasterKeyVersion(cli, inTenantOf(t.app.database), 1);
    const keyFile = JSON.parse(fs.readFileSync(path.join(t.config.dataDir, KEY_FILE_NAME), 'utf8')) as { keys: Record<string, string> };
    expect(Object.keys(keyFile.keys)).toEqual(['2']);

    // Everything still opens, for a server that has nothing cached.
    const fresh = openKeys(t.config, createLogger({ level: 'silent' }));
    for (const tenant of tenants) {
      await withTenant(t.app.database.db, tenant, async (trx) => {
        for (const row of await trx.withTables<Notes>().selectFrom('test_notes').select(['id', 'body']).execute()) {
          expect((await fresh.sealer.open(trx, ctx(tenant, row.id), Buffer.from(row.body, 'base64'))).toString()).toBe(notes[row.id]);
        }
      });
    }
  });

  it('custos keys status and retire answer in one line, and refuse a version that is not a number', () => {
    const main = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
    const env = { ...process.env, CUSTOS_RUNTIME_PASSWORD: t.config.runtimePassword, ...(t.config.databaseUrl ? { DATABASE_URL: t.config.databaseUrl } : {}) };
    const status = spawnSync(process.execPath, [main, 'keys', 'status', '--data-dir', t.config.dataDir], { env, encoding: 'utf8' });
    expect(status.stdout).toMatch(/^master key versions: \d+(, \d+)* \(current \d+\); keystore uses: /);
    const bad = spawnSync(process.execPath, [main, 'keys', 'retire', 'one', '--data-dir', t.config.dataDir], { env, encoding: 'utf8' });
    expect([bad.status, bad.stderr]).toEqual([1, 'custos: a master key version is a positive whole number\n']);
  });
});
