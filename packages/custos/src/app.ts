// The composition root: the only place that constructs services. `main()`-style callers (the CLI,
// the tests) hand in the infrastructure they want (a log destination, extra migration folders, an
// authenticator), so tests build the real application on a real database.
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './core/config.ts';
import { createLogger, RecentLines, type Logger } from './core/log.ts';
import { runtimeFunctionProblems, runtimeLoginProblems, tenantTableProblems } from './db/catalog.ts';
import { openDatabase, type Database } from './db/connect.ts';
import { MIGRATIONS_DIR, applyMigrations, migrationStatus, withMigrationLock } from './db/migrate.ts';
import { prepareRuntimeRole } from './db/runtime-role.ts';
import { installJobSchema } from './jobs/schema.ts';
import { JobQueue } from './jobs/queue.ts';
import type { Authenticator } from './core/principal.ts';
import type { CheckResult } from './http/routes/health.ts';
import { buildHttpServer } from './http/server.ts';
import { REWRAP_DATA_KEYS, keysProblems, openKeys, rewrapJob, type Keys } from './keys.ts';
import { createIdentity, rateRules, type Identity, type IdentityTables, type RateRules } from './identity/index.ts';
import { createData, type Data, type DataTables } from './data/index.ts';
import { createMail, type Mail } from './mail/index.ts';
import { createVault, type Vault, type VaultTables } from './vault/index.ts';
import { createRights, type Rights, type RightsTables } from './rights/index.ts';
import { createPolicy, describeCategory, loadPolicy, rightsConfig, type PolicyService, type PolicyTables } from './policy/index.ts';
import { registerPolicyRoutes } from './http/routes/policy.ts';
import { registerVerifyRoute } from './http/routes/v1/verify.ts';
import { runVerify } from './verify/index.ts';
import { processExportBuilder } from './export-process.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { createRateLimiter, type RateLimiter } from './ratelimit/index.ts';
import { registerAuthRoutes } from './http/routes/auth.ts';
import { registerOtlpRoutes } from './http/routes/otlp.ts';
import { registerActionRoutes } from './http/routes/v1/actions.ts';
import { registerApiKeyRoutes } from './http/routes/v1/api-keys.ts';
import { registerCredentialRoutes } from './http/routes/v1/credentials.ts';
import { registerConversationRoutes } from './http/routes/v1/conversations.ts';
import { registerTraceRoutes } from './http/routes/v1/traces.ts';
import { registerMeRoutes } from './http/routes/v1/me.ts';
import { registerWorkspaceRoutes } from './http/routes/v1/workspaces.ts';
import { registerRightsRoutes } from './http/routes/v1/rights.ts';

export interface Infrastructure {
  logDestination?: DestinationStream;
  /** Folders of migrations applied after custos's own (extensions, test fixtures). */
  extraMigrationDirs?: readonly string[];
  authenticate?: Authenticator;
  /** Registers job handlers before the queue starts. */
  jobs?: (queue: JobQueue) => void;
  jobPollingIntervalSeconds?: number;
  /** Tighter or looser rate limits than the defaults (identity/rate-rules.ts). */
  rateRules?: Partial<RateRules>;
  /** Mail retry timings (default: 8 retries from 5 s with backoff). */
  mailRetry?: { limit?: number; delaySeconds?: number };
  /** The time the rules of time go by (grace periods, due dates, link expiry); the system's by default. */
  clock?: Clock;
}

