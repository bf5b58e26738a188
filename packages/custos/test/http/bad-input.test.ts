// What a probe of the running server found answering 500 (issue 24), each now a clean 4xx with a
// stable code and nothing in the error log: text Postgres cannot store, JSON nested deep enough to
// overflow whatever walks it, and an API key minting more keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { asBrowser, createKey, signUp, type Person } from '../support/people.ts';

let t: TestApp;
let person: Person;
beforeAll(async () => {
  t = await startTestApp();
  person = await signUp(t);
});
afterAll(async () => t?.close());

const errorLines = () => t.logs.records().filter((line) => Number(line.level) >= 50);
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const LONE_SURROGATE = '"x\\ud800y"';

describe(`bad input on ${ENGINE}`, () => {
  it('text a clear column cannot hold (NUL, lone surrogates) is a 400 naming the field; the workspace is not created', async () => {
    const browser = asBrowser(t, person.cookie, { 'content-type': 'application/json' });
    const before = (await t.app.http.inject({ url: '/v1/workspaces', headers: browser })).json().items.length;
    for (const payload of ['{"name":"x\\u0000y"}', `{"name":${LONE_SURROGATE}}`]) {
      const res = await t.app.http.inject({ method: 'POST', url: '/v1/workspaces', headers: browser, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe(payload.includes('u0000') ? 'invalid_request' : 'invalid_text');
    }
    const key = { 'content-type': 'application/json' };
    for (const [url, payload] of [['/v1/api-keys', '{"name":"k\\u0000","scopes":["read"]}'], ['/api/auth/sign-up/email', '{"email":"a@example.test","password":"long-enough-1","name":"N\\u0000"}']] as const) {
      const res = await t.app.http.inject({ method: 'POST', url, headers: url.startsWith('/api') ? { ...key, origin: t.config.publicUrl.origin } : { ...browser }, payload });
      expect(res.statusCode, url).toBe(400);
    }
    const renamed = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${person.personalWorkspaceId}`, headers: browser, payload: '{"name":"a\\u0000"}' });
    expect(renamed.statusCode).toBe(400);
    expect((await t.app.http.inject({ url: '/v1/workspaces', headers: browser })).json().items.length).toBe(before);
    expect(errorLines()).toEqual([]);
  });

  it('a lone surrogate anywhere in a JSON body is refused before anything stores it, even in content that is sealed', async () => {
    const browser = asBrowser(t, person.cookie, { 'content-type': 'application/json' });
    const conversation = (await t.app.http.inject({ method: 'POST', url: '/v1/conversations', headers: browser, payload: '{}' })).json().id;
    const res = await t.app.http.inject({ method: 'POST', url: `/v1/conversations/${conversation}/messages`, headers: browser, payload: `{"role":"user","content":${LONE_SURROGATE}}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_text');
    // A well-formed pair (an emoji written as escapes) is text like any other.
    const emoji = await t.app.http.inject({ method: 'POST', url: `/v1/conversations/${conversation}/messages`, headers: browser, payload: '{"role":"user","content":"\\ud83d\\ude00"}' });
    expect(emoji.statusCode).toBe(201);
    expect(emoji.json().content).toBe('😀');
  });

  it('JSON nested past the limit is a 400 on every route, signed in or not, before anything walks it', async () => {
    const signedIn = asBrowser(t, person.cookie, { 'content-type': 'application/json' });
    const anonymous = { origin: t.config.publicUrl.origin, 'content-type': 'application/json' };
    for (const payload of [nestedArrays(20_000), nestedObjects(5_000), `{"messages":${nestedArrays(200)}}`]) {
      for (const [url, headers] of [['/api/auth/sign-out', anonymous], ['/api/auth/sign-out', signedIn], ['/api/auth/sign-in/email', anonymous], ['/v1/workspaces', signedIn]] as const) {
        const res = await t.app.http.inject({ method: 'POST', url, headers, payload });
        expect(res.statusCode, `${url} ${payload.slice(0, 12)}`).toBe(400);
        expect(res.json().error.code).toBe('invalid_json');
        expect(res.body).not.toMatch(/at .*\.ts|RangeError|stack/);
      }
    }
    // The session survived all of it.
    expect((await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie } })).statusCode).toBe(200);
    expect(errorLines()).toEqual([]);
  });

  it('sign-out takes no body but an empty object', async () => {
    const res = await t.app.http.inject({ method: 'POST', url: '/api/auth/sign-out', headers: { origin: t.config.publicUrl.origin, 'content-type': 'application/json' }, payload: '{"extra":[1,2,3]}' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
  });

  it('P-KEY-1: an API key cannot mint keys, whatever its scopes: that takes a person signed in; it may still list and revoke', async () => {
    const admin = await createKey(t.app.http, asBrowser(t, person.cookie), ['read', 'write', 'admin']);
    const other = await createKey(t.app.http, asBrowser(t, person.cookie), ['read']);
    const bearer = { authorization: `Bearer ${admin.key}` };
    const minted = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: bearer, payload: { name: 'foothold', scopes: ['read', 'write', 'admin'] } });
    expect(minted.statusCode).toBe(403);
    expect(minted.json().error.code).toBe('session_required');
    const listed = await t.app.http.inject({ url: '/v1/api-keys', headers: bearer });
    expect(listed.json().items.map((k: { name: string }) => k.name)).not.toContain('foothold');
    expect((await t.app.http.inject({ method: 'DELETE', url: `/v1/api-keys/${other.id}`, headers: bearer })).statusCode).toBe(204);
  });
});
