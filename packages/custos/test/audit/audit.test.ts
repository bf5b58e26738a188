import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail, INSTANCE_CHAIN, verifyChain, type AuditEntryInput, type AuditTables, type AuditTrx } from '../../src/audit/index.ts';
import { newId } from '../../src/core/ids.ts';
import { Keystore, LocalKeyFile } from '../../src/crypto/index.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { asOwner, ENGINE, useMigratedRuntime, whileRuntimeClosed } from '../support/database.ts';

const handle = useMigratedRuntime();
let audit: AuditTrail;
let macKey: Buffer;

beforeAll(async () => {
  const keys = LocalKeyFile.open(handle.testDb.config.dataDir);
  audit = new AuditTrail(new Keystore(handle.testDb.config.dataDir, keys));
  macKey = await audit.macKey();
});

const inChain = <T>(chain: string, fn: (trx: AuditTrx) => Promise<T>): Promise<T> =>
  withTenant(handle.runtime.db, chain, (trx) => fn(trx as unknown as AuditTrx));

async function writeChain(chain: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await inChain(chain, (trx) => audit.record(trx, chain, { action: 'run.executed', actorId: newId(), targetType: 'run', targetId: newId(), details: { model: 'gpt-4o-mini', tokens: 100 + i } }));
  }
}

async function verify(chain: string): Promise<string | null> {
  return (await inChain(chain, (trx) => verifyChain(trx as unknown as Kysely<AuditTables>, chain, macKey))).problem;
}

/** Tampers as the database owner, with the append-only trigger disabled, as an attacker with the owner's rights could. */
async function tamper(statements: string[]): Promise<void> {
  await whileRuntimeClosed(handle, () => asOwner(handle.testDb.config, async (owner) => {
    await owner.pool.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
    for (const statement of statements) await owner.pool.query(statement);
    await owner.pool.query('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only');
  }));
}

