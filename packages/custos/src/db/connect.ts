// One database layer over two engines: PGlite (embedded, in the data dir) and a Postgres server.
// Both are reached through a pg Pool and Kysely, so every query runs on one code path.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import type { Config } from '../core/config.ts';
import { lockDirectory } from './lock.ts';
import { CustosPool } from './pool.ts';
import { RUNTIME_ROLE, quoteIdent, runtimePassword } from './roles.ts';
import { checkChannel, listenOnServer, type ListenCallbacks, type Listener } from './listen.ts';
import { GuardedClient } from './runtime-guard.ts';
import { DeferredBeginClient, dropHeldBegin } from './deferred-begin.ts';
import type { Schema } from './schema.ts';

export type Engine = 'pglite' | 'postgres';
export type Identity = 'owner' | 'runtime';

export interface Database {
  readonly db: Kysely<Schema>;
  readonly pool: CustosPool;
  readonly engine: Engine;
  readonly identity: Identity;
  /** LISTENs for notifications on a channel (listen.ts). */
  listen(channel: string, callbacks: ListenCallbacks): Promise<Listener>;
  close(): Promise<void>;
}

export type DatabaseConfig = Pick<
  Config,
  'dataDir' | 'databaseUrl' | 'databaseRuntimeUrl' | 'runtimePassword' | 'dbAcquireTimeoutMs' | 'dbPoolSize'
>;

export function engineOf(config: Pick<Config, 'databaseUrl'>): Engine {
  return config.databaseUrl ? 'postgres' : 'pglite';
}

export function pgliteDir(dataDir: string): string {
  return path.join(dataDir, 'pgdata');
}

export async function openDatabase(config: DatabaseConfig, identity: Identity): Promise<Database> {
  return config.databaseUrl ? openServer(config, config.databaseUrl, identity) : openEmbedded(config, identity);
}

/** The runtime login's connection string: DATABASE_RUNTIME_URL, or DATABASE_URL with the user swapped. */
export function runtimeUrl(config: DatabaseConfig, databaseUrl: string): string {
  if (config.databaseRuntimeUrl) return config.databaseRuntimeUrl;
  const url = new URL(databaseUrl);
  url.username = RUNTIME_ROLE;
  url.password = encodeURIComponent(runtimePassword(config.dataDir, config.runtimePassword));
  return url.toString();
}

async function openServer(config: DatabaseConfig, databaseUrl: string, identity: Identity): Promise<Database> {
  const connectionString = identity === 'owner' ? databaseUrl : runtimeUrl(config, databaseUrl);
  const pool = new CustosPool({
    connectionString,
    max: identity === 'owner' ? 2 : config.dbPoolSize,
    Client: DeferredBeginClient,
    connectionTimeoutMillis: config.dbAcquireTimeoutMs,
    application_name: `custos-${identity}`,
  });
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  pool.on('release', dropHeldBegin);
  const listen = async (channel: string, callbacks: ListenCallbacks) => listenOnServer(connectionString, channel, callbacks);
  return wrap(pool, 'postgres', identity, listen, async () => pool.end());
}

async function openEmbedded(config: DatabaseConfig, identity: Identity): Promise<Database> {
  const dir = pgliteDir(config.dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const unlock = lockDirectory(config.dataDir);
  let pglite: PGlite | undefined;
  try {
    pglite = await PGlite.create(dir);
    if (identity === 'runtime') {
      // See runtime-guard.ts: the session becomes custos_runtime for good; the pool refuses the
      // few statements that single-user mode would still let it use to leave.
      await pglite.exec(`SET SESSION AUTHORIZATION ${quoteIdent(RUNTIME_ROLE)}`);
    }
  } catch (err) {
    await pglite?.close().catch(() => undefined);
    unlock();
    throw err;
  }
  const instance = pglite;
  const pool = new CustosPool({
    ...createPgConfig(instance),
    max: 1,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: config.dbAcquireTimeoutMs,
    Client: identity === 'runtime' ? GuardedClient : DeferredBeginClient,
  });
  pool.on('release', dropHeldBegin);
  const listen = async (channel: string, callbacks: ListenCallbacks): Promise<Listener> => {
    checkChannel(channel);
    const unlisten = await instance.listen(channel, () => callbacks.notified());
    let listening = true;
    return {
      healthy: () => listening,
      close: async () => {
        listening = false;
        await unlisten().catch(() => undefined);
      },
    };
  };
  return wrap(pool, 'pglite', identity, listen, async () => {
    await pool.end();
    await instance.close();
    unlock();
  });
}

function wrap(pool: CustosPool, engine: Engine, identity: Identity, listen: Database['listen'], close: () => Promise<void>): Database {
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    engine,
    identity,
    listen,
    close: () => (closing ??= close()),
  };
}
