// P-LOG-1 for the identity routes, with real credentials: every documented route (Better Auth's
// under /api/auth included) swept with canaries, by a real session and a real API key; and the
// credentials themselves, the password and the address never reach a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Canaries, sweepRoutes } from '../support/canary.ts';
import { ENGINE } from '../support/database.ts';
import { createKey, signUp } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe(`identity canaries on ${ENGINE}`, () => {
  it('P-LOG-1: canaries sent through every identity route, with a real session and key, reach no log line or response', async () => {
    const canaries = new Canaries();
    const password = canaries.plant('password');
    // The address is not a canary: /v1/me rightly shows a person their own. It must not be logged.
    const person = await signUp(t, { password });
    const key = await createKey(t.app.http, { cookie: person.cookie, origin: t.config.publicUrl.origin }, ['read', 'write', 'admin']);
    const sweep = await sweepRoutes(t.app.http, canaries, [
      { authorization: `Bearer ${key.key}` },
      { cookie: person.cookie, origin: t.config.publicUrl.origin },
    ]);
    const doc = (await t.app.http.inject({ url: '/docs' })).json() as { paths: Record<string, unknown> };
    for (const route of ['/api/auth/sign-in/email', '/api/auth/sign-up/email', '/v1/api-keys', '/v1/workspaces/{id}', '/v1/me/sessions/{id}', '/v1/me/terms']) {
      expect(Object.keys(doc.paths)).toContain(route);
    }
    expect(sweep.requests).toBeGreaterThan(100);
    const leaks = canaries.leaks({ 'the log': t.logs.text(), ...Object.fromEntries(sweep.bodies.map((body, i) => [`response ${i}`, body])) });
    expect(leaks).toEqual([]);
    const log = t.logs.text();
    const rawToken = decodeURIComponent(person.cookie.split('=')[1]!).split('.')[0]!;
    for (const secret of [key.key, rawToken, person.email]) expect(log).not.toContain(secret);
    expect(t.logs.records().filter((r) => r.msg === 'request').length).toBeGreaterThanOrEqual(sweep.requests);
  });
});
