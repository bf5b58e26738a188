// P-AUD-1 for identity: sign-up, sign-in, sign-out, sessions, keys, workspaces and roles are in the
// audit trail (the person's events on the instance chain, a workspace's on its own), and the chains verify.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_CHAIN } from '../../src/audit/index.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { auditActions, verifyAudit } from '../support/audit.ts';
import { ENGINE } from '../support/database.ts';
import { addMember, asBrowser, createKey, signIn, signUp } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const actions = (chain: string, actor?: string) => auditActions(t, chain, actor);
const verify = (chain: string) => verifyAudit(t, chain);

describe(`identity events in the audit trail on ${ENGINE}`, () => {
  it('P-AUD-1: a person\'s sign-up, sign-in, sessions and sign-out are on the instance chain', async () => {
    const person = await signUp(t);
    const other = await signIn(t, person.email, person.password);
    const otherId = (await t.app.http.inject({ url: '/v1/me/sessions', headers: { cookie: other } })).json().items.find((s: { current: boolean }) => s.current).id;
    await t.app.http.inject({ method: 'DELETE', url: `/v1/me/sessions/${otherId}`, headers: asBrowser(t, person.cookie) });
    await t.app.http.inject({ method: 'POST', url: '/api/auth/sign-out', headers: asBrowser(t, person.cookie) });
    const recorded = await actions(INSTANCE_CHAIN, person.personId);
    expect(recorded).toEqual(expect.arrayContaining(['person.signed_up', 'session.created', 'terms.accepted', 'person.verification_sent', 'session.revoked', 'session.ended']));
    expect(recorded.filter((a) => a === 'session.created')).toHaveLength(2);
    expect(await verify(INSTANCE_CHAIN)).toBeNull();
    // Ids only: the address is nowhere in the chain.
    const text = await withTenant(t.app.database.db, INSTANCE_CHAIN, async (trx) => JSON.stringify((await sql`select * from audit_entries`.execute(trx)).rows));
    expect(text).not.toContain(person.email);
  });

  it('P-AUD-1: workspace creation, renaming, role changes and key creation and revocation are on the workspace chain', async () => {
    const owner = await signUp(t);
    const member = await signUp(t);
    const created = await t.app.http.inject({ method: 'POST', url: '/v1/workspaces', headers: asBrowser(t, owner.cookie), payload: { name: 'Audited' } });
    const id = created.json().id as string;
    const inWs = asBrowser(t, owner.cookie, { 'custos-workspace': id });
    await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}`, headers: inWs, payload: { name: 'Audited 2' } });
    await addMember(t, id, member, 'member');
    await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}/members/${member.personId}`, headers: inWs, payload: { role: 'viewer' } });
    const key = await createKey(t.app.http, inWs);
    await t.app.http.inject({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: inWs });
    expect(await actions(id)).toEqual(['workspace.created', 'workspace.renamed', 'member.role_changed', 'api_key.created', 'api_key.revoked']);
    expect(await verify(id)).toBeNull();
    // The actor's client (IP, user agent) is sealed, never in clear.
    const rows = await withTenant(t.app.database.db, id, async (trx) => (await sql<{ client_sealed: Buffer | null; details: unknown }>`select client_sealed, details from audit_entries`.execute(trx)).rows);
    expect(rows.every((r) => r.client_sealed !== null)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('198.51.100.');
  });
});
