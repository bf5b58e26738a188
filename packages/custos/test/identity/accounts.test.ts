// Accounts: sign-up with an email address only, scrypt passwords, verification, reset, password and
// email change, and answers that never tell whether an address has an account.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENGINE } from '../support/database.ts';
import { firstLink, startIdentityApp, type IdentityTestApp } from '../support/identity-app.ts';
import { asBrowser, createKey, sessionCookieOf, signIn, signUp, uniqueEmail } from '../support/people.ts';

let t: IdentityTestApp;
beforeAll(async () => {
  t = await startIdentityApp();
});
afterAll(async () => t?.close());

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.http.inject({ method: 'POST', url, headers: { origin: t.config.publicUrl.origin, ...headers }, payload });

describe(`accounts on ${ENGINE}`, () => {
  it('P-ACC-1: sign-up needs an email address and a password, nothing else; it signs the person in', async () => {
    const email = uniqueEmail();
    const res = await post('/api/auth/sign-up/email', { email, password: 'correct horse battery' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true });
    const cookie = sessionCookieOf(res.headers['set-cookie']);
    const me = await t.app.http.inject({ url: '/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email, name: '', emailVerified: false, role: 'owner', via: 'session', termsAccepted: true });
    // A personal workspace comes with the account.
    const workspaces = await t.app.http.inject({ url: '/v1/workspaces', headers: { cookie } });
    expect(workspaces.json().items).toEqual([expect.objectContaining({ personal: true, role: 'owner' })]);
  });

  it('P-ACC-1: a name is optional and kept when given; anything else is refused', async () => {
    const person = await signUp(t, { name: 'Ada' });
    const me = await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie } });
    expect(me.json().name).toBe('Ada');
    const extra = await post('/api/auth/sign-up/email', { email: uniqueEmail(), password: 'correct horse battery', role: 'admin' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.code).toBe('invalid_request');
    const noPassword = await post('/api/auth/sign-up/email', { email: uniqueEmail() });
    expect(noPassword.statusCode).toBe(400);
  });

  it('P-ACC-1: signing up with an address that has an account answers exactly as a new one would', async () => {
    const person = await signUp(t);
    const again = await post('/api/auth/sign-up/email', { email: person.email, password: 'another password here' });
    const fresh = await post('/api/auth/sign-up/email', { email: uniqueEmail(), password: 'another password here' });
    expect(again.statusCode).toBe(fresh.statusCode);
    expect(again.body).toBe(fresh.body);
    // The existing account's password did not change.
    await expect(signIn(t, person.email, person.password)).resolves.toMatch(/^custos_session=/);
  });

  it('P-ACC-2: passwords are stored only as scrypt hashes and a wrong password says nothing about the address', async () => {
    const person = await signUp(t);
    const row = await t.app.database.db.selectFrom('accounts' as never).select(['password' as never]).where('userId' as never, '=', person.personId as never).executeTakeFirstOrThrow() as { password: string };
    expect(row.password).not.toContain(person.password);
    // Better Auth's scrypt format: hex salt, colon, hex key.
    expect(row.password).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
    const wrong = await post('/api/auth/sign-in/email', { email: person.email, password: 'not the password' });
    const unknown = await post('/api/auth/sign-in/email', { email: uniqueEmail(), password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    expect(unknown.body).toBe(wrong.body);
    expect(t.logs.text()).not.toContain(person.password);
  });

  it('P-ACC-5: the verification link mailed at sign-up verifies the address', async () => {
    const person = await signUp(t);
    const link = firstLink(await t.mailTo(person.email, 'Confirm your email'));
    expect(link.origin).toBe(t.config.publicUrl.origin);
    const res = await t.app.http.inject({ url: `${link.pathname}${link.search}` });
    expect([200, 302]).toContain(res.statusCode);
    const me = await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie } });
    expect(me.json().emailVerified).toBe(true);
    const reused = await t.app.http.inject({ url: `${link.pathname}${link.search.replace(/token=[^&]+/, 'token=forged')}` });
    expect(reused.statusCode).toBeGreaterThanOrEqual(300);
    expect(reused.body).not.toContain(person.email);
  });

  it('P-ACC-5: password reset by mailed link ends every session; the same answer for unknown addresses', async () => {
    const person = await signUp(t);
    const asked = await post('/api/auth/request-password-reset', { email: person.email });
    const unknown = await post('/api/auth/request-password-reset', { email: uniqueEmail() });
    expect(asked.statusCode).toBe(200);
    expect(unknown.body).toBe(asked.body);
    const link = firstLink(await t.mailTo(person.email, 'Reset your password'));
    const token = link.pathname.split('/').pop()!;
    const reset = await post('/api/auth/reset-password', { token, newPassword: 'a brand new password' });
    expect(reset.statusCode).toBe(200);
    // The old session is gone, the old password fails, the new one works; the token is single-use.
    expect((await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie } })).statusCode).toBe(401);
    expect((await post('/api/auth/sign-in/email', { email: person.email, password: person.password })).statusCode).toBe(401);
    await expect(signIn(t, person.email, 'a brand new password')).resolves.toMatch(/^custos_session=/);
    const again = await post('/api/auth/reset-password', { token, newPassword: 'yet another password' });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.code).toBe('invalid_token');
  });

  it('P-ACC-5: a signed-in person changes their password; the other sessions can be ended with it', async () => {
    const person = await signUp(t);
    const other = await signIn(t, person.email, person.password);
    const res = await post('/api/auth/change-password', { currentPassword: person.password, newPassword: 'the changed password', revokeOtherSessions: true }, { cookie: person.cookie });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(/"token"/);
    expect((await t.app.http.inject({ url: '/v1/me', headers: { cookie: other } })).statusCode).toBe(401);
    await expect(signIn(t, person.email, 'the changed password')).resolves.toMatch(/^custos_session=/);
    const wrong = await post('/api/auth/change-password', { currentPassword: 'not it at all', newPassword: 'whatever password' }, { cookie: person.cookie });
    expect(wrong.statusCode).toBeGreaterThanOrEqual(400);
  });

  it('P-ACC-5: an email change is confirmed at the new address and announced to the old one', async () => {
    const person = await signUp(t);
    const newEmail = uniqueEmail('moved');
    const res = await post('/api/auth/change-email', { newEmail }, asBrowser(t, person.cookie));
    expect(res.statusCode).toBe(200);
    const notice = await t.mailTo(person.email, 'being changed');
    expect(notice.parsed.text).not.toContain(newEmail);
    expect(notice.parsed.text).not.toMatch(/https?:\/\//);
    const link = firstLink(await t.mailTo(newEmail, 'Confirm your new email'));
    // Nothing changes until the new address confirms.
    expect((await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie } })).json().email).toBe(person.email);
    await t.app.http.inject({ url: `${link.pathname}${link.search}`, headers: { cookie: person.cookie } });
    const me = await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie } });
    expect(me.json().email).toBe(newEmail);
    await expect(signIn(t, newEmail, person.password)).resolves.toMatch(/^custos_session=/);
  });
});

