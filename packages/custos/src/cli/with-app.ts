// A command that needs the whole application (a request carried out as over the API, a policy
// published, the system verified) runs the real one, without listening. With a database server it
// works beside running servers; with the embedded one the data dir's lock asks for the server to
// stop first.
import { createApp, migrate, type App } from '../app.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

/**
 * `migrate: false` for a command that looks at a deployment as it is (custos verify): it applies
 * nothing, and a pending migration shows in what it reports.
 */
export async function withApp(flags: CommonFlags, fn: (app: App) => Promise<void>, options: { migrate?: boolean } = {}): Promise<void> {
  try {
    const config = { ...configFromFlags(flags), logLevel: 'warn' as const };
    // Logs go to stderr: stdout is the command's answer.
    const infra = { logDestination: process.stderr };
    if (options.migrate !== false) await migrate(config, infra);
    const app = await createApp(config, infra);
    try {
      await fn(app);
    } finally {
      await app.close();
    }
  } catch (err) {
    fail(err);
  }
}
