// The real command line, as an operator runs it: a child process on a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINE, type TestDatabase } from '../support/database.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
let testDb: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  testDb = await createTestDatabase();
  env = { ...process.env, CUSTOS_RUNTIME_PASSWORD: testDb.config.runtimePassword, CUSTOS_LOG_LEVEL: 'info' };
  if (testDb.config.databaseUrl) env.DATABASE_URL = testDb.config.databaseUrl;
  else delete env.DATABASE_URL;
});
afterAll(async () => testDb?.drop());

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function serve(): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--data-dir', testDb.config.dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`custos serve exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output, exited };
}

describe(`custos serve on ${ENGINE}`, () => {
  it('migrates, serves, says ready, and exits cleanly on SIGTERM', async () => {
    const server = await serve();
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', keys: 'ok', migrations: 'ok', isolation: 'ok', requests: 'ok' } });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('shutting down');
  });

  it.runIf(ENGINE === 'pglite')('a second server on the same embedded data dir is refused with a clear message', async () => {
    const server = await serve();
    try {
      const second = spawnSync(process.execPath, [MAIN, 'migrate', '--data-dir', testDb.config.dataDir], { env, encoding: 'utf8' });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/^custos: the embedded database in .* is in use by process \d+; stop it first\n$/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('migrate reports that nothing is pending on a migrated database; bad input is a one-line refusal', () => {
    const again = spawnSync(process.execPath, [MAIN, 'migrate', '--data-dir', testDb.config.dataDir], { env, encoding: 'utf8' });
    expect(again.stdout).toBe('migrations: up to date\n');
    expect(again.status).toBe(0);
    const badPort = spawnSync(process.execPath, [MAIN, 'serve', '--port', 'eighty'], { env, encoding: 'utf8' });
    expect(badPort.status).not.toBe(0);
    expect(badPort.stderr).toContain('a port is a number from 0 to 65535');
    const badEnv = spawnSync(process.execPath, [MAIN, 'migrate', '--data-dir', testDb.config.dataDir], {
      env: { ...env, DATABASE_URL: 'not a url with password hunter2' },
      encoding: 'utf8',
    });
    expect(badEnv.status).toBe(1);
    expect(badEnv.stderr).toBe('custos: invalid configuration in DATABASE_URL\n');
  });
});
