import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { sealedKeyVersion, type SealContext } from '../../src/crypto/envelope.ts';
import type { Sealer } from '../../src/crypto/sealer.ts';
import { createLogger } from '../../src/core/log.ts';
import { openKeys } from '../../src/keys.ts';
import { pgliteDir } from '../../src/db/connect.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { adminQuery, ENGINE, useMigratedRuntime, whileRuntimeClosed } from '../support/database.ts';

const handle = useMigratedRuntime();

/** A fresh view of the keys, as another server or a restart would have: nothing cached. */
function freshSealer(options: { cacheTtlMs?: number } = {}): Sealer {
  return openKeys(handle.testDb.config, createLogger({ level: 'silent' }), options).sealer;
}

const ctxFor = (tenantId: string, rowId: string): SealContext => ({ tenantId, table: 'test_notes', column: 'body', rowId });

/** Seals a note's body and stores it in test_notes. */
async function storeNote(sealer: Sealer, tenantId: string, text: string): Promise<string> {
  const id = newId();
  await withTenant(handle.runtime.db, tenantId, async (trx) => {
    const sealed = await sealer.seal(trx, ctxFor(tenantId, id), Buffer.from(text));
    await trx.withTables<{ test_notes: { tenant_id: string; id: string; body: string } }>()
      .insertInto('test_notes').values({ tenant_id: tenantId, id, body: sealed.toString('base64') }).execute();
  });
  return id;
}

async function readNote(sealer: Sealer, tenantId: string, id: string): Promise<string> {
  return withTenant(handle.runtime.db, tenantId, async (trx) => {
    const row = await trx.withTables<{ test_notes: { tenant_id: string; id: string; body: string } }>()
      .selectFrom('test_notes').select('body').where('id', '=', id).executeTakeFirstOrThrow();
    return (await sealer.open(trx, ctxFor(tenantId, id), Buffer.from(row.body, 'base64'))).toString();
  });
}

