// Forward-only migrations: plain .sql files applied in name order by the schema owner, each in its
// own transaction, under an advisory lock (withMigrationLock) so that several servers starting at
// once apply each migration exactly once. Each is recorded with the SHA-256 of its text; a file edited after it was
// applied, or an applied migration this version of custos does not know, stops the run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Logger } from '../core/log.ts';
import type { Database } from './connect.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

// pg_advisory_lock takes a bigint; this one spells "custos" in ASCII.
const MIGRATION_LOCK_KEY = '108995850186611';

const NAME_PATTERN = /^\d{4}_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function checksumOf(sql: string): string {
  return crypto.createHash('sha256').update(sql).digest('hex');
}

/** Reads the migration files of every folder, in one name order; names must be unique across them. */
export function readMigrations(dirs: readonly string[]): MigrationFile[] {
  const byName = new Map<string, MigrationFile>();
  for (const dir of dirs) {
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith('.sql')) continue;
      if (!NAME_PATTERN.test(name)) throw new MigrationError(`migration file name ${name} must look like 0001_name.sql`);
      if (byName.has(name)) throw new MigrationError(`migration ${name} exists twice`);
      const sql = fs.readFileSync(path.join(dir, name), 'utf8');
      byName.set(name, { name, sql, checksum: checksumOf(sql) });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** Compares recorded migrations with the files; throws on an edited or unknown one. */
export function compareMigrations(files: readonly MigrationFile[], recorded: ReadonlyMap<string, string>): MigrationStatus {
  const known = new Set(files.map((file) => file.name));
  for (const name of recorded.keys()) {
    if (!known.has(name)) {
      throw new MigrationError(`the database has migration ${name}, which this version of custos does not know; run a newer custos`);
    }
  }
  const status: MigrationStatus = { applied: [], pending: [] };
  for (const file of files) {
    const checksum = recorded.get(file.name);
    if (checksum === undefined) status.pending.push(file.name);
    else if (checksum !== file.checksum) {
      throw new MigrationError(
        `migration ${file.name} was changed after it was applied (recorded checksum ${checksum.slice(0, 12)}…, file ${file.checksum.slice(0, 12)}…); migrations are forward-only: restore the file and add a new migration`,
      );
    } else status.applied.push(file.name);
  }
  return status;
}

async function recordedMigrations(client: pg.PoolClient | pg.Pool): Promise<Map<string, string>> {
  const exists = await client.query<{ found: boolean }>(`select to_regclass('public.custos_migrations') is not null as found`);
  if (!exists.rows[0]?.found) return new Map();
  const result = await client.query<{ name: string; checksum: string }>('select name, checksum from custos_migrations');
  return new Map(result.rows.map((row) => [row.name, row.checksum]));
}

/** Read-only check for readiness: are all known migrations applied, unchanged? */
export async function migrationStatus(database: Database, dirs: readonly string[]): Promise<MigrationStatus> {
  return compareMigrations(readMigrations(dirs), await recordedMigrations(database.pool));
}

/**
 * Runs fn while holding the migration lock, so that servers starting at once migrate one after
 * another. The lock is a session-level advisory lock on a connection of its own; fn uses the
 * pool's other connection. The embedded engine needs none: its file lock already admits a single
 * process, and its pool has one connection.
 */
export async function withMigrationLock<T>(owner: Database, fn: () => Promise<T>): Promise<T> {
  if (owner.identity !== 'owner') throw new MigrationError('migrations run as the schema owner');
  if (owner.engine === 'pglite') return fn();
  const client = await owner.pool.connect();
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      return await fn();
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** Applies pending migrations, each in its own transaction. Call it under withMigrationLock(). */
export async function applyMigrations(owner: Database, dirs: readonly string[], log: Logger): Promise<string[]> {
  if (owner.identity !== 'owner') throw new MigrationError('migrations run as the schema owner');
  const files = readMigrations(dirs);
  const client = await owner.pool.connect();
  try {
    await client.query(`create table if not exists custos_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const status = compareMigrations(files, await recordedMigrations(client));
    const applied: string[] = [];
    for (const file of files.filter((f) => status.pending.includes(f.name))) {
      await client.query('begin');
      try {
        await client.query(file.sql);
        await client.query('insert into custos_migrations (name, checksum) values ($1, $2)', [file.name, file.checksum]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new MigrationError(`migration ${file.name} failed: ${(err as Error).message}`);
      }
      log.info({ migration: file.name }, 'migration applied');
      applied.push(file.name);
    }
    return applied;
  } finally {
    client.release();
  }
}
