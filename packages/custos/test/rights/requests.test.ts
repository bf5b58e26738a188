// The rules around rights requests: who may ask, when an erasure is refused or cancelled, when an
// export's link stops working, and the register operators answer from (P-RIG-7).
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { ConfigError, loadConfig } from '../../src/core/config.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { EXPORTS_DIR_NAME } from '../../src/rights/index.ts';
import type { TestApp } from '../support/app.ts';
import { ENGINE, TEST_MIGRATIONS, asOwner } from '../support/database.ts';
import { addMember, signIn } from '../support/people.ts';
import { MovableClock, asBrowser, call, canary, checkManifest, createKey, signUp, startRightsApp, unzip, waitForExport, writeConversation } from './support.ts';

const clock = new MovableClock();
let t: TestApp;

beforeAll(async () => {
  t = await startRightsApp(clock);
});
afterAll(async () => {
  await t?.close();
});

/** A person who joined a colleague's workspace (the colleague owns it). */
async function joinedWorkspace(name: string, role: string) {
  const person = await signUp(t);
  const colleague = await signUp(t);
  const team = (await call(t, 'POST', '/v1/workspaces', asBrowser(t, colleague.cookie), { name })).json().id as string;
  await addMember(t, team, person, role);
  return { person, colleague, team };
}