describe(`audit trail on ${ENGINE}`, () => {
  it('P-AUD-1: an entry is written in the transaction of the change, and only if it commits', async () => {
    const chain = newId();
    await writeChain(chain, 2);
    await expect(inChain(chain, async (trx) => {
      await audit.record(trx, chain, { action: 'run.executed', actorId: newId() });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    const entries = await inChain(chain, (trx) => trx.selectFrom('audit_entries').select(['seq', 'action', 'details']).orderBy('seq').execute());
    expect(entries.map((e) => Number(e.seq))).toEqual([1, 2]);
    expect(entries[1]!.details).toEqual({ model: 'gpt-4o-mini', tokens: 101 });
    expect(await verify(chain)).toBeNull();
  });

  it('P-AUD-1: entries hold ids and model details only; free text and addresses are refused', async () => {
    const chain = newId();
    const refused: AuditEntryInput[] = [
      { action: 'run.executed', targetId: 'bob@example.com' },
      { action: 'run.executed', details: { prompt: 'tell me a secret' } },
      { action: 'Ran a thing' },
      { action: 'run.executed', client: { ip: '203.0.113.9' } },
      { action: 'run.executed', details: { from: '203.0.113.9' } },
      { action: 'run.executed', targetId: '2001:db8::1' },
    ];
    for (const entry of refused) {
      await expect(inChain(chain, (trx) => audit.record(trx, chain, entry))).rejects.toMatchObject({ code: 'invalid_request' });
    }
  });

  it('P-AUD-1: the runtime may only insert; the owner meets the append-only trigger', async () => {
    const chain = newId();
    await writeChain(chain, 1);
    for (const statement of ["UPDATE audit_entries SET action = 'x'", 'DELETE FROM audit_entries', 'TRUNCATE audit_entries']) {
      await expect(inChain(chain, (trx) => trx.executeQuery({ sql: statement, parameters: [], query: { kind: 'RawNode' } as never, queryId: { queryId: 'x' } })))
        .rejects.toMatchObject({ code: '42501' });
    }
    await whileRuntimeClosed(handle, () => asOwner(handle.testDb.config, async (owner) => {
      for (const statement of ["UPDATE audit_entries SET action = 'x'", 'DELETE FROM audit_entries', 'TRUNCATE audit_entries']) {
        await expect(owner.pool.query(statement)).rejects.toThrow(/append-only/);
      }
    }));
    expect(await verify(chain)).toBeNull();
  });

  it('P-AUD-1: concurrent writers on one tenant never fork the chain', async () => {
    const chain = newId();
    await Promise.all(Array.from({ length: 25 }, (_, i) =>
      inChain(chain, (trx) => audit.record(trx, chain, { action: 'message.stored', actorId: newId(), details: { n: i } })),
    ));
    const seqs = await inChain(chain, (trx) => trx.selectFrom('audit_entries').select('seq').orderBy('seq').execute());
    expect(seqs.map((row) => Number(row.seq))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await verify(chain)).toBeNull();
  });

  it('the instance chain records events outside any workspace', async () => {
    await inChain(INSTANCE_CHAIN, (trx) => audit.record(trx, INSTANCE_CHAIN, { action: 'session.created', actorId: newId() }));
    expect(await verify(INSTANCE_CHAIN)).toBeNull();
  });

  it('P-AUD-1: IP address and user agent are sealed under the person’s secret; erasing the person leaves the chain intact', async () => {
    const chain = newId();
    const person = newId();
    await inChain(chain, (trx) => audit.record(trx, chain, { action: 'session.created', actorId: person, client: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 test' } }));
    const row = await inChain(chain, (trx) => trx.selectFrom('audit_entries').selectAll().executeTakeFirstOrThrow());
    expect(row.client_sealed!.includes(Buffer.from('203.0.113.9'))).toBe(false);
    expect(await audit.openClient(chain, row)).toEqual({ ip: '203.0.113.9', userAgent: 'Mozilla/5.0 test' });
    await audit.shredPerson(person);
    await expect(audit.openClient(chain, row)).rejects.toMatchObject({ code: 'key_shredded' });
    expect(await verify(chain)).toBeNull();
  });

  it.each([
    ['an edited entry', (c: string) => [`UPDATE audit_entries SET action = 'run.deleted' WHERE tenant_id = '${c}' AND seq = 3`], /entry 3 does not match its hash/],
    ['a deleted entry', (c: string) => [`DELETE FROM audit_entries WHERE tenant_id = '${c}' AND seq = 2`], /entry 2 is missing/],
    ['reordered entries', (c: string) => [
      `UPDATE audit_entries SET seq = 100 WHERE tenant_id = '${c}' AND seq = 2`,
      `UPDATE audit_entries SET seq = 2 WHERE tenant_id = '${c}' AND seq = 3`,
      `UPDATE audit_entries SET seq = 3 WHERE tenant_id = '${c}' AND seq = 100`,
    ], /entry 2 does not match its hash/],
    ['the last entry removed with the head rolled back', (c: string) => [
      `DELETE FROM audit_entries WHERE tenant_id = '${c}' AND seq = 4`,
      `UPDATE audit_heads SET seq = 3, hash = (SELECT hash FROM audit_entries WHERE tenant_id = '${c}' AND seq = 3) WHERE tenant_id = '${c}'`,
    ], /MAC is wrong/],
  ])('P-AUD-1: custos audit verify catches %s and names the link', async (_label, statements, expected) => {
    const chain = newId();
    await writeChain(chain, 4);
    expect(await verify(chain)).toBeNull();
    await tamper(statements(chain));
    expect(await verify(chain)).toMatch(expected);
  });

  it('P-AUD-1: a chain re-written from an entry on, with every later hash recomputed, fails on the head’s MAC', async () => {
    const chain = newId();
    await writeChain(chain, 4);
    // The attacker edits entry 2 and recomputes the chain from there (they know the algorithm),
    // but cannot compute the head's MAC without the audit key.
    const { nextHash } = await import('../../src/audit/chain.ts');
    const rows = await inChain(chain, (trx) => trx.selectFrom('audit_entries').selectAll().orderBy('seq').execute());
    rows[1]!.action = 'run.cancelled';
    const hashes: Buffer[] = [];
    let previous = rows[0]!.hash;
    for (const row of rows.slice(1)) {
      previous = nextHash(previous, row);
      hashes.push(previous);
    }
    const hex = (b: Buffer): string => `'\\x${b.toString('hex')}'::bytea`;
    await tamper([
      `UPDATE audit_entries SET action = 'run.cancelled', hash = ${hex(hashes[0]!)} WHERE tenant_id = '${chain}' AND seq = 2`,
      `UPDATE audit_entries SET hash = ${hex(hashes[1]!)} WHERE tenant_id = '${chain}' AND seq = 3`,
      `UPDATE audit_entries SET hash = ${hex(hashes[2]!)} WHERE tenant_id = '${chain}' AND seq = 4`,
      `UPDATE audit_heads SET hash = ${hex(hashes[2]!)} WHERE tenant_id = '${chain}'`,
    ]);
    expect(await verify(chain)).toMatch(/MAC is wrong: the chain was rewritten without the audit key/);
  });

  it('P-AUD-1: verifying while writers append reports the chain intact (entries beyond the head read are not its concern)', async () => {
    const chain = newId();
    await writeChain(chain, 3);
    const writing = writeChain(chain, 30);
    const reports: Array<string | null> = [];
    for (let i = 0; i < 10; i += 1) reports.push(await verify(chain));
    await writing;
    expect(reports).toEqual(Array(10).fill(null));
    expect(await verify(chain)).toBeNull();
  });

  it('custos audit verify reports each chain and exits 1 on a broken one', async () => {
    const main = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
    const env = { ...process.env, CUSTOS_RUNTIME_PASSWORD: handle.testDb.config.runtimePassword, ...(handle.testDb.config.databaseUrl ? { DATABASE_URL: handle.testDb.config.databaseUrl } : {}) };
    const chain = newId();
    await writeChain(chain, 2);
    // The embedded engine admits one process: the CLI runs while this one's pool is closed.
    await whileRuntimeClosed(handle, async () => {
      const good = spawnSync(process.execPath, [main, 'audit', 'verify', '--workspace', chain, '--data-dir', handle.testDb.config.dataDir], { env, encoding: 'utf8' });
      expect([good.status, good.stdout]).toEqual([0, `workspace ${chain}: ok (2 entries)\n`]);
      await asOwner(handle.testDb.config, async (owner) => {
        await owner.pool.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
        await owner.pool.query(`DELETE FROM audit_entries WHERE tenant_id = '${chain}' AND seq = 1`);
        await owner.pool.query('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only');
      });
      const bad = spawnSync(process.execPath, [main, 'audit', 'verify', '--data-dir', handle.testDb.config.dataDir], { env, encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain(`workspace ${chain}: BROKEN at entry 1 is missing (deleted or moved)\n`);
    });
  });
});