describe(`data keys on ${ENGINE}`, () => {
  it('P-ENC-1: content is sealed under a per-tenant data key that is stored only wrapped', async () => {
    const sealer = freshSealer();
    const tenant = newId();
    const id = await storeNote(sealer, tenant, 'my private prompt');
    expect(await readNote(freshSealer(), tenant, id)).toBe('my private prompt');
    const stored = await withTenant(handle.runtime.db, tenant, (trx) => trx.selectFrom('tenant_keys').selectAll().execute());
    expect(stored).toHaveLength(1);
    expect(stored[0]!.wrapped.length).toBeGreaterThan(32 + 16);
    const body = await withTenant(handle.runtime.db, tenant, (trx) => trx.withTables<{ test_notes: { body: string; id: string } }>()
      .selectFrom('test_notes').select('body').where('id', '=', id).executeTakeFirstOrThrow());
    expect(Buffer.from(body.body, 'base64').includes(Buffer.from('my private prompt'))).toBe(false);
  });

  it('P-ENC-1: a tenant transaction cannot seal for, or open with the keys of, another tenant', async () => {
    const sealer = freshSealer();
    const a = newId();
    const b = newId();
    const idB = await storeNote(sealer, b, 'b secret');
    // Under A, B's keys are refused before the database is asked (where RLS would hide B's rows and
    // refuse a key made for B under A: the isolation tests prove that layer).
    await expect(withTenant(handle.runtime.db, a, (trx) => freshSealer().seal(trx, ctxFor(b, newId()), Buffer.from('x')))).rejects.toMatchObject({ code: 'forbidden' });
    const bodyOfB = await withTenant(handle.runtime.db, b, (trx) => trx.withTables<{ test_notes: { body: string; id: string } }>()
      .selectFrom('test_notes').select('body').where('id', '=', idB).executeTakeFirstOrThrow());
    await expect(withTenant(handle.runtime.db, a, (trx) => freshSealer().open(trx, ctxFor(b, idB), Buffer.from(bodyOfB.body, 'base64'))))
      .rejects.toMatchObject({ code: 'forbidden' });
  });

  it('P-ENC-1: a first key made in a transaction that rolls back leaves nothing behind, in memory either', async () => {
    const sealer = freshSealer();
    const tenant = newId();
    await expect(withTenant(handle.runtime.db, tenant, async (trx) => {
      await sealer.seal(trx, ctxFor(tenant, newId()), Buffer.from('never stored'));
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    const id = await storeNote(sealer, tenant, 'stored');
    // Another server (nothing cached) opens what the first one sealed after the rollback.
    expect(await readNote(freshSealer(), tenant, id)).toBe('stored');
  });

  it('P-ENC-1: a warm key cache still refuses a transaction of another tenant', async () => {
    const sealer = freshSealer();
    const a = newId();
    const b = newId();
    const idA = await storeNote(sealer, a, 'a secret');
    expect(await readNote(sealer, a, idA)).toBe('a secret'); // A's key is now cached
    const body = await withTenant(handle.runtime.db, a, (trx) => trx.withTables<{ test_notes: { body: string; id: string } }>()
      .selectFrom('test_notes').select('body').where('id', '=', idA).executeTakeFirstOrThrow());
    await expect(withTenant(handle.runtime.db, b, (trx) => sealer.open(trx, ctxFor(a, idA), Buffer.from(body.body, 'base64'))))
      .rejects.toMatchObject({ code: 'forbidden' });
    await expect(withTenant(handle.runtime.db, b, (trx) => sealer.seal(trx, ctxFor(a, newId()), Buffer.from('x'))))
      .rejects.toMatchObject({ code: 'forbidden' });
  });

  it('P-RET-5: a tenant shredded by another process stops opening on a server with warm caches once they expire', async () => {
    const server = freshSealer({ cacheTtlMs: 0 });
    const tenant = newId();
    const id = await storeNote(server, tenant, 'shred me elsewhere');
    expect(await readNote(server, tenant, id)).toBe('shred me elsewhere');
    await freshSealer().shredTenant(tenant); // e.g. the CLI
    await expect(readNote(server, tenant, id)).rejects.toMatchObject({ code: 'key_shredded' });
    await expect(storeNote(server, tenant, 'new data')).rejects.toMatchObject({ code: 'key_shredded' });
  });

  it('P-ENC-4: DEK rotation seals new writes under the new version while old values still open', async () => {
    const sealer = freshSealer();
    const tenant = newId();
    const before = await storeNote(sealer, tenant, 'sealed under v1');
    const version = await withTenant(handle.runtime.db, tenant, (trx) => sealer.rotateDataKey(trx, tenant));
    expect(version).toBe(2);
    const after = await storeNote(sealer, tenant, 'sealed under v2');
    const versions = await withTenant(handle.runtime.db, tenant, async (trx) => {
      const rows = await trx.withTables<{ test_notes: { body: string; id: string } }>().selectFrom('test_notes').select(['id', 'body']).execute();
      return Object.fromEntries(rows.map((row) => [row.id, sealedKeyVersion(Buffer.from(row.body, 'base64'))]));
    });
    expect(versions).toEqual({ [before]: 1, [after]: 2 });
    const reader = freshSealer();
    expect([await readNote(reader, tenant, before), await readNote(reader, tenant, after)]).toEqual(['sealed under v1', 'sealed under v2']);
  });
});

describe(`crypto-shredding and backups on ${ENGINE}`, () => {
  it('P-RET-5: a backup taken before shredding a tenant, restored afterwards, opens nothing of that tenant', async () => {
    const sealer = freshSealer();
    const shredded = newId();
    const kept = newId();
    const shreddedNotes = [await storeNote(sealer, shredded, 'erase me'), await storeNote(sealer, shredded, 'me too')];
    const keptNote = await storeNote(sealer, kept, 'keep me');

    const restore = await takeBackup();
    await sealer.shredTenant(shredded);
    for (const id of shreddedNotes) await expect(readNote(sealer, shredded, id)).rejects.toMatchObject({ code: 'key_shredded' });
    await restore();

    // The restored database holds the tenant's rows and wrapped data keys again...
    const rows = await withTenant(handle.runtime.db, shredded, (trx) => trx.selectFrom('tenant_keys').select('version').execute());
    expect(rows.length).toBeGreaterThan(0);
    // ...and none of it opens, for this server or any other; the other tenant is untouched.
    for (const reader of [sealer, freshSealer()]) {
      for (const id of shreddedNotes) await expect(readNote(reader, shredded, id)).rejects.toMatchObject({ code: 'key_shredded' });
      expect(await readNote(reader, kept, keptNote)).toBe('keep me');
    }
  });
});

/** Takes a backup of the database now; the function it returns restores it in place. */
async function takeBackup(): Promise<() => Promise<void>> {
  const config = handle.testDb.config;
  if (ENGINE === 'pglite') {
    // The embedded engine's backup is a copy of its files, taken while it is closed.
    const copy = `${pgliteDir(config.dataDir)}.backup-${crypto.randomBytes(4).toString('hex')}`;
    await whileRuntimeClosed(handle, async () => fs.cpSync(pgliteDir(config.dataDir), copy, { recursive: true }));
    return () => whileRuntimeClosed(handle, async () => {
      fs.rmSync(pgliteDir(config.dataDir), { recursive: true });
      fs.renameSync(copy, pgliteDir(config.dataDir));
    });
  }
  const dump = execFileSync('pg_dump', ['-Fc', config.databaseUrl!]);
  return () => whileRuntimeClosed(handle, async () => {
    const name = new URL(config.databaseUrl!).pathname.slice(1);
    await adminQuery(handle.testDb.adminUrl, `DROP DATABASE ${name} WITH (FORCE)`);
    await adminQuery(handle.testDb.adminUrl, `CREATE DATABASE ${name}`);
    execFileSync('pg_restore', ['-d', config.databaseUrl!], { input: dump });
  });
}
