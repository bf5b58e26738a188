import { createApp, migrate } from '../app.ts';
import { engineOf } from '../db/connect.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

export async function serveCommand(flags: CommonFlags): Promise<void> {
  let app;
  try {
    const config = configFromFlags(flags);
    await migrate(config);
    app = await createApp(config);
    const address = await app.listen();
    app.log.info({ address, engine: engineOf(config), publicUrl: config.publicUrl.origin }, 'custos is serving');
  } catch (err) {
    await app?.close().catch(() => undefined);
    fail(err);
  }
  const running = app;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    running.log.info({ signal }, 'shutting down: finishing in-flight requests');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
