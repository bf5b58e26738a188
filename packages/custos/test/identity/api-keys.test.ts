// API keys (P-KEY-1, P-KEY-3): shown once, stored as a SHA-256 hash, scoped, revoked at once,
// never more than their creator may do.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { addMember, asBrowser, createKey, signUp } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Retries an assertion for up to two seconds: for changes that reach custos by notification. */
async function eventually(assertion: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe(`API keys on ${ENGINE}`, () => {
  it('P-KEY-1: a key is shown once, at creation, and stored only as its SHA-256 hash', async () => {
    const person = await signUp(t);
    const created = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: asBrowser(t, person.cookie), payload: { name: 'ci', scopes: ['read'] } });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ id: expect.any(String), name: 'ci', scopes: ['read'], createdBy: person.personId, lastUsedAt: null });
    expect(body.key).toMatch(/^csk_[A-Za-z0-9]{40,}$/);
    expect(body.key.startsWith(body.prefix)).toBe(true);
    const list = await t.app.http.inject({ url: '/v1/api-keys', headers: { cookie: person.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(body.key);
    expect(list.json().items).toEqual([expect.objectContaining({ id: body.id, prefix: body.prefix })]);
    const stored = await sql<{ key: string }>`select key from api_keys where id = ${body.id}`.execute(t.app.database.db);
    expect(stored.rows[0]!.key).toBe(crypto.createHash('sha256').update(body.key).digest('base64url'));
    expect(JSON.stringify(stored.rows)).not.toContain(body.key);
  });

  it('P-KEY-3: data goes in with `Authorization: Bearer <key>`; the last-used time is kept', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    const me = await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ via: 'api_key', personId: person.personId, workspaceId: person.personalWorkspaceId });
    const list = await t.app.http.inject({ url: '/v1/api-keys', headers: bearer(key.key) });
    expect(list.json().items[0].lastUsedAt).not.toBeNull();
    for (const wrong of ['csk_not-a-real-key', key.key.slice(0, -1), `${key.key}x`, 'something-else']) {
      const res = await t.app.http.inject({ url: '/v1/me', headers: bearer(wrong) });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain(wrong);
    }
  });

  it('P-KEY-1: a revoked key fails at once', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(200);
    const revoke = await t.app.http.inject({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: asBrowser(t, person.cookie) });
    expect(revoke.statusCode).toBe(204);
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(401);
    const again = await t.app.http.inject({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: asBrowser(t, person.cookie) });
    expect(again.statusCode).toBe(404);
  });

  it('P-KEY-3: scopes bound a key: read cannot write, write cannot administer, admin can see keys but only a person makes them', async () => {
    const person = await signUp(t);
    const read = await createKey(t.app.http, asBrowser(t, person.cookie), ['read']);
    const write = await createKey(t.app.http, asBrowser(t, person.cookie), ['read', 'write']);
    const admin = await createKey(t.app.http, asBrowser(t, person.cookie), ['read', 'write', 'admin']);
    const newKey = { name: 'made by a key', scopes: ['read'] };
    expect((await t.app.http.inject({ url: '/v1/api-keys', headers: bearer(read.key) })).statusCode).toBe(200);
    expect((await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: bearer(read.key), payload: newKey })).statusCode).toBe(403);
    expect((await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: bearer(write.key), payload: newKey })).statusCode).toBe(403);
    // A key never makes another, whatever its scopes (a stolen key must not become a foothold).
    const minted = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: bearer(admin.key), payload: newKey });
    expect(minted.statusCode).toBe(403);
    expect(minted.json().error.code).toBe('session_required');
    // Person-only routes refuse keys whatever their scopes.
    const sessions = await t.app.http.inject({ url: '/v1/me/sessions', headers: bearer(admin.key) });
    expect(sessions.statusCode).toBe(403);
    expect(sessions.json().error.code).toBe('session_required');
    const bad = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: asBrowser(t, person.cookie), payload: { name: 'x', scopes: ['root'] } });
    expect(bad.statusCode).toBe(400);
  });

  it("P-KEY-3: a key's rights are the lesser of its scopes and its creator's current role", async () => {
    const owner = await signUp(t);
    const admin = await signUp(t);
    const created = await t.app.http.inject({ method: 'POST', url: '/v1/workspaces', headers: asBrowser(t, owner.cookie), payload: { name: 'Team' } });
    const id = created.json().id as string;
    await addMember(t, id, admin, 'admin');
    const key = await createKey(t.app.http, asBrowser(t, admin.cookie, { 'custos-workspace': id }), ['read', 'write', 'admin']);
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).json().scopes).toEqual(['read', 'write', 'admin']);
    await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}/members/${admin.personId}`, headers: asBrowser(t, owner.cookie, { 'custos-workspace': id }), payload: { role: 'viewer' } });
    const demoted = await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) });
    expect(demoted.json().scopes).toEqual(['read']);
    expect((await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: bearer(key.key), payload: { name: 'x', scopes: ['read'] } })).statusCode).toBe(403);
    // A creator who leaves takes the key's power with them, at once.
    const left = await t.app.http.inject({ method: 'POST', url: `/v1/workspaces/${id}/leave`, headers: asBrowser(t, admin.cookie) });
    expect(left.statusCode).toBe(204);
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(401);
  });

  it('P-KEY-1: a key revoked by another server, or in the database directly, stops working on this one', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    // Used twice: the second time from this server's memory.
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(200);
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(200);
    await sql`delete from api_keys where id = ${key.id}`.execute(t.app.database.db);
    await eventually(async () => expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(401));
  });

  it('P-KEY-1: an expired key fails; an expiry in the past is refused', async () => {
    const person = await signUp(t);
    const soon = new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString();
    const res = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: asBrowser(t, person.cookie), payload: { name: 'temp', scopes: ['read'], expiresAt: soon } });
    expect(res.statusCode).toBe(201);
    const { key, id } = res.json() as { key: string; id: string };
    expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key) })).statusCode).toBe(200);
    // Changed behind custos's back (as another server or an operator would): the database's
    // notification reaches this server's cache (at once on the embedded engine, within moments on a server).
    await sql`update api_keys set "expiresAt" = now() - interval '1 second' where id = ${id}`.execute(t.app.database.db);
    await eventually(async () => expect((await t.app.http.inject({ url: '/v1/me', headers: bearer(key) })).statusCode).toBe(401));
    const past = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: asBrowser(t, person.cookie), payload: { name: 'old', scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' } });
    expect(past.statusCode).toBe(400);
  });
});
