// A real SIGKILL in the middle of an export (of `custos serve`) and of an erasure (of `custos erase
// --now`): after a restart each finishes, and finishes correctly: a complete archive whose manifest
// holds, and an erasure that leaves nothing behind (P-RIG-2, P-RIG-3).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, migrate } from '../../src/app.ts';
import { KEYSTORE_FILE_NAME } from '../../src/crypto/keystore.ts';
import { EXPORTS_DIR_NAME } from '../../src/rights/index.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../support/database.ts';
import { dumpEveryTable } from '../support/dump.ts';
import { LogCapture } from '../support/log-capture.ts';
import { freePort } from '../support/ports.ts';
import { signUp, type Person } from '../support/people.ts';
import { call, checkManifest, unzip } from './support.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const MESSAGES = 20_000;
const EXTRA_WORKSPACES = 40;
let testDb: TestDatabase;
let env: NodeJS.ProcessEnv;
let origin: string;
let port: number;
let person: Person;
const workspaces: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  env = { ...process.env, CUSTOS_RUNTIME_PASSWORD: testDb.config.runtimePassword, CUSTOS_PUBLIC_URL: origin, CUSTOS_LOG_LEVEL: 'warn' };
  if (testDb.config.databaseUrl) env.DATABASE_URL = testDb.config.databaseUrl;
  else delete env.DATABASE_URL;
  // Seeded in-process through the real routes: enough rows that an export takes a while, and
  // enough workspaces of the person's own that an erasure has many steps.
  const config = { ...testDb.config, publicUrl: new URL(origin) };
  // custos's own migrations only: the spawned servers know no others.
  const infra = { logDestination: new LogCapture() };
  await migrate(config, infra);
  const app = await createApp(config, infra);
  try {
    await app.http.ready();
    const t = { app, config, logs: new LogCapture(), testDatabase: testDb, close: async () => undefined };
    person = await signUp(t);
    const browser = { cookie: person.cookie, origin };
    const content = 'x'.repeat(200);
    for (let c = 0; c < MESSAGES / 1000; c += 1) {
      const conversation = (await call(t, 'POST', '/v1/conversations', browser, { title: `chat ${c}` })).json().id as string;
      const res = await call(t, 'POST', `/v1/conversations/${conversation}/messages`, browser, { messages: Array.from({ length: 1000 }, (_, i) => ({ role: 'user', content: `${i} ${content}` })) });
      expect(res.statusCode).toBe(201);
    }
    for (let w = 0; w < EXTRA_WORKSPACES; w += 1) {
      const id = (await call(t, 'POST', '/v1/workspaces', browser, { name: `own ${w}` })).json().id as string;
      workspaces.push(id);
      await call(t, 'POST', '/v1/conversations', { ...browser, 'custos-workspace': id }, { title: `in ${w}` });
    }
  } finally {
    await app.close();
  }
}, 180_000);
afterAll(async () => {
  await testDb?.drop();
});

