// A database of the benchmark's own: on the server of DATABASE_URL (created and dropped), or the
// embedded engine in a temporary data dir. Never the operator's database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../packages/custos/src/app.ts';
import { loadConfig, type Config } from '../packages/custos/src/core/config.ts';
import { newId } from '../packages/custos/src/core/ids.ts';
import { createLogger } from '../packages/custos/src/core/log.ts';
import { openDatabase, type Database } from '../packages/custos/src/db/connect.ts';

const BENCH_MIGRATIONS = path.join(import.meta.dirname, 'migrations');
const TEST_FIXTURES = path.join(import.meta.dirname, '..', 'packages', 'custos', 'test', 'fixtures', 'migrations');

export interface BenchDatabase {
  config: Config;
  runtime: Database;
  close(): Promise<void>;
}

/** `ownTablesOnly`: custos's migrations alone, as a deployment has them (no fixture or bench tables). */
export async function openBenchDatabase(options: { ownTablesOnly?: boolean } = {}): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bench-'));
  let dropServerDatabase = async (): Promise<void> => undefined;
  let databaseUrl: string | undefined;
  if (process.env.DATABASE_URL) {
    const name = `custos_bench_${newId().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropServerDatabase = async () => {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  const config: Config = { ...loadConfig({ ...process.env, DATABASE_URL: databaseUrl }, { dataDir }), logLevel: 'silent' };
  await migrate(config, { extraMigrationDirs: options.ownTablesOnly ? [] : [TEST_FIXTURES, BENCH_MIGRATIONS] }, createLogger({ level: 'silent' }));
  const runtime = await openDatabase(config, 'runtime');
  return {
    config,
    runtime,
    close: async () => {
      await runtime.close();
      await dropServerDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
