// The SDK against the real server over HTTP: what the dashboard and integrators will use.
import { CustosApiError, CustosClient } from '@custos/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { freePort } from '../support/ports.ts';

let t: TestApp;
let baseUrl: string;

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  // The public URL is where the SDK calls from: session writes must carry it as their Origin.
  t = await startTestApp({ config: { port, publicUrl: new URL(baseUrl) } });
  await t.app.listen();
});
afterAll(async () => t?.close());

describe(`@custos/client on ${ENGINE}`, () => {
  it('reads health and readiness', async () => {
    const client = new CustosClient({ baseUrl });
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toEqual({ status: 'ready', checks: { database: 'ok', keys: 'ok', migrations: 'ok', isolation: 'ok' } });
  });

  it('turns error bodies into CustosApiError with the stable code and the request id', async () => {
    const client = new CustosClient({ baseUrl, apiKey: 'not-a-real-key' });
    const err = await client.request('GET', '/v1/anything').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustosApiError);
    expect(err).toMatchObject({ status: 404, code: 'not_found' });
    expect((err as CustosApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('P-KEY-3: signs up, keeps the session, manages workspaces and keys, and works with a key', async () => {
    const person = new CustosClient({ baseUrl, keepSession: true });
    const email = `sdk-${Date.now()}@example.test`;
    expect(await person.auth.signUp({ email, password: 'correct horse battery' })).toEqual({ status: true });
    const me = await person.me.get();
    expect(me).toMatchObject({ email, via: 'session', role: 'owner', termsAccepted: true });
    const team = await person.workspaces.create('SDK team');
    expect((await person.workspaces.list()).items.map((w) => w.name)).toEqual(['Personal', 'SDK team']);
    person.useWorkspace(team.id);
    const created = await person.apiKeys.create({ name: 'sdk', scopes: ['read', 'write'] });
    expect(created.key).toMatch(/^csk_/);
    const agent = new CustosClient({ baseUrl, apiKey: created.key });
    expect(await agent.me.get()).toMatchObject({ via: 'api_key', workspaceId: team.id });
    const refused = await agent.me.sessions().catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, code: 'session_required' });
    await person.apiKeys.revoke(created.id);
    expect(await agent.me.get().catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect((await person.me.sessions()).items).toHaveLength(1);
    await person.auth.signOut();
    expect(await person.me.get().catch((e: unknown) => e)).toMatchObject({ status: 401 });
  });
});
