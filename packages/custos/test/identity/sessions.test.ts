// One strict session cookie (P-COO-1): its attributes read from real responses, its token stored
// only as a hash, sessions listed and revoked with immediate effect, idle and absolute expiry.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionToken } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { asBrowser, sessionCookieOf, signIn, signUp, uniqueEmail } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

function rawToken(cookie: string): string {
  // custos_session=<token>.<signature>, URL-encoded.
  return decodeURIComponent(cookie.split('=').slice(1).join('=')).split('.')[0]!;
}

const me = (cookie: string) => t.app.http.inject({ url: '/v1/me', headers: { cookie } });

describe(`the session cookie on ${ENGINE}`, () => {
  it('P-COO-1: sign-up and sign-in set exactly one cookie: custos_session, HttpOnly, SameSite=Strict, Path=/', async () => {
    const email = uniqueEmail();
    const up = await t.app.http.inject({ method: 'POST', url: '/api/auth/sign-up/email', headers: { origin: t.config.publicUrl.origin }, payload: { email, password: 'correct horse battery' } });
    const upCookies = [up.headers['set-cookie']].flat();
    expect(upCookies).toHaveLength(1);
    const inRes = await t.app.http.inject({ method: 'POST', url: '/api/auth/sign-in/email', headers: { origin: t.config.publicUrl.origin }, payload: { email, password: 'correct horse battery' } });
    const inCookies = [inRes.headers['set-cookie']].flat();
    expect(inCookies).toHaveLength(1);
    for (const cookie of [...upCookies, ...inCookies] as string[]) {
      const attributes = cookie.split(';').map((part) => part.trim().toLowerCase());
      expect(attributes[0]).toMatch(/^custos_session=/);
      expect(attributes).toContain('httponly');
      expect(attributes).toContain('samesite=strict');
      expect(attributes).toContain('path=/');
      // Plain http (a development server): no Secure, which browsers would drop.
      expect(attributes).not.toContain('secure');
    }
    // Sign-in's JSON carries no token.
    expect(inRes.body).not.toMatch(/"token"/);
    expect(inRes.body).not.toContain(rawToken(sessionCookieOf(inCookies as string[])));
  });

  it('P-COO-1: each sign-in makes a fresh session; get-session answers without the token', async () => {
    const person = await signUp(t);
    const a = await signIn(t, person.email, person.password);
    const b = await signIn(t, person.email, person.password);
    expect(new Set([person.cookie, a, b]).size).toBe(3);
    const session = await t.app.http.inject({ url: '/api/auth/get-session', headers: { cookie: a } });
    expect(session.statusCode).toBe(200);
    expect(session.json().user.email).toBe(person.email);
    expect(session.body).not.toMatch(/"token"/);
    expect(session.body).not.toContain(rawToken(a));
    // No Set-Cookie beyond ours, ever (no cache cookie, no "don't remember" cookie).
    for (const header of [session.headers['set-cookie']].flat().filter(Boolean) as string[]) expect(header).toMatch(/^custos_session=/);
  });

  it('P-COO-1: session tokens are stored only as SHA-256 hashes', async () => {
    const person = await signUp(t);
    const token = rawToken(person.cookie);
    const rows = await sql<{ token: string }>`select token from sessions where "userId" = ${person.personId}`.execute(t.app.database.db);
    expect(rows.rows.map((r) => r.token)).toContain(hashSessionToken(token));
    expect(rows.rows.map((r) => r.token)).not.toContain(token);
  });

  it('P-COO-1: GET /v1/me/sessions lists them; DELETE ends one at once, and all but this one', async () => {
    const person = await signUp(t);
    const second = await signIn(t, person.email, person.password);
    const third = await signIn(t, person.email, person.password);
    const list = await t.app.http.inject({ url: '/v1/me/sessions', headers: { cookie: person.cookie } });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as Array<{ id: string; current: boolean }>;
    expect(items).toHaveLength(3);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(list.body).not.toContain(rawToken(second));
    const secondId = (await t.app.http.inject({ url: '/v1/me/sessions', headers: { cookie: second } })).json().items.find((s: { current: boolean }) => s.current).id as string;
    const del = await t.app.http.inject({ method: 'DELETE', url: `/v1/me/sessions/${secondId}`, headers: asBrowser(t, person.cookie) });
    expect(del.statusCode).toBe(204);
    expect((await me(second)).statusCode).toBe(401);
    expect((await me(third)).statusCode).toBe(200);
    const others = await t.app.http.inject({ method: 'DELETE', url: '/v1/me/sessions', headers: asBrowser(t, person.cookie) });
    expect(others.json()).toEqual({ revoked: 1 });
    expect((await me(third)).statusCode).toBe(401);
    expect((await me(person.cookie)).statusCode).toBe(200);
    // Another person's session id is a 404, never a hint.
    const stranger = await signUp(t);
    const theirs = (await t.app.http.inject({ url: '/v1/me/sessions', headers: { cookie: stranger.cookie } })).json().items[0].id as string;
    const foreign = await t.app.http.inject({ method: 'DELETE', url: `/v1/me/sessions/${theirs}`, headers: asBrowser(t, person.cookie) });
    expect(foreign.statusCode).toBe(404);
    expect((await me(stranger.cookie)).statusCode).toBe(200);
  });

  it('P-COO-1: sign-out deletes the session and clears the cookie', async () => {
    const person = await signUp(t);
    const out = await t.app.http.inject({ method: 'POST', url: '/api/auth/sign-out', headers: asBrowser(t, person.cookie) });
    expect(out.statusCode).toBe(200);
    const cleared = [out.headers['set-cookie']].flat() as string[];
    expect(cleared.every((c) => /^custos_session=;/.test(c) || /max-age=0/i.test(c))).toBe(true);
    expect((await me(person.cookie)).statusCode).toBe(401);
  });

  it('P-COO-1: a session idle past its expiry, or older than the absolute limit, is refused', async () => {
    const idle = await signUp(t);
    await sql`update sessions set "expiresAt" = now() - interval '1 second' where "userId" = ${idle.personId}`.execute(t.app.database.db);
    expect((await me(idle.cookie)).statusCode).toBe(401);
    const old = await signUp(t);
    // Used a minute ago (so not idle), but created before the absolute limit.
    await sql`update sessions set "createdAt" = now() - make_interval(secs => ${t.config.sessionAbsoluteSeconds + 60}) where "userId" = ${old.personId}`.execute(t.app.database.db);
    expect((await me(old.cookie)).statusCode).toBe(401);
    // Better Auth's own routes hold to the same limit.
    const older = await signUp(t);
    await sql`update sessions set "createdAt" = now() - make_interval(secs => ${t.config.sessionAbsoluteSeconds + 60}) where "userId" = ${older.personId}`.execute(t.app.database.db);
    const session = await t.app.http.inject({ url: '/api/auth/get-session', headers: { cookie: older.cookie } });
    expect(session.json()).toBeNull();
    const left = await sql<{ n: number }>`select count(*)::int as n from sessions where "userId" = ${old.personId}`.execute(t.app.database.db);
    expect(left.rows[0]!.n).toBe(0);
  });

  it('P-COO-1: using a session slides its idle expiry, and the cookie it refreshes is the same strict one', async () => {
    const person = await signUp(t);
    // Last slid two hours ago (more than the update age of one hour).
    await sql`update sessions set "expiresAt" = now() + make_interval(secs => ${t.config.sessionIdleSeconds - 7200}) where "userId" = ${person.personId}`.execute(t.app.database.db);
    const res = await me(person.cookie);
    expect(res.statusCode).toBe(200);
    const cookies = [res.headers['set-cookie']].flat().filter(Boolean) as string[];
    expect(cookies).toHaveLength(1);
    const attributes = cookies[0]!.split(';').map((part) => part.trim().toLowerCase());
    expect(attributes[0]).toMatch(/^custos_session=/);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', `max-age=${t.config.sessionIdleSeconds}`]));
    const row = await sql<{ expires: Date }>`select "expiresAt" as expires from sessions where "userId" = ${person.personId}`.execute(t.app.database.db);
    expect(row.rows[0]!.expires.getTime()).toBeGreaterThan(Date.now() + (t.config.sessionIdleSeconds - 60) * 1000);
    // A request soon after does not write again, nor set a cookie.
    expect((await me(person.cookie)).headers['set-cookie']).toBeUndefined();
  });

  it('P-COO-1: the session cookie never authenticates a cross-site write (Origin check)', async () => {
    const person = await signUp(t);
    const res = await t.app.http.inject({ method: 'POST', url: '/v1/workspaces', headers: { cookie: person.cookie, origin: 'https://evil.example' }, payload: { name: 'x' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('origin_mismatch');
  });
});

describe(`the session cookie under TLS on ${ENGINE}`, () => {
  let tls: TestApp;
  beforeAll(async () => {
    tls = await startTestApp({ config: { publicUrl: new URL('https://custos.example'), trustProxy: true } });
  });
  afterAll(async () => tls?.close());

  it('P-COO-1: under TLS the cookie is __Secure-custos_session, Secure, HttpOnly, SameSite=Strict', async () => {
    const res = await tls.app.http.inject({
      method: 'POST', url: '/api/auth/sign-up/email',
      headers: { origin: 'https://custos.example', 'x-forwarded-proto': 'https' },
      payload: { email: uniqueEmail(), password: 'correct horse battery' },
    });
    expect(res.statusCode).toBe(200);
    const cookies = [res.headers['set-cookie']].flat() as string[];
    expect(cookies).toHaveLength(1);
    const attributes = cookies[0]!.split(';').map((part) => part.trim().toLowerCase());
    expect(attributes[0]).toMatch(/^__secure-custos_session=/);
    expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']));
    const cookie = cookies[0]!.split(';')[0]!;
    const meRes = await tls.app.http.inject({ url: '/v1/me', headers: { cookie, 'x-forwarded-proto': 'https' } });
    expect(meRes.statusCode).toBe(200);
  });
});