export interface App {
  readonly config: Config;
  readonly log: Logger;
  /** What this process logged last (custos verify searches it for its canaries). */
  readonly recentLogs: RecentLines;
  readonly database: Database;
  readonly keys: Keys;
  readonly queue: JobQueue;
  readonly identity: Identity;
  readonly data: Data;
  readonly vault: Vault;
  readonly rights: Rights;
  readonly policy: PolicyService;
  readonly mail: Mail;
  readonly limiter: RateLimiter;
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
  // A bad policy file stops the start before anything is opened: nothing runs under a promise it cannot read.
  const loadedPolicy = loadPolicy(config);
  const recentLogs = new RecentLines();
  const log = createLogger({ level: config.logLevel, destination: infra.logDestination, recent: recentLogs });
  const clock = infra.clock ?? systemClock;
  const keys = openKeys(config, log);
  const database = await openDatabase(config, 'runtime');
  const queue = new JobQueue({ database, log, pollingIntervalSeconds: infra.jobPollingIntervalSeconds });
  const dirs = migrationDirs(infra);
  let http: FastifyInstance;
  let limiter: RateLimiter | undefined;
  let identity: Identity | undefined;
  const data = createData({ db: database.db.$extendTables<DataTables>(), sealer: keys.sealer, audit: keys.audit });
  let vault: Vault;
  let rights: Rights;
  // On a database server each export is built in a process of its own (export-process.ts).
  const exportBuilder = database.engine === 'postgres'
    ? processExportBuilder(config, {
      started: (job, pid) => log.info({ exportId: job.exportId, attempt: job.attempt, pid }, 'export builder started'),
      built: (job, pid, built) => log.info({ exportId: job.exportId, attempt: job.attempt, pid, peakRssMiB: Math.round(built.peakRssBytes / 2 ** 20) }, 'export built'),
    })
    : undefined;
  const mail = createMail({ database, keystore: keys.keystore, queue, log, dataDir: config.dataDir, config: config.mail, retry: infra.mailRetry });
  const policy = createPolicy({
    loaded: loadedPolicy, db: database.db.$extendTables<PolicyTables>(), clock, queue, mail: mail.outbox, publicUrl: config.publicUrl, log, pinnedVersion: config.policyVersion,
  });
  try {
    queue.handle(REWRAP_DATA_KEYS, rewrapJob(keys, database));
    mail.register();
    vault = createVault({ db: database.db.$extendTables<VaultTables>(), sealer: keys.sealer, keystore: keys.keystore, audit: keys.audit, queue, config: config.vault, log });
    vault.register();
    const vaultOf = vault;
    rights = createRights({
      db: database.db.$extendTables<RightsTables>(), sealer: keys.sealer, keystore: keys.keystore, audit: keys.audit, queue, mail: mail.outbox, vault,
      clock, log, dataDir: config.dataDir, publicUrl: config.publicUrl, config: rightsConfig(config.rights, loadedPolicy.policy),
      // The version in force, as /privacy shows it (the file until the first start has published it).
      describeCategory: (category) => describeCategory(policy.versions.inForceDocument() ?? loadedPolicy.policy, category),
      buildExport: exportBuilder?.build,
    });
    rights.register();
    policy.register();
    await policy.start();
    const rightsOf = rights;
    infra.jobs?.(queue);
    limiter = await createRateLimiter({ pool: database.pool, redisUrl: config.redisUrl, secret: await keys.keystore.secret('instance:ratelimit'), log });
    const rateLimiter = limiter;
    const rules = rateRules(infra.rateRules);
    identity = createIdentity({
      db: database.db.$extendTables<IdentityTables>(),
      database,
      settings: {
        publicUrl: config.publicUrl,
        requireEmailVerification: config.requireEmailVerification,
        sessionIdleSeconds: config.sessionIdleSeconds,
        sessionAbsoluteSeconds: config.sessionAbsoluteSeconds,
      },
      policyVersion: () => policy.versions.current(),
      // Derived from the keystore, so every server of the instance signs and checks cookies alike.
      secret: (await keys.keystore.secret('instance:auth')).toString('base64url'),
      keystore: keys.keystore,
      audit: keys.audit,
      mail: mail.outbox,
      limiter,
      rules,
      log,
      shredWorkspace: (workspaceId) => keys.sealer.shredTenant(workspaceId),
      afterSignUp: (person) => policy.noticeNewcomer(person.email),
    });
    const ident = identity;
    await identity.start();
    await queue.start();
    await rights.resume();
    http = await buildHttpServer({
      config,
      log,
      authenticate: infra.authenticate ?? identity.authenticate,
      routes: (app) => {
        registerAuthRoutes(app, { auth: ident.auth, sessionOf: ident.sessionOf, nameOf: (personId) => ident.names.get(personId), limiter: rateLimiter, publicOrigin: config.publicUrl.origin, rules });
        registerMeRoutes(app, ident);
        registerWorkspaceRoutes(app, ident);
        registerApiKeyRoutes(app, ident);
        registerConversationRoutes(app, data);
        registerTraceRoutes(app, data);
        registerOtlpRoutes(app, data);
        registerCredentialRoutes(app, vaultOf);
        registerActionRoutes(app, vaultOf);
        registerRightsRoutes(app, { rights: rightsOf, identity: ident });
        registerPolicyRoutes(app, policy);
        // The report needs the whole application, which exists once this function has returned.
        registerVerifyRoute(app, { isInstanceAdmin: (personId) => ident.isInstanceAdmin(personId), verify: () => runVerify(self) });
      },
      readiness: async () => ({
        database: await check(async () => (await database.pool.query('select 1'), [])),
        keys: await check(() => keysProblems(keys)),
        migrations: await check(async () => (await migrationStatus(database, dirs)).pending.map((name) => `${name} is pending`)),
        isolation: await check(async () => [
          ...(await runtimeLoginProblems(database)),
          ...(await runtimeFunctionProblems(database)),
          ...(await tenantTableProblems(database)),
        ]),
        requests: await (async (): Promise<CheckResult> => {
          const overdue = await rightsOf.requests.overdueCount().catch(() => 0);
          return overdue > 0 ? { ok: true, warning: `${overdue} request(s) about personal data are overdue (custos requests --overdue)` } : { ok: true };
        })(),
      }),
    });
  } catch (err) {
    policy.close();
    await queue.stop().catch(() => undefined);
    await identity?.close().catch(() => undefined);
    await limiter?.close().catch(() => undefined);
    await mail.close().catch(() => undefined);
    await database.close();
    throw err;
  }
  const rateLimiter = limiter;

  let closing: Promise<void> | undefined;
  const self: App = {
    config,
    log,
    recentLogs,
    database,
    keys,
    queue,
    identity,
    data,
    vault,
    rights,
    policy,
    mail,
    limiter: rateLimiter,
    http,
    listen: () => http.listen({ port: config.port, host: config.host }),
    close: () =>
      (closing ??= (async () => {
        await http.close();
        policy.close();
        await queue.stop();
        // Builders whose job did not finish in time: their claims lapse, another server rebuilds.
        exportBuilder?.stop();
        await identity.close();
        await rateLimiter.close();
        await mail.close();
        await database.close();
      })()),
  };
  return self;
}
