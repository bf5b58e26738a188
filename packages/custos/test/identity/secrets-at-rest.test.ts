// After real flows that plant passwords, session tokens, reset and verification links and API keys,
// a scan of every column of every row of every table (as the schema owner, past RLS) finds none of
// them in clear; nor does the log. Proves P-ACC-2, P-COO-1 and P-KEY-1 at rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE } from '../support/database.ts';
import { dumpEveryTable } from '../support/dump.ts';
import { firstLink, startIdentityApp, type IdentityTestApp } from '../support/identity-app.ts';
import { asBrowser, createKey, signIn, signUp } from '../support/people.ts';

let t: IdentityTestApp;
beforeAll(async () => {
  t = await startIdentityApp();
});
afterAll(async () => t?.close());

describe(`secrets at rest on ${ENGINE}`, () => {
  it('P-ACC-2, P-COO-1, P-KEY-1: no planted password, session token, link token or API key is stored in clear', async () => {
    const planted: Record<string, string> = {};
    const person = await signUp(t, { password: 'canary-password-Qx81' });
    planted.password = person.password;
    planted['sign-up session token'] = decodeURIComponent(person.cookie.split('=')[1]!).split('.')[0]!;
    const session = await signIn(t, person.email, person.password);
    planted['sign-in session token'] = decodeURIComponent(session.split('=')[1]!).split('.')[0]!;
    planted['verification token'] = firstLink(await t.mailTo(person.email, 'Confirm your email')).searchParams.get('token')!;
    await t.app.http.inject({ method: 'POST', url: '/api/auth/request-password-reset', headers: { origin: t.config.publicUrl.origin }, payload: { email: person.email } });
    planted['reset token'] = firstLink(await t.mailTo(person.email, 'Reset your password')).pathname.split('/').pop()!;
    planted['api key'] = (await createKey(t.app.http, asBrowser(t, session))).key;
    const changed = await t.app.http.inject({ method: 'POST', url: '/api/auth/change-password', headers: asBrowser(t, session), payload: { currentPassword: person.password, newPassword: 'canary-password-Zr52' } });
    expect(changed.statusCode).toBe(200);
    planted['changed password'] = 'canary-password-Zr52';
    for (const [label, value] of Object.entries(planted)) expect(value.length, label).toBeGreaterThanOrEqual(16);

    await t.app.close();
    const dump = await dumpEveryTable(t.config);
    // The scan read the tables that matter, with rows in them.
    for (const table of ['public.people', 'public.sessions', 'public.accounts', 'public.api_keys', 'public.audit_entries']) {
      expect(dump.get(table)?.length ?? 0, table).toBeGreaterThan(0);
    }
    const found: string[] = [];
    for (const [table, text] of dump) {
      for (const [label, value] of Object.entries(planted)) if (text.includes(value)) found.push(`${label} in ${table}`);
    }
    const log = t.logs.text();
    for (const [label, value] of Object.entries(planted)) if (log.includes(value)) found.push(`${label} in the log`);
    if (log.includes(person.email)) found.push('the address in the log');
    expect(found).toEqual([]);
  });
});
