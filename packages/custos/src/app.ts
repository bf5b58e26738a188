// The composition root: the only place that constructs services. `main()`-style callers (the CLI,
// the tests) hand in the infrastructure they want (a log destination, extra migration folders, an
// authenticator), so tests build the real application on a real database.
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './core/config.ts';
import { createLogger, type Logger } from './core/log.ts';
import { runtimeFunctionProblems, runtimeLoginProblems, tenantTableProblems } from './db/catalog.ts';
import { openDatabase, type Database } from './db/connect.ts';
import { MIGRATIONS_DIR, applyMigrations, migrationStatus, withMigrationLock } from './db/migrate.ts';
import { prepareRuntimeRole } from './db/runtime-role.ts';
import { installJobSchema } from './jobs/schema.ts';
import { JobQueue } from './jobs/queue.ts';
import { nobodyIsSignedIn, type Authenticator } from './http/auth.ts';
import type { CheckResult } from './http/routes/health.ts';
import { buildHttpServer } from './http/server.ts';
import { REWRAP_DATA_KEYS, keysProblems, openKeys, rewrapJob, type Keys } from './keys.ts';

export interface Infrastructure {
  logDestination?: DestinationStream;
  /** Folders of migrations applied after custos's own (extensions, test fixtures). */
  extraMigrationDirs?: readonly string[];
  authenticate?: Authenticator;
  /** Registers job handlers before the queue starts. */
  jobs?: (queue: JobQueue) => void;
  jobPollingIntervalSeconds?: number;
}

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly database: Database;
  readonly keys: Keys;
  readonly queue: JobQueue;
  readonly http: FastifyInstance;
  /** Starts listening; resolves with the address. */
  listen(): Promise<string>;
  /** Graceful: stops accepting, lets in-flight requests and jobs finish, then closes the database. */
  close(): Promise<void>;
}

function migrationDirs(infra: Infrastructure): string[] {
  return [MIGRATIONS_DIR, ...(infra.extraMigrationDirs ?? [])];
}

/** `custos migrate`: as the schema owner, prepares the runtime login, applies migrations, installs the job schema. */
export async function migrate(config: Config, infra: Infrastructure = {}, log?: Logger): Promise<string[]> {
  const logger = log ?? createLogger({ level: config.logLevel, destination: infra.logDestination });
  const owner = await openDatabase(config, 'owner');
  try {
    return await withMigrationLock(owner, async () => {
      await prepareRuntimeRole(owner, config);
      const applied = await applyMigrations(owner, migrationDirs(infra), logger);
      await installJobSchema(owner);
      return applied;
    });
  } finally {
    await owner.close();
  }
}

async function check(fn: () => Promise<string[]>): Promise<CheckResult> {
  try {
    const problems = await fn();
    return problems.length === 0 ? { ok: true } : { ok: false, problem: problems.join('; ') };
  } catch (err) {
    return { ok: false, problem: err instanceof Error && err.name === 'MigrationError' ? err.message : 'unreachable' };
  }
}

/** Builds the running application on the runtime login. Run migrate() first. */
export async function createApp(config: Config, infra: Infrastructure = {}): Promise<App> {
  const log = createLogger({ level: config.logLevel, destination: infra.logDestination });
  const keys = openKeys(config, log);
  const database = await openDatabase(config, 'runtime');
  const queue = new JobQueue({ database, log, pollingIntervalSeconds: infra.jobPollingIntervalSeconds });
  const dirs = migrationDirs(infra);
  let http: FastifyInstance;
  try {
    queue.handle(REWRAP_DATA_KEYS, rewrapJob(keys, database));
    infra.jobs?.(queue);
    await queue.start();
    http = await buildHttpServer({
      config,
      log,
      authenticate: infra.authenticate ?? nobodyIsSignedIn,
      readiness: async () => ({
        database: await check(async () => (await database.pool.query('select 1'), [])),
        keys: await check(() => keysProblems(keys)),
        migrations: await check(async () => (await migrationStatus(database, dirs)).pending.map((name) => `${name} is pending`)),
        isolation: await check(async () => [
          ...(await runtimeLoginProblems(database)),
          ...(await runtimeFunctionProblems(database)),
          ...(await tenantTableProblems(database)),
        ]),
      }),
    });
  } catch (err) {
    await queue.stop().catch(() => undefined);
    await database.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    log,
    database,
    keys,
    queue,
    http,
    listen: () => http.listen({ port: config.port, host: config.host }),
    close: () =>
      (closing ??= (async () => {
        await http.close();
        await queue.stop();
        await database.close();
      })()),
  };
}
