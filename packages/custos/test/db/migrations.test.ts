import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/app.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { MIGRATIONS_DIR, applyMigrations, migrationStatus, readMigrations } from '../../src/db/migrate.ts';
import { prepareRuntimeRole } from '../../src/db/runtime-role.ts';
import { asOwner, createTestDatabase, ENGINE, type TestDatabase } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';

let testDb: TestDatabase;
let extraDir: string;
const log = (await import('../../src/core/log.ts')).createLogger({ level: 'info', destination: new LogCapture() });

beforeAll(async () => {
  testDb = await createTestDatabase();
  extraDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-migrations-'));
  fs.writeFileSync(path.join(extraDir, '9100_things.sql'), 'CREATE TABLE things (id int primary key);\nGRANT SELECT ON things TO custos_runtime;\n');
});
afterAll(async () => {
  await testDb?.drop();
  fs.rmSync(extraDir, { recursive: true, force: true });
});

const dirs = (): string[] => [MIGRATIONS_DIR, extraDir];

describe(`migrations on ${ENGINE}`, () => {
  it('apply in order once, recorded with checksums; a second run applies nothing', async () => {
    const first = await asOwner(testDb.config, async (owner) => {
      await prepareRuntimeRole(owner, testDb.config);
      return applyMigrations(owner, dirs(), log);
    });
    expect(first).toEqual(readMigrations(dirs()).map((m) => m.name));
    expect(first.at(-1)).toBe('9100_things.sql');
    const second = await asOwner(testDb.config, (owner) => applyMigrations(owner, dirs(), log));
    expect(second).toEqual([]);
    const runtime = await openDatabase(testDb.config, 'runtime');
    try {
      expect((await migrationStatus(runtime, dirs())).pending).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('an edited, already-applied migration is refused with a clear message, and nothing runs', async () => {
    fs.writeFileSync(path.join(extraDir, '9100_things.sql'), 'CREATE TABLE things (id bigint primary key);\n');
    fs.writeFileSync(path.join(extraDir, '9101_more.sql'), 'CREATE TABLE more_things (id int);\n');
    await expect(asOwner(testDb.config, (owner) => applyMigrations(owner, dirs(), log))).rejects.toThrow(
      /migration 9100_things\.sql was changed after it was applied.*forward-only/,
    );
    const exists = await asOwner(testDb.config, async (owner) =>
      (await owner.pool.query(`select to_regclass('more_things') is not null as found`)).rows[0].found,
    );
    expect(exists).toBe(false);
  });

  it('a database with a migration this version does not know is refused', async () => {
    fs.rmSync(path.join(extraDir, '9101_more.sql'));
    await expect(asOwner(testDb.config, (owner) => applyMigrations(owner, [MIGRATIONS_DIR], log))).rejects.toThrow(
      /has migration 9100_things\.sql, which this version of custos does not know/,
    );
  });

  it('a failing migration rolls back whole and is not recorded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-migrations-'));
    fs.writeFileSync(path.join(dir, '9200_half.sql'), 'CREATE TABLE half_done (id int);\nSELECT 1/0;\n');
    fs.writeFileSync(path.join(extraDir, '9100_things.sql'), 'CREATE TABLE things (id int primary key);\nGRANT SELECT ON things TO custos_runtime;\n');
    try {
      await expect(asOwner(testDb.config, (owner) => applyMigrations(owner, [...dirs(), dir], log))).rejects.toThrow(/9200_half\.sql failed/);
      const state = await asOwner(testDb.config, async (owner) => ({
        table: (await owner.pool.query(`select to_regclass('half_done') is not null as found`)).rows[0].found,
        recorded: (await owner.pool.query(`select count(*)::int as n from custos_migrations where name = '9200_half.sql'`)).rows[0].n,
      }));
      expect(state).toEqual({ table: false, recorded: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(ENGINE === 'postgres')('servers migrating at once apply each migration exactly once (advisory lock)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const racer = await createTestDatabase();
      try {
        const results = await Promise.all(
          Array.from({ length: 5 }, () => migrate(racer.config, { extraMigrationDirs: [extraDir], logDestination: new LogCapture() })),
        );
        const applied = results.flat().sort();
        expect(applied).toEqual(readMigrations(dirs()).map((m) => m.name).sort());
      } finally {
        await racer.drop();
      }
    }
  });
});
