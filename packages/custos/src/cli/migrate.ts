import { migrate } from '../app.ts';
import { createLogger } from '../core/log.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

export async function migrateCommand(flags: CommonFlags): Promise<void> {
  try {
    const config = configFromFlags(flags);
    const log = createLogger({ level: config.logLevel });
    const applied = await migrate(config, {}, log);
    process.stdout.write(applied.length === 0 ? 'migrations: up to date\n' : `migrations: applied ${applied.join(', ')}\n`);
  } catch (err) {
    fail(err);
  }
}
