// A person's name and a credential's label are personal data (issue 24, finding 4): the API shows
// them, the database holds them only sealed (the name under the person's own secret, so that
// erasure shreds it; the label under the workspace's keys). What an earlier release left in clear
// is sealed at start-up (names) or when next read (labels).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { dumpTexts } from '../support/dump.ts';
import { asBrowser, call, signUp } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const canary = (what: string) => `Canary ${what} ${Math.random().toString(36).slice(2, 10)}`;
const found = (texts: Record<string, string>, value: string) => Object.entries(texts).filter(([, text]) => text.includes(value)).map(([table]) => table);

// The embedded engine has one process at a time: the app stops while the owner looks.
async function withAppStopped<T>(fn: () => Promise<T>): Promise<T> {
  await t.app.close();
  try {
    return await fn();
  } finally {
    t.app = await createApp(t.config, { logDestination: t.logs });
    await t.app.http.ready();
  }
}

async function asOwner<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const owner = await openDatabase(t.config, 'owner');
  try {
    return await fn(owner);
  } finally {
    await owner.close();
  }
}

describe(`names and labels at rest on ${ENGINE}`, () => {
  it('P-ENC-1, P-RIG-3: the name given at sign-up and a credential label are shown, and stored only sealed', async () => {
    const name = canary('name');
    const label = canary('label');
    const person = await signUp(t, { name });
    const browser = asBrowser(t, person.cookie);
    expect((await call(t, 'GET', '/v1/me', browser)).json().name).toBe(name);
    expect((await call(t, 'GET', '/api/auth/get-session', browser)).json().user.name).toBe(name);
    const credential = await call(t, 'POST', '/v1/credentials', browser, { provider: 'generic', label, secret: 'sk-canary-secret-0123456789', baseUrl: 'https://provider.example/' });
    expect(credential.statusCode).toBe(201);
    expect(credential.json().label).toBe(label);
    expect((await call(t, 'GET', '/v1/credentials', browser)).json().items[0].label).toBe(label);
    expect((await call(t, 'GET', `/v1/credentials/${credential.json().id}`, browser)).json().label).toBe(label);

    const { texts, rows } = await withAppStopped(async () => ({ texts: await dumpTexts(t.config), rows: await asOwner(async (owner) => ({
      names: (await sql<{ n: number }>`select count(*)::int as n from person_names where person_id = ${person.personId}`.execute(owner.db)).rows[0]!.n,
      people: (await sql<{ name: string }>`select name from people where id = ${person.personId}`.execute(owner.db)).rows[0]!.name,
      credential: (await sql<{ label: string | null; sealed: boolean }>`select label, label_sealed is not null as sealed from credentials where id = ${credential.json().id}`.execute(owner.db)).rows[0]!,
    })) }));
    expect(found(texts, name)).toEqual([]);
    expect(found(texts, label)).toEqual([]);
    // The sealed copies are there: a row for the name, a sealed label beside an empty clear one.
    expect(rows).toEqual({ names: 1, people: '', credential: { label: null, sealed: true } });
  });

  it('a name and a label an earlier release kept in clear are sealed (at start-up; when next read) and still shown', async () => {
    const person = await signUp(t);
    const browser = asBrowser(t, person.cookie);
    const credential = (await call(t, 'POST', '/v1/credentials', browser, { provider: 'generic', label: 'x', secret: 'sk-canary-secret-0123456789', baseUrl: 'https://provider.example/' })).json();
    const name = canary('old name');
    const label = canary('old label');
    // As the earlier release wrote them; the restart seals the name.
    await withAppStopped(() => asOwner(async (owner) => {
      await sql`update people set name = ${name} where id = ${person.personId}`.execute(owner.db);
      await sql`delete from person_names where person_id = ${person.personId}`.execute(owner.db);
      await sql`update credentials set label = ${label}, label_sealed = null where id = ${credential.id}`.execute(owner.db);
    }));

    expect((await call(t, 'GET', '/v1/me', browser)).json().name).toBe(name);
    expect((await call(t, 'GET', `/v1/credentials/${credential.id}`, browser)).json().label).toBe(label);
    const texts = await withAppStopped(() => dumpTexts(t.config));
    expect(found(texts, name)).toEqual([]);
    expect(found(texts, label)).toEqual([]);
    expect((await call(t, 'GET', '/v1/credentials', browser)).json().items[0].label).toBe(label);
  });
});
