// P-KEY-2 over HTTP: sign-in, sign-up and mail doors limited per IP and per account, keys per key,
// 429 with Retry-After; and two servers that share Redis share the counts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { ipSubject } from '../../src/identity/rate-rules.ts';
import { asBrowser, createKey, signUp, uniqueEmail } from '../support/people.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';

function signInFrom(t: TestApp, ip: string, email: string) {
  return t.app.http.inject({ method: 'POST', url: '/api/auth/sign-in/email', remoteAddress: ip, headers: { origin: t.config.publicUrl.origin }, payload: { email, password: 'not the password' } });
}

describe(`rate limits over HTTP on ${ENGINE}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      infra: {
        rateRules: {
          apiPerKey: { name: 'api.key', points: 5, durationSeconds: 60 },
          apiPerPerson: { name: 'api.person', points: 5, durationSeconds: 60 },
          signInPerAccount: { name: 'signin.account', points: 15, durationSeconds: 900 },
        },
      },
    });
  });
  afterAll(async () => t?.close());

  it('P-KEY-2: sign-in is limited per account and IP, and per account over all IPs; 429 with Retry-After', async () => {
    const email = uniqueEmail();
    for (let i = 0; i < 10; i += 1) expect((await signInFrom(t, '192.0.2.1', email)).statusCode).toBe(401);
    const refused = await signInFrom(t, '192.0.2.1', email);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).not.toContain(email);
    // A stranger guessing from one place does not lock the person out from another...
    for (let i = 0; i < 5; i += 1) expect((await signInFrom(t, `192.0.2.${10 + i}`, email.toUpperCase())).statusCode).toBe(401);
    // ...but a botnet spread over many places meets the per-account limit (15 here) all the same.
    expect((await signInFrom(t, '192.0.2.30', ` ${email} `.trim())).statusCode).toBe(429);
    // Another account is not affected.
    expect((await signInFrom(t, '192.0.2.31', uniqueEmail())).statusCode).toBe(401);
  });

  it('P-KEY-2: guessing the current password through change-password meets the sign-in limits', async () => {
    const person = await signUp(t);
    const guess = () => t.app.http.inject({ method: 'POST', url: '/api/auth/change-password', remoteAddress: '192.0.2.77', headers: asBrowser(t, person.cookie), payload: { currentPassword: 'a wrong guess', newPassword: 'whatever it is now' } });
    for (let i = 0; i < 10; i += 1) expect((await guess()).statusCode).toBe(401);
    expect((await guess()).statusCode).toBe(429);
  });

  it('P-KEY-2: requests with a session are limited per person', async () => {
    const person = await signUp(t);
    // signUp() itself read /v1/me once: four more make five.
    for (let i = 0; i < 4; i += 1) expect((await t.app.http.inject({ url: '/v1/workspaces', headers: { cookie: person.cookie } })).statusCode).toBe(200);
    expect((await t.app.http.inject({ url: '/v1/workspaces', headers: { cookie: person.cookie } })).statusCode).toBe(429);
  });

  it('P-KEY-2: IPv6 addresses count per /64', () => {
    expect(ipSubject('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(ipSubject('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipSubject('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(ipSubject('192.0.2.1')).toBe('192.0.2.1');
  });

  it('P-KEY-2: sign-in is limited per IP address, whatever the accounts tried', async () => {
    for (let i = 0; i < 20; i += 1) expect((await signInFrom(t, '192.0.2.99', uniqueEmail())).statusCode).toBe(401);
    expect((await signInFrom(t, '192.0.2.99', uniqueEmail())).statusCode).toBe(429);
    expect((await signInFrom(t, '192.0.2.98', uniqueEmail())).statusCode).toBe(401);
  });

  it('P-KEY-2: reset and verification mails are limited per account and IP, and per account', async () => {
    const email = uniqueEmail();
    const ask = (ip: string) => t.app.http.inject({ method: 'POST', url: '/api/auth/request-password-reset', remoteAddress: ip, headers: { origin: t.config.publicUrl.origin }, payload: { email } });
    for (let i = 0; i < 3; i += 1) expect((await ask('192.0.2.50')).statusCode).toBe(200);
    expect((await ask('192.0.2.50')).statusCode).toBe(429);
    for (let i = 0; i < 7; i += 1) expect((await ask(`192.0.2.${51 + i}`)).statusCode).toBe(200);
    expect((await ask('192.0.2.60')).statusCode).toBe(429);
  });

  it('P-KEY-2: the API is limited per key', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    const other = await createKey(t.app.http, asBrowser(t, person.cookie));
    for (let i = 0; i < 5; i += 1) expect((await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(200);
    const refused = await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key.key}` } });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${other.key}` } })).statusCode).toBe(200);
  });
});

describe(`two servers sharing Redis on ${ENGINE}`, () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ config: { redisUrl: REDIS_URL } });
    // The second server is of the same instance: the same master key and keystore (and so the same
    // HMAC key for rate-limit subjects), as servers behind one load balancer share a KMS.
    const dataDir = fs.mkdtempSync(path.join(path.dirname(a.config.dataDir), 'custos-second-'));
    for (const file of ['master.key', 'keystore.json']) fs.copyFileSync(path.join(a.config.dataDir, file), path.join(dataDir, file));
    fs.chmodSync(path.join(dataDir, 'master.key'), 0o600);
    b = await startTestApp({ config: { redisUrl: REDIS_URL, dataDir } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('P-KEY-2: the count of one address is shared by two servers through Redis', async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
    const email = uniqueEmail();
    // 10 attempts on each server: the 21st, on either, is refused (the limit is 20 a minute).
    for (let i = 0; i < 10; i += 1) expect((await signInFrom(a, ip, `${i}${email}`)).statusCode).toBe(401);
    for (let i = 0; i < 10; i += 1) expect((await signInFrom(b, ip, `b${i}${email}`)).statusCode).toBe(401);
    expect((await signInFrom(a, ip, `x${email}`)).statusCode).toBe(429);
    expect((await signInFrom(b, ip, `y${email}`)).statusCode).toBe(429);
  });
});