describe(`account takeover defences on ${ENGINE}`, () => {
  it('P-ACC-5: a password reset also revokes every API key the person made (someone who knew the old password may have)', async () => {
    const squatter = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, squatter.cookie), ['read', 'write', 'admin']);
    expect((await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(200);
    await post('/api/auth/request-password-reset', { email: squatter.email });
    const token = firstLink(await t.mailTo(squatter.email, 'Reset your password')).pathname.split('/').pop()!;
    expect((await post('/api/auth/reset-password', { token, newPassword: 'the rightful owner now' })).statusCode).toBe(200);
    expect((await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(401);
    expect((await t.app.http.inject({ url: '/v1/me', headers: { cookie: squatter.cookie } })).statusCode).toBe(401);
  });

  it('P-ACC-5: an email change needs a sign-in within the last 15 minutes', async () => {
    const person = await signUp(t);
    await sql`update sessions set "createdAt" = now() - interval '20 minutes' where "userId" = ${person.personId}`.execute(t.app.database.db);
    const res = await post('/api/auth/change-email', { newEmail: uniqueEmail() }, asBrowser(t, person.cookie));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('recent_sign_in_required');
  });

  it('an email change racing a sign-up for the same address is a 409, and nothing is printed outside the log', async () => {
    const errors = vi.spyOn(console, 'error');
    try {
      const mover = await signUp(t);
      const target = uniqueEmail('race');
      expect((await post('/api/auth/change-email', { newEmail: target }, asBrowser(t, mover.cookie))).statusCode).toBe(200);
      const link = firstLink(await t.mailTo(target, 'Confirm your new email'));
      await signUp(t, { email: target });
      const res = await t.app.http.inject({ url: `${link.pathname}${link.search}`, headers: { cookie: mover.cookie } });
      expect(res.statusCode).toBe(409);
      expect(res.body).not.toContain(target);
      expect(errors).not.toHaveBeenCalled();
      expect(t.logs.text()).not.toContain(target);
    } finally {
      errors.mockRestore();
    }
  });

  it("Better Auth's own session listing never hands out the stored hashes", async () => {
    const person = await signUp(t);
    const listed = await t.app.identity.auth.api.listSessions({ headers: new Headers({ cookie: person.cookie }) });
    const stored = await sql<{ token: string }>`select token from sessions where "userId" = ${person.personId}`.execute(t.app.database.db);
    expect(listed.length).toBe(1);
    for (const session of listed) expect(stored.rows.map((r) => r.token)).not.toContain((session as { token: string }).token);
  });
});

describe(`transactional mail on ${ENGINE}`, () => {
  it('P-COM-1: everything mailed during these flows is one of the transactional templates; the outbox empties; no address is logged', async () => {
    // The flows above ran on this server; wait for anything still queued, then look at all of it.
    const deadline = Date.now() + 10_000;
    let pending = 1;
    while (Date.now() < deadline) {
      pending = Number((await t.app.database.db.selectFrom('mail_outbox' as never).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow() as { n: string }).n);
      if (pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(pending).toBe(0);
    const subjects = new Set(t.smtp.received.map((m) => m.parsed.subject));
    expect(t.smtp.received.length).toBeGreaterThanOrEqual(8);
    const transactional = ['Confirm your email address', 'Reset your password', 'Confirm your new email address', 'Your email address is being changed', 'New sign-in to your account'];
    expect([...subjects].filter((s) => !transactional.includes(s ?? ''))).toEqual([]);
    expect([...subjects].sort()).toEqual([...transactional].sort());
    const addresses = t.smtp.received.flatMap((m) => m.recipients);
    const log = t.logs.text();
    expect(addresses.filter((a) => log.includes(a))).toEqual([]);
  });
});

describe(`verification required by policy on ${ENGINE}`, () => {
  let strict: IdentityTestApp;
  beforeAll(async () => {
    strict = await startIdentityApp({ config: { requireEmailVerification: true } });
  });
  afterAll(async () => strict?.close());

  it('P-ACC-5: sign-in waits for a verified address, and sign-up reveals nothing about existing ones', async () => {
    const email = uniqueEmail();
    const origin = strict.config.publicUrl.origin;
    const up = await strict.app.http.inject({ method: 'POST', url: '/api/auth/sign-up/email', headers: { origin }, payload: { email, password: 'correct horse battery' } });
    expect(up.statusCode).toBe(200);
    expect(up.headers['set-cookie']).toBeUndefined();
    const dup = await strict.app.http.inject({ method: 'POST', url: '/api/auth/sign-up/email', headers: { origin }, payload: { email, password: 'correct horse battery' } });
    expect(dup.statusCode).toBe(up.statusCode);
    expect(dup.body).toBe(up.body);
    expect(dup.headers['set-cookie']).toBeUndefined();
    const early = await strict.app.http.inject({ method: 'POST', url: '/api/auth/sign-in/email', headers: { origin }, payload: { email, password: 'correct horse battery' } });
    expect(early.statusCode).toBe(403);
    expect(early.json().error.code).toBe('email_not_verified');
    const link = firstLink(await strict.mailTo(email, 'Confirm your email'));
    await strict.app.http.inject({ url: `${link.pathname}${link.search}` });
    const later = await strict.app.http.inject({ method: 'POST', url: '/api/auth/sign-in/email', headers: { origin }, payload: { email, password: 'correct horse battery' } });
    expect(later.statusCode).toBe(200);
    expect(sessionCookieOf(later.headers['set-cookie'])).toMatch(/^custos_session=/);
  });
});
