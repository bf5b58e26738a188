import { createApp, migrate, type App } from '../app.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

// How long a graceful shutdown may take before the process exits anyway: a request or job that
// never finishes must not keep a stopping server alive.
const SHUTDOWN_DEADLINE_MS = 30_000;

export async function serveCommand(flags: CommonFlags): Promise<void> {
  let app: App | undefined;
  let stopping = false;
  // Installed before start-up: a signal during migrations still closes what was opened.
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`custos: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    app?.log.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      process.stderr.write('custos: shutdown took too long, exiting\n');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    const closing = app ? app.close() : Promise.resolve();
    closing.then(
      () => process.exit(0),
      (err: unknown) => {
        app?.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    const config = configFromFlags(flags);
    await migrate(config);
    if (stopping) return; // a signal arrived while migrating; stop() exits
    app = await createApp(config);
    if (stopping) {
      await app.close();
      return;
    }
    const address = await app.listen();
    app.log.info({ address, engine: app.database.engine, publicUrl: config.publicUrl.origin }, 'custos is serving');
  } catch (err) {
    await app?.close().catch(() => undefined);
    fail(err);
  }
}
