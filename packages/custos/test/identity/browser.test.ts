// P-COO-1 in a real browser: Debian's Chromium, driven by playwright-core, signs up and in on a
// running custos and holds exactly one cookie, which its JavaScript cannot read.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { uniqueEmail } from '../support/people.ts';
import { freePort } from '../support/ports.ts';

let t: TestApp;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  t = await startTestApp({ config: { port, host: '127.0.0.1', publicUrl: new URL(origin) } });
  await t.app.listen();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe(`a real browser on ${ENGINE}`, () => {
  it('P-COO-1: after sign-up and after sign-in Chromium holds exactly one cookie, HttpOnly and SameSite=Strict', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A blank page on the custos origin (the API's own responses carry a CSP of default-src 'none',
    // under which a page could not fetch); every request below goes to the real server.
    await page.route(`${origin}/blank`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>blank</title>' }));
    await page.goto(`${origin}/blank`);
    const email = uniqueEmail('browser');
    const password = 'correct horse battery';
    const call = (path: string, body?: object) => page.evaluate(async ([p, b]) => {
      const res = await fetch(p as string, b ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) } : {});
      return { status: res.status, body: await res.text(), documentCookie: (globalThis as unknown as { document: { cookie: string } }).document.cookie };
    }, [path, body] as const);

    const up = await call('/api/auth/sign-up/email', { email, password });
    expect(up.status).toBe(200);
    let cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual(['custos_session']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // JavaScript on the page cannot read it.
    expect(up.documentCookie).toBe('');
    const me = await call('/v1/me');
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).email).toBe(email);

    const out = await call('/api/auth/sign-out', {});
    expect(out.status).toBe(200);
    expect(await context.cookies()).toEqual([]);
    expect((await call('/v1/me')).status).toBe(401);

    const signedIn = await call('/api/auth/sign-in/email', { email, password });
    expect(signedIn.status).toBe(200);
    cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual(['custos_session']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect((await call('/v1/me')).status).toBe(200);
    await context.close();
  });
});
