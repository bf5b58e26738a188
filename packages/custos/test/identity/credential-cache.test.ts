// The in-memory cache of verified keys is trusted only while this server hears every change: a
// change made elsewhere reaches it by NOTIFY, and while the listening connection is down nothing is
// served from memory.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { asBrowser, createKey, signUp } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const use = (key: string) => t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } });

describe(`the credential cache on ${ENGINE}`, () => {
  it('P-KEY-1: a role changed directly in the database narrows a cached key', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie), ['read', 'write', 'admin']);
    expect((await use(key.key)).json().scopes).toEqual(['read', 'write', 'admin']);
    await sql`update memberships set role = 'viewer' where "userId" = ${person.personId}`.execute(t.app.database.db);
    const deadline = Date.now() + 2000;
    let scopes: string[] = [];
    while (Date.now() < deadline) {
      scopes = (await use(key.key)).json().scopes as string[];
      if (scopes.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(scopes).toEqual(['read']);
  });

  it.runIf(ENGINE === 'postgres')('P-KEY-1: while the listening connection is down, keys are checked in the database every time', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    expect((await use(key.key)).statusCode).toBe(200);
    expect((await use(key.key)).statusCode).toBe(200);
    // Cut the listener's connection from the server side, as a network fault or a restart would.
    const admin = new pg.Client({ connectionString: t.testDatabase.adminUrl });
    await admin.connect();
    try {
      const database = new URL(t.config.databaseUrl!).pathname.slice(1);
      const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'custos-listen' and datname = $1`, [database]);
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Used while the listener is down (it reconnects after a second): nothing is remembered...
    expect((await use(key.key)).statusCode).toBe(200);
    // ...so a deletion nobody is told about is refused at once all the same.
    await sql`delete from api_keys where id = ${key.id}`.execute(t.app.database.db);
    expect((await use(key.key)).statusCode).toBe(401);
  });
});
