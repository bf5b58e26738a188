// Conversations and messages (P-DAT-3) through the real routes, by session and by API key:
// branching, cursor pages, batches, Idempotency-Key, deletion, the audit trail (P-AUD-1) and
// tenant isolation (P-TEN-1: another workspace's ids are 404 on every route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { auditRows, verifyAudit } from '../support/audit.ts';
import { ENGINE } from '../support/database.ts';
import { asBrowser, createKey, signUp, type Person } from '../support/people.ts';

let t: TestApp;
let alice: Person;
let aliceKey: { id: string; key: string };
let bob: Person;
let bobKey: { id: string; key: string };

beforeAll(async () => {
  t = await startTestApp();
  alice = await signUp(t);
  aliceKey = await createKey(t.app.http, asBrowser(t, alice.cookie));
  bob = await signUp(t);
  bobKey = await createKey(t.app.http, asBrowser(t, bob.cookie));
});
afterAll(async () => t?.close());

const byKey = (key: { key: string }, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key.key}`, ...extra });

async function inject(method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown) {
  return t.app.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function newConversation(headers: Record<string, string>, title = 'A chat'): Promise<string> {
  const res = await inject('POST', '/v1/conversations', headers, { title });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

describe(`conversations on ${ENGINE}`, () => {
  it('P-DAT-3: a conversation is created, read and listed by session and by key, with its title', async () => {
    const bySession = await inject('POST', '/v1/conversations', asBrowser(t, alice.cookie), { title: 'Trip to Lisbon' });
    expect(bySession.statusCode).toBe(201);
    expect(bySession.json()).toMatchObject({ title: 'Trip to Lisbon', messageCount: 0, createdBy: alice.personId });
    const viaKey = await inject('POST', '/v1/conversations', byKey(aliceKey), {});
    expect(viaKey.statusCode).toBe(201);
    expect(viaKey.json()).toMatchObject({ title: null, createdBy: alice.personId });

    const read = await inject('GET', `/v1/conversations/${bySession.json().id}`, byKey(aliceKey));
    expect(read.json()).toMatchObject({ id: bySession.json().id, title: 'Trip to Lisbon' });
    const listed = (await inject('GET', '/v1/conversations', { cookie: alice.cookie })).json();
    expect(listed.items.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([bySession.json().id, viaKey.json().id]));
  });

  it('P-DAT-3: lists come in cursor pages, newest first, each conversation once', async () => {
    const person = await signUp(t);
    const headers = asBrowser(t, person.cookie);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newConversation(headers, `c${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (await inject('GET', `/v1/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers)).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const forged = await inject('GET', '/v1/conversations?cursor=not-a-cursor', headers);
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.code).toBe('invalid_request');
  });

  it('P-DAT-3: messages are appended one at a time and in batches, branch by parent, and page in order', async () => {
    const id = await newConversation(byKey(aliceKey));
    const first = await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey), { role: 'user', content: 'Hello there' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ seq: 1, role: 'user', content: 'Hello there', parentId: null, conversationId: id });
    const structured = [{ type: 'text', text: 'Hi!' }, { type: 'tool_call', name: 'lookup', arguments: { q: 'x', n: 0, ok: false } }];
    const batch = await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey), {
      messages: [
        { role: 'assistant', content: structured, parentId: first.json().id, model: 'gpt-5', inputTokens: 12, outputTokens: 0 },
        { role: 'assistant', content: 'An alternative answer', parentId: first.json().id, model: 'claude-4' },
        { role: 'tool', content: { result: [1, 2, 3] } },
      ],
    });
    expect(batch.statusCode).toBe(201);
    const items = batch.json().items;
    expect(items.map((m: { seq: number }) => m.seq)).toEqual([2, 3, 4]);
    expect(items[0]).toMatchObject({ content: structured, model: 'gpt-5', inputTokens: 12, outputTokens: 0, parentId: first.json().id });

    const pages: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: unknown[]; nextCursor: string | null } = (await inject('GET', `/v1/conversations/${id}/messages?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { cookie: alice.cookie })).json();
      pages.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual([first.json(), ...items]);
    expect((await inject('GET', `/v1/conversations/${id}`, byKey(aliceKey))).json().messageCount).toBe(4);
    const one = await inject('GET', `/v1/conversations/${id}/messages/${items[1].id}`, byKey(aliceKey));
    expect(one.json()).toEqual(items[1]);
  });

  it('P-DAT-3: a full batch of 1,000 messages of every size, multi-byte text and structure comes back exactly, in order', async () => {
    // The sealed values of a batch travel as one binary parameter cut apart by the statement: each
    // message must get its own bytes, whatever the lengths around it (0 to 40 KiB, 1 to 4 bytes a character).
    const id = await newConversation(byKey(aliceKey));
    const messages = Array.from({ length: 1000 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: i % 10 === 3 ? { index: i, parts: ['ä'.repeat(i % 97), i % 3 === 0, null, -i] }
        : i % 10 === 7 ? [{ type: 'text', text: `😀${i}`.repeat(i % 50) }]
        : `${i}:${'€ab'.repeat((i * 37) % (i % 100 === 0 ? 14_000 : 300))}`,
    }));
    const appended = await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey), { messages });
    expect(appended.statusCode, appended.body).toBe(201);
    const read: Array<{ seq: number; content: unknown; role: string }> = [];
    let cursor: string | null = null;
    do {
      const page: { items: typeof read; nextCursor: string | null } = (await inject('GET', `/v1/conversations/${id}/messages?limit=200${cursor ? `&cursor=${cursor}` : ''}`, byKey(aliceKey))).json();
      read.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(read.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    expect(read.map((m) => ({ role: m.role, content: m.content }))).toEqual(messages);
  });

  it('P-DAT-3: a parent must be a message of the same conversation; bad messages are 400 and write nothing', async () => {
    const a = await newConversation(byKey(aliceKey));
    const b = await newConversation(byKey(aliceKey));
    const inB = (await inject('POST', `/v1/conversations/${b}/messages`, byKey(aliceKey), { role: 'user', content: 'in b' })).json();
    const cases: unknown[] = [
      { role: 'user', content: 'x', parentId: inB.id },
      { role: 'wizard', content: 'x' },
      { role: 'user' },
      { messages: [] },
      { messages: Array.from({ length: 1001 }, () => ({ role: 'user', content: 'x' })) },
      { role: 'user', content: 'x', inputTokens: -1 },
      { role: 'user', content: 'x', extra: true },
    ];
    for (const payload of cases) {
      const res = await inject('POST', `/v1/conversations/${a}/messages`, byKey(aliceKey), payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    const state = (await inject('GET', `/v1/conversations/${a}`, byKey(aliceKey))).json();
    expect(state.messageCount).toBe(0);
    expect((await inject('GET', `/v1/conversations/${a}/messages`, byKey(aliceKey))).json().items).toEqual([]);
  });

  it('P-DAT-3: deleting a message keeps its replies as roots; deleting a conversation deletes its messages', async () => {
    const id = await newConversation(byKey(aliceKey));
    const root = (await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey), { role: 'user', content: 'root' })).json();
    const reply = (await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey), { role: 'assistant', content: 'reply', parentId: root.id })).json();
    expect((await inject('DELETE', `/v1/conversations/${id}/messages/${root.id}`, byKey(aliceKey))).statusCode).toBe(204);
    expect((await inject('GET', `/v1/conversations/${id}/messages/${reply.id}`, byKey(aliceKey))).json().parentId).toBeNull();
    expect((await inject('GET', `/v1/conversations/${id}`, byKey(aliceKey))).json().messageCount).toBe(1);
    expect((await inject('DELETE', `/v1/conversations/${id}/messages/${root.id}`, byKey(aliceKey))).statusCode).toBe(404);

    expect((await inject('DELETE', `/v1/conversations/${id}`, asBrowser(t, alice.cookie))).statusCode).toBe(204);
    expect((await inject('GET', `/v1/conversations/${id}`, byKey(aliceKey))).statusCode).toBe(404);
    expect((await inject('GET', `/v1/conversations/${id}/messages`, byKey(aliceKey))).statusCode).toBe(404);
    expect((await inject('GET', `/v1/conversations/${id}/messages/${reply.id}`, byKey(aliceKey))).statusCode).toBe(404);
  });

  it('an Idempotency-Key replays the first answer, writes once, and refuses another request under the same key', async () => {
    const key = `idem-${Date.now()}`;
    const first = await inject('POST', '/v1/conversations', byKey(aliceKey, { 'idempotency-key': key }), { title: 'once' });
    const again = await inject('POST', '/v1/conversations', byKey(aliceKey, { 'idempotency-key': key }), { title: 'once' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const other = await inject('POST', '/v1/conversations', byKey(aliceKey, { 'idempotency-key': key }), { title: 'another' });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('idempotency_key_reused');

    const id = first.json().id as string;
    const batch = { messages: [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'two' }] };
    const sent = await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey, { 'idempotency-key': `${key}-m` }), batch);
    const resent = await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey, { 'idempotency-key': `${key}-m` }), batch);
    expect(resent.json()).toEqual(sent.json());
    expect((await inject('GET', `/v1/conversations/${id}`, byKey(aliceKey))).json().messageCount).toBe(2);
    // Concurrent twins: one writes, the other waits for it and replays.
    const twins = await Promise.all([1, 2].map(() => inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey, { 'idempotency-key': `${key}-t` }), { role: 'user', content: 'twin' })));
    expect(twins.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(twins[0]!.json()).toEqual(twins[1]!.json());
    expect((await inject('GET', `/v1/conversations/${id}`, byKey(aliceKey))).json().messageCount).toBe(3);
    const bad = await inject('POST', '/v1/conversations', byKey(aliceKey, { 'idempotency-key': 'has space' }), {});
    expect(bad.statusCode).toBe(400);
  });

  it('a read-only key reads but cannot write', async () => {
    const readOnly = await createKey(t.app.http, asBrowser(t, alice.cookie), ['read']);
    const id = await newConversation(byKey(aliceKey));
    expect((await inject('GET', `/v1/conversations/${id}`, byKey(readOnly))).statusCode).toBe(200);
    const write = await inject('POST', `/v1/conversations/${id}/messages`, byKey(readOnly), { role: 'user', content: 'x' });
    expect(write.statusCode).toBe(403);
    expect((await inject('DELETE', `/v1/conversations/${id}`, byKey(readOnly))).statusCode).toBe(403);
  });

  it('P-TEN-1: another workspace’s conversation and message ids are 404 on every route, by key and by session', async () => {
    const id = await newConversation(byKey(aliceKey));
    const message = (await inject('POST', `/v1/conversations/${id}/messages`, byKey(aliceKey), { role: 'user', content: 'private' })).json();
    const routes: Array<['GET' | 'POST' | 'DELETE', string, unknown?]> = [
      ['GET', `/v1/conversations/${id}`],
      ['GET', `/v1/conversations/${id}/messages`],
      ['GET', `/v1/conversations/${id}/messages/${message.id}`],
      ['POST', `/v1/conversations/${id}/messages`, { role: 'user', content: 'intrusion' }],
      ['POST', `/v1/conversations/${id}/messages`, { messages: [{ role: 'user', content: 'intrusion' }] }],
      ['DELETE', `/v1/conversations/${id}/messages/${message.id}`],
      ['DELETE', `/v1/conversations/${id}`],
    ];
    for (const headers of [byKey(bobKey), asBrowser(t, bob.cookie)]) {
      for (const [method, url, payload] of routes) {
        const res = await inject(method, url, headers, payload);
        expect({ method, url, status: res.statusCode }).toEqual({ method, url, status: 404 });
        expect(res.body).not.toContain('private');
      }
      // Naming Alice's workspace is a 404 too (not a member).
      const named = await inject('GET', `/v1/conversations/${id}`, { ...headers, 'custos-workspace': alice.personalWorkspaceId });
      expect(named.statusCode).toBe(404);
      expect((await inject('GET', '/v1/conversations', headers)).json().items.map((c: { id: string }) => c.id)).not.toContain(id);
    }
    // Nothing changed for Alice.
    const after = (await inject('GET', `/v1/conversations/${id}/messages`, byKey(aliceKey))).json();
    expect(after.items).toEqual([message]);
  });

  it('P-AUD-1: creating and deleting conversations is in the workspace’s audit chain with counts and no content; it verifies', async () => {
    const person = await signUp(t);
    const headers = asBrowser(t, person.cookie);
    const id = await newConversation(headers, 'Audit canary title');
    await inject('POST', `/v1/conversations/${id}/messages`, headers, { messages: [{ role: 'user', content: 'Audit canary 1' }, { role: 'user', content: 'Audit canary 2' }] });
    await inject('DELETE', `/v1/conversations/${id}`, headers);
    const rows = await auditRows(t, person.personalWorkspaceId);
    const data = rows.filter((r) => r.action.startsWith('conversation.'));
    expect(data).toEqual([
      expect.objectContaining({ action: 'conversation.created', actor_id: person.personId, target_id: id }),
      expect.objectContaining({ action: 'conversation.deleted', actor_id: person.personId, target_id: id, details: expect.objectContaining({ messages: 2 }) }),
    ]);
    expect(JSON.stringify(rows)).not.toContain('canary');
    expect(await verifyAudit(t, person.personalWorkspaceId)).toBeNull();
  });
});
