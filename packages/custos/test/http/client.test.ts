// The SDK against the real server over HTTP: what the dashboard and integrators will use.
import { CustosApiError, CustosClient } from '@custos/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { freePort } from '../support/ports.ts';
import { startProviderPeer, type ProviderPeer } from '../support/provider-peer.ts';
import { vaultConfig } from '../vault/support.ts';

let t: TestApp;
let baseUrl: string;
let peer: ProviderPeer;

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  // The public URL is where the SDK calls from: session writes must carry it as their Origin.
  peer = await startProviderPeer();
  t = await startTestApp({ config: { port, publicUrl: new URL(baseUrl), vault: vaultConfig(peer) } });
  await t.app.listen();
});
afterAll(async () => {
  await t?.close();
  await peer?.close();
});

describe(`@custos/client on ${ENGINE}`, () => {
  it('reads health and readiness', async () => {
    const client = new CustosClient({ baseUrl });
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toEqual({ status: 'ready', checks: { database: 'ok', keys: 'ok', migrations: 'ok', isolation: 'ok', requests: 'ok' } });
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

  it('P-DAT-3, P-DAT-2: conversations with an idempotent batch, and traces sent by an exporter, through the SDK', async () => {
    const person = new CustosClient({ baseUrl, keepSession: true });
    await person.auth.signUp({ email: `sdk-data-${Date.now()}@example.test`, password: 'correct horse battery' });
    const { key } = await person.apiKeys.create({ name: 'data', scopes: ['read', 'write'] });
    const agent = new CustosClient({ baseUrl, apiKey: key });

    const conversation = await agent.conversations.create({ title: 'SDK chat' });
    const batch = [{ role: 'user' as const, content: 'Hi' }, { role: 'assistant' as const, content: [{ type: 'text', text: 'Hello' }], model: 'gpt-5' }];
    const first = await agent.conversations.addMessages(conversation.id, batch, { idempotencyKey: 'sdk-batch-1' });
    const again = await agent.conversations.addMessages(conversation.id, batch, { idempotencyKey: 'sdk-batch-1' });
    expect(again).toEqual(first);
    const reply = await agent.conversations.addMessage(conversation.id, { role: 'user', content: 'Thanks', parentId: first.items[1]!.id });
    expect((await agent.conversations.messages(conversation.id, { limit: 2 })).items.map((m) => m.seq)).toEqual([1, 2]);
    expect(await agent.conversations.message(conversation.id, reply.id)).toMatchObject({ parentId: first.items[1]!.id, seq: 3 });
    expect((await agent.conversations.get(conversation.id)).messageCount).toBe(3);
    await agent.conversations.deleteMessage(conversation.id, reply.id);
    expect((await agent.conversations.list()).items.map((c) => c.id)).toContain(conversation.id);
    await agent.conversations.delete(conversation.id);
    await expect(agent.conversations.get(conversation.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });

    const traceId = 'c0ffee'.padEnd(32, '0');
    const otlp = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'sdk-service' } }] }, scopeSpans: [{ spans: [
      { traceId, spanId: '1'.repeat(16), name: 'root', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000' },
      { traceId, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'chat', kind: 3, startTimeUnixNano: '1700000000100000000', endTimeUnixNano: '1700000000900000000',
        attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-sdk' } }] },
    ] }] }] };
    await agent.request('POST', '/otlp/v1/traces', otlp);
    const listed = await agent.traces.list({ service: 'sdk-service', from: new Date(1_699_999_999_000) });
    expect(listed.items).toEqual([expect.objectContaining({ traceId, name: 'root', spanCount: 2, models: ['gpt-sdk'] })]);
    const tree = await agent.traces.get(traceId);
    expect(tree.spans[0]!.children[0]).toMatchObject({ name: 'chat', model: 'gpt-sdk' });
    await agent.traces.delete(traceId);
    await expect(agent.traces.get(traceId)).rejects.toMatchObject({ status: 404 });
  });

  it('P-ACT-1, P-ENC-3: a credential, a proposal by an agent, an approval by a person and the workflow log, through the SDK', async () => {
    const person = new CustosClient({ baseUrl, keepSession: true });
    await person.auth.signUp({ email: `sdk-vault-${Date.now()}@example.test`, password: 'correct horse battery' });
    const credential = await person.credentials.create({ provider: 'generic', label: 'Peer', secret: 'sdk-secret-0123456789abcd', baseUrl: `${peer.origin}/sdk/` });
    expect(credential).toMatchObject({ provider: 'generic', lastFour: 'abcd' });
    const { key } = await person.apiKeys.create({ name: 'agent', scopes: ['read', 'write'] });
    const agent = new CustosClient({ baseUrl, apiKey: key });
    expect((await agent.credentials.list()).items.map((c) => c.id)).toEqual([credential.id]);

    const proposed = await agent.actions.propose({ credentialId: credential.id, summary: 'Scale up', operation: { method: 'POST', url: `${peer.origin}/sdk/scale`, body: { replicas: 2 } } });
    await expect(agent.actions.approve(proposed.id, proposed.operationHash)).rejects.toMatchObject({ status: 403, code: 'session_required' });
    const done = await person.actions.approve(proposed.id, proposed.operationHash);
    expect(done).toMatchObject({ status: 'succeeded', responseStatus: 200 });
    expect((await agent.actions.get(proposed.id)).execution?.request.headers.authorization).toBe('Bearer [REDACTED]');
    expect((await agent.actions.list({ status: 'succeeded' })).items.map((a) => a.id)).toEqual([proposed.id]);
    const replay = await agent.actions.replay(proposed.id);
    expect(await person.actions.reject(replay.id)).toMatchObject({ status: 'rejected' });
    await person.credentials.delete(credential.id);
    await expect(agent.credentials.get(credential.id)).rejects.toMatchObject({ status: 404 });
    expect(peer.received.filter((r) => r.url === '/sdk/scale')).toHaveLength(1);
  });
  it('P-RIG-1, P-RIG-2, P-RIG-3: what is held, an export downloaded as a ZIP, an erasure asked for and cancelled, through the SDK', async () => {
    const email = `sdk-rights-${Date.now()}@example.test`;
    const person = new CustosClient({ baseUrl, keepSession: true });
    await person.auth.signUp({ email, password: 'correct horse battery' });
    const held = await person.rights.data();
    expect(held.categories.map((c) => c.category)).toEqual(expect.arrayContaining(['account', 'sessions', 'workspaces']));
    let view = await person.rights.requestExport();
    for (let i = 0; i < 100 && (view.status === 'queued' || view.status === 'running'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await person.rights.export(view.id);
    }
    expect(view.status).toBe('ready');
    expect((await person.rights.exports()).items.map((e) => e.id)).toContain(view.id);
    const archive = Buffer.from(await (await person.rights.downloadExport(view.id)).arrayBuffer());
    expect(archive.subarray(0, 2).toString()).toBe('PK');
    expect((await person.rights.requestErasure()).status).toBe('scheduled');
    await expect(person.me.get()).rejects.toMatchObject({ status: 401 });
    await person.auth.signIn({ email, password: 'correct horse battery' });
    expect((await person.rights.erasure()).status).toBe('scheduled');
    expect((await person.rights.cancelErasure()).status).toBe('cancelled');
    await expect(person.rights.requests()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });
});
