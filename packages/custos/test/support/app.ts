// The real application on a fresh test database, with its log captured.
import type { FastifyInstance } from 'fastify';
import { createApp, migrate, type App, type Infrastructure } from '../../src/app.ts';
import type { Config } from '../../src/core/config.ts';
import { createTestDatabase, TEST_MIGRATIONS, type TestDatabase } from './database.ts';
import { LogCapture } from './log-capture.ts';

export interface TestApp {
  app: App;
  config: Config;
  logs: LogCapture;
  testDatabase: TestDatabase;
  close(): Promise<void>;
}

export async function startTestApp(options: { infra?: Infrastructure; config?: Partial<Config>; routes?: (http: FastifyInstance) => void } = {}): Promise<TestApp> {
  const testDatabase = await createTestDatabase(options.config);
  const logs = new LogCapture();
  const infra: Infrastructure = { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: logs, ...options.infra };
  await migrate(testDatabase.config, infra);
  const app = await createApp(testDatabase.config, infra);
  options.routes?.(app.http);
  await app.http.ready();
  return {
    app,
    config: testDatabase.config,
    logs,
    testDatabase,
    close: async () => {
      await app.close();
      await testDatabase.drop();
    },
  };
}