interface Child {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function run(args: string[]): Child {
  const child = spawn(process.execPath, [MAIN, ...args, '--data-dir', testDb.config.dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), output: () => output };
}

async function serve(): Promise<Child> {
  const server = run(['serve', '--port', String(port)]);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${origin}/readyz`).then((r) => r.ok, () => false);
    if (ready) return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`custos serve did not start: ${server.output()}`);
}

async function signedIn(): Promise<Record<string, string>> {
  const res = await fetch(`${origin}/api/auth/sign-in/email`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ email: person.email, password: person.password }) });
  expect(res.status).toBe(200);
  return { cookie: res.headers.getSetCookie().find((c) => c.startsWith('custos_session='))!.split(';')[0]!, origin };
}

function shredded(): string[] {
  return (JSON.parse(fs.readFileSync(path.join(testDb.config.dataDir, KEYSTORE_FILE_NAME), 'utf8')) as { shredded: string[] }).shredded;
}

describe(`rights work interrupted by a crash on ${ENGINE}`, () => {
  it('P-RIG-2: an export whose server is killed mid-build is finished after a restart, complete', async () => {
    let server = await serve();
    try {
      const browser = await signedIn();
      const requested = await (await fetch(`${origin}/v1/me/exports`, { method: 'POST', headers: browser })).json() as { id: string };
      let status = 'queued';
      while (status === 'queued') status = ((await (await fetch(`${origin}/v1/me/exports/${requested.id}`, { headers: browser })).json()) as { status: string }).status;
      expect(status).toBe('running');
      server.child.kill('SIGKILL');
      await server.exited;

      server = await serve();
      const after = await signedIn();
      const deadline = Date.now() + 60_000;
      let view: { status: string; downloadUrl: string | null };
      do {
        await new Promise((resolve) => setTimeout(resolve, 500));
        view = await (await fetch(`${origin}/v1/me/exports/${requested.id}`, { headers: after })).json() as typeof view;
      } while (view.status !== 'ready' && view.status !== 'failed' && Date.now() < deadline);
      expect(view.status).toBe('ready');
      const archive = Buffer.from(await (await fetch(view.downloadUrl!, { headers: after })).arrayBuffer());
      const files = await unzip(archive);
      const manifest = checkManifest(files);
      expect(manifest.categories.find((c) => c.category === 'conversations')?.rows).toBe(MESSAGES + MESSAGES / 1000 + EXTRA_WORKSPACES);
      expect(fs.readdirSync(path.join(testDb.config.dataDir, EXPORTS_DIR_NAME)).filter((name) => name.endsWith('.part'))).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);

  it('P-RIG-2, P-RIG-7: `custos export` writes the complete archive; `custos requests` lists every request, none overdue', async () => {
    const out = path.join(testDb.config.dataDir, 'operator-export.zip');
    const exported = run(['export', '--user', person.email, '--out', out]);
    expect(await exported.exited, exported.output()).toBe(0);
    expect(exported.output()).toContain(`exported person ${person.personId}`);
    const manifest = checkManifest(await unzip(fs.readFileSync(out)));
    expect(manifest.categories.find((c) => c.category === 'conversations')?.rows).toBe(MESSAGES + MESSAGES / 1000 + EXTRA_WORKSPACES);
    fs.rmSync(out);

    const listed = run(['requests', '--json']);
    expect(await listed.exited, listed.output()).toBe(0);
    const requests = JSON.parse(listed.output()) as Array<{ kind: string; source: string; status: string; personId: string }>;
    expect(requests.filter((r) => r.personId === person.personId).map((r) => [r.kind, r.source, r.status]))
      .toEqual(expect.arrayContaining([['export', 'operator', 'completed']]));
    const overdue = run(['requests', '--overdue']);
    expect(await overdue.exited, overdue.output()).toBe(0);
    expect(overdue.output()).toContain('no overdue requests');
    const unknown = run(['export', '--user', 'nobody@example.test', '--out', out]);
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toContain('no account has that email address');
  }, 120_000);

  it('P-RIG-3: `custos erase --now` killed mid-erasure finishes when run again, leaving nothing behind', async () => {
    const first = run(['erase', '--user', person.email, '--now']);
    const tenants = [person.personalWorkspaceId, ...workspaces].map((id) => `tenant:${id}`);
    const deadline = Date.now() + 60_000;
    while (!tenants.some((id) => shredded().includes(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    first.child.kill('SIGKILL');
    await first.exited;
    // Killed in the middle: some workspaces shredded, not all, and the person's own secret not yet.
    const atKill = shredded();
    expect(tenants.filter((id) => atKill.includes(id)).length).toBeGreaterThan(0);
    expect(tenants.filter((id) => !atKill.includes(id)).length).toBeGreaterThan(0);
    expect(atKill).not.toContain(`person:${person.personId}`);

    const second = run(['erase', '--user', person.email, '--now']);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain(`erased person ${person.personId}`);
    const done = shredded();
    expect(tenants.filter((id) => !done.includes(id))).toEqual([]);
    expect(done).toContain(`person:${person.personId}`);

    const verify = run(['audit', 'verify']);
    expect(await verify.exited, verify.output()).toBe(0);
    const dump = await dumpEveryTable(testDb.config);
    const text = [...dump.values()].join('\n');
    expect(text).not.toContain(person.email);
    for (const table of ['conversations', 'messages', 'workspaces', 'memberships', 'people', 'sessions', 'exports']) {
      expect({ table, rows: (dump.get(`public.${table}`) ?? '').split('\n').filter(Boolean).filter((row) => row.includes(person.personId) || workspaces.some((w) => row.includes(w)) || row.includes(person.personalWorkspaceId)) }).toEqual({ table, rows: [] });
    }
    expect(fs.readdirSync(path.join(testDb.config.dataDir, EXPORTS_DIR_NAME))).toEqual([]);
  }, 120_000);
});