describe(`rights requests on ${ENGINE}`, () => {
  it('P-RIG-1, P-RIG-2, P-RIG-3: a person’s own, by session only; an API key is refused', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    for (const [method, url] of [['GET', '/v1/me/data'], ['POST', '/v1/me/exports'], ['POST', '/v1/me/erasure']] as const) {
      const res = await call(t, method, url, { authorization: `Bearer ${key.key}` });
      expect({ url, status: res.statusCode, code: res.json().error.code }).toEqual({ url, status: 403, code: 'session_required' });
    }
    expect((await call(t, 'GET', '/v1/me/data', {})).statusCode).toBe(401);
  });

  it('P-RIG-3: erasure needs a recent sign-in, and is refused to the only owner of a shared workspace until ownership moves', async () => {
    const person = await signUp(t);
    await sql`update sessions set "createdAt" = now() - interval '10 minutes' where "userId" = ${person.personId}`.execute(t.app.database.db);
    const stale = await call(t, 'POST', '/v1/me/erasure', asBrowser(t, person.cookie));
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('recent_sign_in_required');

    const cookie = await signIn(t, person.email, person.password);
    const team = (await call(t, 'POST', '/v1/workspaces', asBrowser(t, cookie), { name: 'Team' })).json().id as string;
    const colleague = await signUp(t);
    await addMember(t, team, colleague, 'member');
    const refused = await call(t, 'POST', '/v1/me/erasure', asBrowser(t, cookie));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'sole_owner', details: { workspaceIds: [team] } });
    expect((await call(t, 'GET', '/v1/me', asBrowser(t, cookie))).statusCode).toBe(200); // nothing was revoked

    await sql`update memberships set role = 'owner' where "organizationId" = ${team} and "userId" = ${colleague.personId}`.execute(t.app.database.db);
    expect((await call(t, 'POST', '/v1/me/erasure', asBrowser(t, cookie))).statusCode).toBe(202);
  });

  it('P-RIG-3, P-RET-1: a scheduled erasure is cancelled by signing in again; the account and its data stay', async () => {
    const person = await signUp(t);
    const asked = await call(t, 'POST', '/v1/me/erasure', asBrowser(t, person.cookie));
    expect(asked.statusCode).toBe(202);
    // Asking twice answers with the one pending.
    let cookie = await signIn(t, person.email, person.password);
    const again = await call(t, 'POST', '/v1/me/erasure', asBrowser(t, cookie));
    expect(again.json().id).toBe(asked.json().id);
    // Asking again revoked that session too: one more sign-in to cancel.
    cookie = await signIn(t, person.email, person.password);
    expect((await call(t, 'GET', '/v1/me/erasure', asBrowser(t, cookie))).json()).toMatchObject({ id: asked.json().id, status: 'scheduled' });
    const cancelled = await call(t, 'DELETE', '/v1/me/erasure', asBrowser(t, cookie));
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    expect((await call(t, 'DELETE', '/v1/me/erasure', asBrowser(t, cookie))).statusCode).toBe(404);

    clock.advance(30 * 86_400);
    try {
      await t.app.rights.erasures.runDue();
      expect((await call(t, 'GET', '/v1/me', asBrowser(t, cookie))).statusCode).toBe(200);
      const register = await t.app.rights.requests.list();
      expect(register.find((r) => r.id === asked.json().id)).toMatchObject({ kind: 'erasure', status: 'cancelled' });
    } finally {
      clock.advance(-30 * 86_400);
    }
  });

  it('P-RIG-2: an export is its asker’s only, and its link stops working when it expires: the archive is deleted', async () => {
    const person = await signUp(t);
    const stranger = await signUp(t);
    const requested = (await call(t, 'POST', '/v1/me/exports', asBrowser(t, person.cookie))).json();
    const ready = await waitForExport(t, person, requested.id);
    expect(ready.status).toBe('ready');
    const archive = new URL(ready.downloadUrl!).pathname;
    expect((await call(t, 'GET', `/v1/me/exports/${requested.id}`, asBrowser(t, stranger.cookie))).statusCode).toBe(404);
    expect((await call(t, 'GET', archive, asBrowser(t, stranger.cookie))).statusCode).toBe(404);
    expect((await call(t, 'GET', archive, asBrowser(t, person.cookie))).statusCode).toBe(200);

    clock.advance(24 * 3600 + 60);
    try {
      const view = (await call(t, 'GET', `/v1/me/exports/${requested.id}`, asBrowser(t, person.cookie))).json();
      expect(view).toMatchObject({ status: 'expired', downloadUrl: null });
      expect((await call(t, 'GET', archive, asBrowser(t, person.cookie))).statusCode).toBe(404);
      const file = path.join(t.config.dataDir, EXPORTS_DIR_NAME, requested.id);
      expect(fs.existsSync(file)).toBe(true);
      await t.app.rights.sweep();
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      clock.advance(-(24 * 3600 + 60));
    }
  });

  it('P-RIG-7: the register lists every request with its due date for instance administrators; an overdue one warns in /readyz', async () => {
    const admin = await signUp(t);
    const person = await signUp(t);
    expect((await call(t, 'GET', '/v1/admin/requests', asBrowser(t, admin.cookie))).statusCode).toBe(403);
    // Granting is the schema owner's (custos admin grant); the embedded engine needs the app closed for it.
    await t.app.close();
    await asOwner(t.config, (owner) => sql`insert into instance_admins (person_id) values (${admin.personId})`.execute(owner.db));
    t.app = await createApp(t.config, { extraMigrationDirs: [TEST_MIGRATIONS], logDestination: t.logs, clock, jobPollingIntervalSeconds: 0.5 });
    await t.app.http.ready();

    // An erasure is open until it runs: 30 days on, it is overdue.
    const erasure = (await call(t, 'POST', '/v1/me/erasure', asBrowser(t, person.cookie))).json();
    await sql`update erasures set erase_after = erase_after + interval '60 days' where request_id = ${erasure.id}`.execute(t.app.database.db);
    expect((await call(t, 'GET', '/readyz', {})).json().warnings).toBeUndefined();
    clock.advance(31 * 86_400);
    try {
      const ready = await call(t, 'GET', '/readyz', {});
      expect(ready.statusCode).toBe(200);
      expect(ready.json().warnings.requests).toMatch(/overdue/);
      const adminCookie = await signIn(t, admin.email, admin.password);
      const overdue = await call(t, 'GET', '/v1/admin/requests?overdue=true', asBrowser(t, adminCookie));
      expect(overdue.statusCode, overdue.body).toBe(200);
      expect(overdue.json().items.map((r: { id: string }) => r.id)).toContain(erasure.id);
      expect(overdue.json().items.every((r: { overdue: boolean; status: string }) => r.overdue && r.status === 'open')).toBe(true);
      // Paged, newest first, with nothing but ids, kinds and times.
      const first = await call(t, 'GET', '/v1/admin/requests?limit=1', asBrowser(t, adminCookie));
      expect(first.json().items).toHaveLength(1);
      expect(Object.keys(first.json().items[0]).sort()).toEqual(['completedAt', 'dueAt', 'id', 'kind', 'overdue', 'personId', 'receivedAt', 'source', 'status']);
      const second = await call(t, 'GET', `/v1/admin/requests?limit=1&cursor=${first.json().nextCursor}`, asBrowser(t, adminCookie));
      expect(second.json().items[0].id).not.toBe(first.json().items[0].id);
      expect((await call(t, 'GET', '/v1/admin/requests?cursor=bogus', asBrowser(t, adminCookie))).statusCode).toBe(400);
      expect(t.logs.text()).not.toContain(person.email);
    } finally {
      clock.advance(-31 * 86_400);
    }
  });
  it('P-RIG-3: asking again revokes again what was made since; --now makes a scheduled erasure due; an export cannot start meanwhile', async () => {
    const person = await signUp(t);
    const asked = (await call(t, 'POST', '/v1/me/erasure', asBrowser(t, person.cookie))).json();
    const cookie = await signIn(t, person.email, person.password);
    const key = await createKey(t.app.http, asBrowser(t, cookie));
    const exporting = await call(t, 'POST', '/v1/me/exports', asBrowser(t, cookie));
    expect(exporting.statusCode).toBe(409);
    expect((await call(t, 'POST', '/v1/me/erasure', asBrowser(t, cookie))).json().id).toBe(asked.id);
    expect((await call(t, 'GET', '/v1/me', asBrowser(t, cookie))).statusCode).toBe(401);
    expect((await call(t, 'GET', '/v1/me', { authorization: `Bearer ${key.key}` })).statusCode).toBe(401);

    const now = await t.app.rights.erasures.request(person.personId, 'operator', { now: true });
    expect(now.id).toBe(asked.id);
    expect(await t.app.rights.erasures.run(asked.id)).toBe(true);
    expect((await t.app.rights.erasures.get(asked.id)).status).toBe('completed');
  });

  it('P-RIG-3, P-RIG-7: what the person makes while their erasure runs is erased too; their unfinished export is answered as cancelled', async () => {
    const person = await signUp(t);
    const exported = (await t.app.rights.exports.request(person.personId, 'api', { enqueue: false }));
    expect((await t.app.rights.exports.request(person.personId, 'api', { enqueue: false })).id).toBe(exported.id); // one at a time
    const erasure = await t.app.rights.erasures.request(person.personId, 'operator');
    // As if a run had started and died after revoking access: the person signs in and makes a workspace.
    await sql`update erasures set status = 'running', erase_after = now(), plan = ${JSON.stringify({ alone: [person.personalWorkspaceId], shared: [], done: ['access:0'] })}::jsonb where request_id = ${erasure.id}`.execute(t.app.database.db);
    const cookie = await signIn(t, person.email, person.password);
    const late = (await call(t, 'POST', '/v1/workspaces', asBrowser(t, cookie), { name: 'Late' })).json().id as string;
    expect((await call(t, 'POST', '/v1/conversations', asBrowser(t, cookie, { 'custos-workspace': late }), { title: 'late' })).statusCode).toBe(201);

    expect(await t.app.rights.erasures.run(erasure.id)).toBe(true);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from workspaces where id = ${late}`.execute(t.app.database.db);
    expect(rows[0]!.n).toBe(0);
    await expect(t.app.keys.keystore.secret(`tenant:${late}`, { create: false })).rejects.toMatchObject({ code: 'key_shredded' });
    const register = (await t.app.rights.requests.list()).filter((r) => r.personId === person.personId);
    expect(register.map((r) => [r.kind, r.status]).sort()).toEqual([['erasure', 'completed'], ['export', 'cancelled']]);
  });

  it('P-RIG-3: the two only members of a workspace erased at once: the one leaving last erases it, nothing is left without members', async () => {
    const { person: first, colleague: second, team } = await joinedWorkspace('Pair', 'owner');
    const teamBrowser = asBrowser(t, first.cookie, { 'custos-workspace': team });
    expect((await call(t, 'POST', '/v1/conversations', teamBrowser, { title: 'ours' })).statusCode).toBe(201);
    const db = t.app.database.db;
    // Both runs planned while both were members (two servers, or the CLI beside a server): each sees the workspace shared.
    const erasures: string[] = [];
    for (const person of [first, second]) {
      const erasure = await t.app.rights.erasures.request(person.personId, 'operator', { now: true });
      const plan = { alone: [person.personalWorkspaceId], shared: [{ workspaceId: team, pseudonym: crypto.randomUUID() }], done: [] };
      await sql`update erasures set status = 'running', plan = ${JSON.stringify(plan)}::jsonb where request_id = ${erasure.id}`.execute(db);
      erasures.push(erasure.id);
    }
    for (const id of erasures) expect(await t.app.rights.erasures.run(id)).toBe(true);
    const { rows } = await sql<{ workspaces: number; memberships: number }>`
      select (select count(*)::int from workspaces where id = ${team}) as workspaces, (select count(*)::int from memberships where "organizationId" = ${team}) as memberships`.execute(db);
    expect(rows[0]).toEqual({ workspaces: 0, memberships: 0 });
    await expect(t.app.keys.keystore.secret(`tenant:${team}`, { create: false })).rejects.toMatchObject({ code: 'key_shredded' });
  });

  it('P-RIG-3: a run resumed after its plan grew revokes access again, for the workspace it added too', async () => {
    const { person, team } = await joinedWorkspace('Joined late', 'admin');
    const erasure = await t.app.rights.erasures.request(person.personId, 'operator', { now: true });
    const cookie = await signIn(t, person.email, person.password);
    const added = await call(t, 'POST', '/v1/credentials', asBrowser(t, cookie, { 'custos-workspace': team }), { provider: 'generic', label: 'Added late', secret: 'added-late-secret-0123456789', baseUrl: 'https://provider.example/' });
    expect(added.statusCode, added.body).toBe(201);
    const credentialId = added.json().id as string;
    // As if a first round had revoked access for its plan (whatever its step was named), the team
    // had then been added to the plan, and the process had died before revoking again: the
    // credential the person added meanwhile is still there.
    const plan = { alone: [person.personalWorkspaceId], shared: [{ workspaceId: team, pseudonym: crypto.randomUUID() }], done: ['access:0', 'access:1'] };
    await sql`update erasures set status = 'running', plan = ${JSON.stringify(plan)}::jsonb where request_id = ${erasure.id}`.execute(t.app.database.db);
    expect(await t.app.rights.erasures.run(erasure.id)).toBe(true);
    const left = await withTenant(t.app.database.db, team, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from credentials where id = ${credentialId}`.execute(trx)).rows[0]!.n);
    expect(left).toBe(0);
    await expect(t.app.keys.keystore.secret(`credential:${credentialId}`, { create: false })).rejects.toMatchObject({ code: 'key_shredded' });
  });

  it('P-RIG-2, P-RIG-3: what a person wrote in a workspace they left is in their export, and under a pseudonym after their erasure', async () => {
    const { person, colleague, team } = await joinedWorkspace('Left behind', 'member');
    const inTeam = asBrowser(t, person.cookie, { 'custos-workspace': team });
    const written = canary('left-behind');
    const conversation = await writeConversation(t, inTeam, 'before leaving', [written]);
    expect((await call(t, 'POST', `/v1/workspaces/${team}/leave`, asBrowser(t, person.cookie))).statusCode).toBe(204);

    const requested = (await call(t, 'POST', '/v1/me/exports', asBrowser(t, person.cookie))).json();
    const ready = await waitForExport(t, person, requested.id);
    expect(ready.status).toBe('ready');
    const archive = await call(t, 'GET', new URL(ready.downloadUrl!).pathname, asBrowser(t, person.cookie));
    const files = await unzip(archive.rawPayload);
    checkManifest(files);
    expect(files.get('data/conversations.ndjson')!.toString('utf8')).toContain(written);

    const erasure = await t.app.rights.erasures.request(person.personId, 'operator', { now: true });
    expect(await t.app.rights.erasures.run(erasure.id)).toBe(true);
    const authors = await withTenant(t.app.database.db, team, async (trx) =>
      (await sql<{ created_by: string }>`select created_by from messages where conversation_id = ${conversation} union select created_by from conversations where id = ${conversation}`.execute(trx)).rows.map((row) => row.created_by));
    expect(authors.length).toBeGreaterThan(0);
    expect(authors).not.toContain(person.personId);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from former_memberships where person_id = ${person.personId}`.execute(t.app.database.db);
    expect(rows[0]!.n).toBe(0);
    // The colleague's workspace and what was written in it stay.
    expect((await call(t, 'GET', `/v1/conversations/${conversation}/messages`, asBrowser(t, colleague.cookie, { 'custos-workspace': team }))).json().items).toHaveLength(1);
  });

  it.runIf(ENGINE === 'postgres')('P-RIG-3: leaving waits for an erasure holding the workspace, instead of deadlocking with it', async () => {
    const { person: erased, colleague: leaving, team } = await joinedWorkspace('Two owners', 'owner');
    // A second connection does what an erasure's last step in this workspace does: the workspace
    // row first, then (after the leave has started) the erased person's membership.
    const erasure = new pg.Client({ connectionString: t.config.databaseUrl });
    await erasure.connect();
    try {
      await erasure.query('begin');
      await erasure.query('select id from workspaces where id = $1 for update', [team]);
      const left = call(t, 'POST', `/v1/workspaces/${team}/leave`, asBrowser(t, leaving.cookie));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await erasure.query('delete from memberships where "organizationId" = $1 and "userId" = $2', [team, erased.personId]);
      await erasure.query('commit');
      // The leave went on after the erasure: its person is now the last owner, so it is refused as such.
      const answer = await left;
      expect(answer.json().error?.code).toBe('sole_owner');
      expect(answer.statusCode).toBe(409);
    } finally {
      await erasure.end();
    }
  });

  it('P-RIG-2: a ready export whose archive went missing answers 404, not a broken download', async () => {
    const person = await signUp(t);
    const requested = (await call(t, 'POST', '/v1/me/exports', asBrowser(t, person.cookie))).json();
    expect((await waitForExport(t, person, requested.id)).status).toBe('ready');
    fs.rmSync(path.join(t.config.dataDir, EXPORTS_DIR_NAME, requested.id));
    const res = await call(t, 'GET', `/v1/me/exports/${requested.id}/archive`, asBrowser(t, person.cookie));
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('P-RIG-7: an erasure’s grace period must end before requests are due', () => {
    expect(() => loadConfig({ CUSTOS_ERASURE_GRACE_DAYS: '20', CUSTOS_REQUEST_DUE_DAYS: '14' })).toThrow(ConfigError);
    expect(() => loadConfig({ CUSTOS_ERASURE_GRACE_DAYS: '26' })).toThrow(ConfigError);
    expect(loadConfig({ CUSTOS_ERASURE_GRACE_DAYS: '0.5' }).rights.erasureGraceSeconds).toBe(43_200);
  });
});
