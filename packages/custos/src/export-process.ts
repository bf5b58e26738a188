// Exports built in a process of their own (database servers only; the embedded engine admits one
// process, so there the server builds them itself). Why a process: an export of a large account
// is seconds of CPU (opening every value, JSON, deflate) that would otherwise stall the server's
// requests, and its allocation rate grows V8's heap, so that a server's resident memory rose by
// 200-300 MiB while it ran. In its own process the export runs on the other core, with a heap
// bounded for it, loading only what it needs (no HTTP, auth or job queue modules), and a crash in
// it cannot take the server down.
//
// This file is both ends: processExportBuilder() (the server's side, given to createRights by
// app.ts) forks this same file, whose main part builds one attempt and exits. A second composition
// root beside app.ts, on purpose: importing app.ts would load everything the process is spared.
import { fork, type ChildProcess } from 'node:child_process';
import { AppError, isAppError, type ErrorCode } from './core/errors.ts';
import { createLogger, serializeError } from './core/log.ts';
import { openDatabase, type Database, type DatabaseConfig } from './db/connect.ts';
import { openKeys } from './keys.ts';
import { buildExportFile, ExportFiles, type BuildJob, type BuildProgress, type ExportBuilder, type RightsTables } from './rights/index.ts';

/**
 * V8's heap, bounded: the export allocates fast and keeps little (two pages), and V8 sizes its heap
 * by how fast it allocates, not by what it keeps. A small young generation and an old one capped
 * well above what an export holds (55-85 MiB of heap with values at the size limits, 8 MB spans
 * and 4 MB messages: test/rights/export-process.test.ts) halved the builder's peak RSS, for about
 * a tenth more time (BENCHMARKS.md).
 */
const HEAP_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=192'];
/** The builder reads one page ahead: two connections at most. */
const POOL_SIZE = 2;
/** How often the server checks its claim while the builder works. */
const HELD_CHECK_MS = 500;

type BuilderConfig = Pick<DatabaseConfig, 'dataDir' | 'databaseUrl' | 'databaseRuntimeUrl' | 'runtimePassword' | 'dbAcquireTimeoutMs'>;

interface Order {
  config: BuilderConfig;
  job: BuildJob;
}

/** What the builder says, in order: progress any number of times, then done or failed. */
type Report =
  | { progress: BuildProgress }
  | { done: BuiltInProcess }
  | { failed: { code: ErrorCode; message: string } };

export interface BuiltInProcess {
  /** The builder process's peak resident memory, as it measured it. */
  peakRssBytes: number;
}

/** An error's type and code for a message: never its own message, which may quote values. */
function described(err: unknown): string {
  const { type, code } = serializeError(err);
  return code ? `${type}, ${code}` : type;
}

/** What the server hears of its builders (for its log). */
export interface BuilderEvents {
  started?(job: BuildJob, pid: number): void;
  built?(job: BuildJob, pid: number, built: BuiltInProcess): void;
}

/** The server's side of exports built in their own process. */
export interface ProcessExportBuilder {
  build: ExportBuilder;
  /** Kills the builders still running (the server is closing: their claims lapse with it). */
  stop(): void;
}

/**
 * Each attempt forks a builder and follows its reports. A lost claim kills it; its failure is the
 * attempt's (with its error code and message only: they carry no content).
 */
export function processExportBuilder(config: BuilderConfig, events: BuilderEvents = {}): ProcessExportBuilder {
  const running = new Set<ChildProcess>();
  // Only what the builder needs of the server's configuration.
  const builderConfig: BuilderConfig = {
    dataDir: config.dataDir, databaseUrl: config.databaseUrl, databaseRuntimeUrl: config.databaseRuntimeUrl,
    runtimePassword: config.runtimePassword, dbAcquireTimeoutMs: config.dbAcquireTimeoutMs,
  };
  const build: ExportBuilder = (job, report, held) => new Promise<void>((resolve, reject) => {
    // Its output is ignored: what it has to say comes over the channel, where it says no content.
    const child = fork(import.meta.filename, [], {
      execArgv: HEAP_FLAGS,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    running.add(child);
    if (child.pid !== undefined) events.started?.(job, child.pid);
    let outcome: Report | undefined;
    const stopIfLost = () => {
      if (held()) return;
      outcome ??= { failed: { code: 'conflict', message: 'the export was taken over by another worker' } };
      child.kill('SIGKILL');
    };
    const watch = setInterval(stopIfLost, HELD_CHECK_MS);
    child.on('message', (message: Report) => {
      if (!('progress' in message)) {
        outcome ??= message;
        return;
      }
      stopIfLost();
      // The caller's progress handler runs in this listener: its failure must not be an uncaught exception.
      try {
        report(message.progress);
      } catch {
        // Progress is advisory; the build goes on.
      }
    });
    child.on('error', (err) => {
      outcome ??= { failed: { code: 'internal', message: `the export builder failed to start or to be reached (${described(err)})` } };
    });
    // 'close', not 'exit': it comes in every case (a fork that could not start emits 'error' and
    // no 'exit'), and only once the channel is drained, so the last report has arrived.
    child.on('close', (code, signal) => {
      clearInterval(watch);
      running.delete(child);
      if (outcome && 'done' in outcome) {
        events.built?.(job, child.pid!, outcome.done);
        resolve();
      } else if (outcome && 'failed' in outcome) reject(new AppError(outcome.failed.code, outcome.failed.message));
      else reject(new AppError('internal', `the export builder stopped before it was done (${signal ?? `exit code ${code}`})`));
    });
    try {
      child.send({ config: builderConfig, job } satisfies Order);
    } catch (err) {
      // No channel (the fork failed): 'close' follows and reports it.
      outcome ??= { failed: { code: 'internal', message: `the export builder could not be reached (${described(err)})` } };
      child.kill('SIGKILL');
    }
  });
  return {
    build,
    stop: () => {
      for (const child of running) child.kill('SIGKILL');
    },
  };
}

/** The builder's side: builds the one attempt it is sent, reports, and exits. */
async function buildOrdered({ config, job }: Order): Promise<void> {
  const send = (report: Report) => new Promise<void>((resolve) => process.send!(report, () => resolve()));
  // The server is gone (killed): so is the claim this attempt works under.
  process.on('disconnect', () => process.exit(1));
  const log = createLogger({ level: 'silent', destination: { write: () => undefined } });
  let database: Database | undefined;
  try {
    database = await openDatabase({ ...config, dbPoolSize: POOL_SIZE }, 'runtime');
    const keys = openKeys(config, log);
    const deps = { db: database.db.$extendTables<RightsTables>(), sealer: keys.sealer, keystore: keys.keystore, files: new ExportFiles(config.dataDir, keys.keystore) };
    // The server checks the claim and kills this process when it is lost.
    await buildExportFile(deps, job, (progress) => void send({ progress }), () => true);
    await send({ done: { peakRssBytes: process.resourceUsage().maxRSS * 1024 } });
  } catch (err) {
    await send({ failed: isAppError(err) ? { code: err.code, message: err.message } : { code: 'internal', message: `the export build failed (${described(err)})` } });
  } finally {
    await database?.close().catch(() => undefined);
    process.disconnect();
  }
}

if (import.meta.main) process.once('message', (order: Order) => void buildOrdered(order));
