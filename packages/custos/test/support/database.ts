// A fresh database for one test file, on the engine this run tests: a copy of the initialised
// PGlite template in a temporary data dir, or a new database on the Postgres server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig, type Config } from '../../src/core/config.ts';
import { migrate } from '../../src/app.ts';
import { openDatabase, pgliteDir, type Database } from '../../src/db/connect.ts';
import { LogCapture } from './log-capture.ts';

export const ENGINE = inject('engine');
export const TEST_MIGRATIONS = path.join(import.meta.dirname, '..', 'fixtures', 'migrations');
// Test databases share the server's one custos_runtime role: one password for all of them, so
// that parallel test files do not rotate it under each other.
const TEST_RUNTIME_PASSWORD = 'test-only-runtime-password';

export interface TestDatabase {
  config: Config;
  /** For tests that must act as the server's administrator (postgres only). */
  adminUrl: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(overrides: Partial<Config> = {}): Promise<TestDatabase> {
  // A second server of one instance may bring its own data dir (holding copies of the key files).
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'custos-data-'));
  const base = loadConfig({}, { dataDir, port: 0 });
  const config: Config = { ...base, runtimePassword: TEST_RUNTIME_PASSWORD, logLevel: 'info', ...overrides };
  if (ENGINE === 'pglite') {
    fs.cpSync(inject('pgliteTemplate'), pgliteDir(dataDir), { recursive: true });
    return { config, adminUrl: '', drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = inject('postgresAdminUrl');
  const name = `custos_test_${crypto.randomBytes(6).toString('hex')}`;
  // Like langfuse's guard: never touch a database whose name does not say it is a test's.
  if (!name.includes('test')) throw new Error('refusing a test database without "test" in its name');
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    config: { ...config, databaseUrl: url.toString() },
    adminUrl,
    drop: async () => {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Migrates a test database (custos's migrations and the test fixtures) and opens its runtime pool. */
export async function migratedRuntime(testDatabase: TestDatabase): Promise<Database> {
  await migrate(testDatabase.config, { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: new LogCapture() });
  return openDatabase(testDatabase.config, 'runtime');
}

/**
 * Runs fn as the schema owner. The embedded engine allows one open instance per data dir, so
 * close the runtime pool before and reopen it after on that engine.
 */
export async function asOwner<T>(config: Config, fn: (owner: Database) => Promise<T>): Promise<T> {
  const owner = await openDatabase(config, 'owner');
  try {
    return await fn(owner);
  } finally {
    await owner.close();
  }
}

export interface MigratedRuntime {
  testDb: TestDatabase;
  runtime: Database;
}

/**
 * For a test file that needs a migrated database and its runtime pool: registers the hooks that
 * create them before the file's tests and drop them after. Read the fields inside tests and hooks.
 */
export function useMigratedRuntime(overrides: Partial<Config> = {}): MigratedRuntime {
  const handle = {} as MigratedRuntime;
  beforeAll(async () => {
    handle.testDb = await createTestDatabase(overrides);
    handle.runtime = await migratedRuntime(handle.testDb);
  });
  afterAll(async () => {
    await handle.runtime?.close();
    await handle.testDb?.drop();
  });
  return handle;
}

/**
 * Runs fn with the runtime pool closed and reopens it afterwards: the embedded engine admits one
 * open instance per data dir, so owner work (DDL, tampering, a child process) needs it closed.
 */
export async function whileRuntimeClosed<T>(handle: MigratedRuntime, fn: () => Promise<T>): Promise<T> {
  await handle.runtime.close();
  try {
    return await fn();
  } finally {
    handle.runtime = await openDatabase(handle.testDb.config, 'runtime');
  }
}
