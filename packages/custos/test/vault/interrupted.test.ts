// A server killed (SIGKILL) while a provider is still answering an approved action: after a
// restart the action ends as failed, `interrupted`, and the provider is never called a second
// time (P-ACT-1). The real command line, as an operator runs it, against a real HTTPS peer.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINE, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startProviderPeer, type ProviderPeer } from '../support/provider-peer.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
let testDb: TestDatabase;
let peer: ProviderPeer;
let env: NodeJS.ProcessEnv;
let origin: string;
let port: number;

beforeAll(async () => {
  peer = await startProviderPeer();
  testDb = await createTestDatabase();
  port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    CUSTOS_RUNTIME_PASSWORD: testDb.config.runtimePassword,
    CUSTOS_PUBLIC_URL: origin,
    CUSTOS_LOG_LEVEL: 'info',
    CUSTOS_EGRESS_ALLOW: '127.0.0.1/32',
    CUSTOS_EGRESS_CA_FILE: peer.certificate.certFile,
    CUSTOS_ACTION_TIMEOUT_SECONDS: '2',
  };
  if (testDb.config.databaseUrl) env.DATABASE_URL = testDb.config.databaseUrl;
  else delete env.DATABASE_URL;
});
afterAll(async () => {
  await testDb?.drop();
  await peer?.close();
});

interface Server {
  child: ChildProcess;
  exited: Promise<unknown>;
}

async function serve(): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', String(port), '--data-dir', testDb.config.dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('"address"')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`custos serve exited: ${output}`)));
  });
  return { child, exited };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads bodies it just asserted on
async function json(response: Promise<Response>): Promise<any> {
  return (await response).json();
}

async function send(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  return fetch(`${origin}${url}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe(`an execution interrupted by a crash on ${ENGINE}`, () => {
  it('P-ACT-1: SIGKILL during the call leaves failed: interrupted after restart, and no second call', async () => {
    let server = await serve();
    try {
      const signUp = await send('POST', '/api/auth/sign-up/email', { origin }, { email: `crash-${Date.now()}@example.test`, password: 'a-long-password-for-crash' });
      expect(signUp.status).toBe(200);
      const cookie = signUp.headers.getSetCookie().find((c) => c.startsWith('custos_session='))!.split(';')[0]!;
      const browser = { cookie, origin };
      const credential = await json(send('POST', '/v1/credentials', browser, { provider: 'generic', label: 'Peer', secret: 'crash-secret-0123456789', baseUrl: `${peer.origin}/` }));
      const { key } = await json(send('POST', '/v1/api-keys', browser, { name: 'agent', scopes: ['read', 'write'] }));
      const agent = { authorization: `Bearer ${key}` };

      // The provider takes the request and never answers.
      const arrived = new Promise<void>((resolve) => peer.answer(() => resolve()));
      const action = await json(send('POST', '/v1/actions', agent, { credentialId: credential.id, summary: 'Restart web', operation: { method: 'POST', url: `${peer.origin}/restart`, body: {} } }));
      expect(action.status).toBe('proposed');
      const approval = send('POST', `/v1/actions/${action.id}/approve`, browser, { operationHash: action.operationHash }).catch(() => 'connection lost');
      await arrived;
      expect((await send('GET', `/v1/actions/${action.id}`, agent)).status).toBe(200);
      server.child.kill('SIGKILL');
      await server.exited;
      expect(await approval).toBe('connection lost');

      server = await serve();
      const deadline = Date.now() + 30_000;
      let view: { status: string; reason: string | null; execution: unknown };
      do {
        await new Promise((resolve) => setTimeout(resolve, 250));
        view = await json(send('GET', `/v1/actions/${action.id}`, agent));
      } while (view.status === 'executing' && Date.now() < deadline);
      expect(view).toMatchObject({ status: 'failed', reason: 'interrupted', execution: null });
      // Well past the recovery: still the one call.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(peer.received.filter((request) => request.url === '/restart')).toHaveLength(1);
      const again = await send('POST', `/v1/actions/${action.id}/approve`, browser, { operationHash: action.operationHash });
      expect(again.status).toBe(409);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 90_000);
});
