// P-ACC-6: acceptance of the policy, recorded with its version, time, IP and user agent (sealed
// under the person's own secret); a new version blocks every route but acceptance until accepted.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, migrate, type App } from '../../src/app.ts';
import { INSTANCE_CHAIN } from '../../src/audit/index.ts';
import { open, personDataKey } from '../../src/crypto/index.ts';
import { createTestDatabase, ENGINE, TEST_MIGRATIONS, type TestDatabase } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';
import { createKey, sessionCookieOf, type Person } from '../support/people.ts';

let testDb: TestDatabase;
let app: App;

async function start(policyVersion: string): Promise<void> {
  const config = { ...testDb.config, policyVersion };
  const infra = { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: new LogCapture() };
  await migrate(config, infra);
  app = await createApp(config, infra);
  await app.http.ready();
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  await start('2026-01');
});
afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

const origin = () => app.config.publicUrl.origin;

async function signUpFrom(ip: string, userAgent: string): Promise<Person> {
  const email = `terms-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const password = 'correct horse battery';
  const res = await app.http.inject({ method: 'POST', url: '/api/auth/sign-up/email', remoteAddress: ip, headers: { origin: origin(), 'user-agent': userAgent }, payload: { email, password } });
  expect(res.statusCode).toBe(200);
  const cookie = sessionCookieOf(res.headers['set-cookie']);
  const me = (await app.http.inject({ url: '/v1/me', headers: { cookie } })).json();
  return { email, password, cookie, personId: me.personId, personalWorkspaceId: me.workspaceId };
}

describe(`terms acceptance on ${ENGINE}`, () => {
  let person: Person;

  it('P-ACC-6: sign-up records acceptance of the current version with time, IP and user agent, sealed', async () => {
    const before = Date.now();
    person = await signUpFrom('203.0.113.7', 'TermsBrowser/1.0');
    const rows = await sql<{ policy_version: string; accepted_at: Date; client_sealed: Buffer }>`select policy_version, accepted_at, client_sealed from terms_acceptances where person_id = ${person.personId}`.execute(app.database.db);
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0]!;
    expect(row.policy_version).toBe('2026-01');
    expect(row.accepted_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    // Not in clear...
    expect(row.client_sealed.toString('latin1')).not.toContain('203.0.113.7');
    expect(row.client_sealed.toString('latin1')).not.toContain('TermsBrowser');
    // ...but there, under the person's own key.
    const key = await personDataKey(app.keys.keystore, person.personId, false);
    const opened = await open(() => key.key, { tenantId: INSTANCE_CHAIN, table: 'terms_acceptances', column: 'client_sealed', rowId: `${person.personId}:2026-01` }, row.client_sealed);
    expect(JSON.parse(opened.toString())).toEqual({ ip: '203.0.113.7', userAgent: 'TermsBrowser/1.0' });
    const status = await app.http.inject({ url: '/v1/me/terms', headers: { cookie: person.cookie } });
    expect(status.json()).toMatchObject({ currentVersion: '2026-01', accepted: true });
  });

  it('P-ACC-6: after a new policy version, every route but acceptance answers terms_not_accepted until accepted', async () => {
    const key = await createKey(app.http, { cookie: person.cookie, origin: origin() });
    await app.close();
    await start('2026-02');
    const signedIn = await app.http.inject({ method: 'POST', url: '/api/auth/sign-in/email', headers: { origin: origin() }, payload: { email: person.email, password: person.password } });
    const cookie = sessionCookieOf(signedIn.headers['set-cookie']);
    for (const headers of [{ cookie }, { authorization: `Bearer ${key.key}` }]) {
      const res = await app.http.inject({ url: '/v1/workspaces', headers });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('terms_not_accepted');
    }
    const status = await app.http.inject({ url: '/v1/me/terms', headers: { cookie } });
    expect(status.json()).toMatchObject({ currentVersion: '2026-02', accepted: false, acceptedAt: null });
    const stale = await app.http.inject({ method: 'POST', url: '/v1/me/terms', headers: { cookie, origin: origin() }, payload: { version: '2026-01' } });
    expect(stale.statusCode).toBe(409);
    const accept = await app.http.inject({ method: 'POST', url: '/v1/me/terms', remoteAddress: '203.0.113.8', headers: { cookie, origin: origin(), 'user-agent': 'TermsBrowser/2.0' }, payload: { version: '2026-02' } });
    expect(accept.statusCode).toBe(200);
    expect(accept.json()).toMatchObject({ accepted: true });
    expect((await app.http.inject({ url: '/v1/workspaces', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.http.inject({ url: '/v1/workspaces', headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(200);
    const versions = await sql<{ policy_version: string }>`select policy_version from terms_acceptances where person_id = ${person.personId} order by accepted_at`.execute(app.database.db);
    expect(versions.rows.map((r) => r.policy_version)).toEqual(['2026-01', '2026-02']);
  });
});
