// The whole of a person's data, planted as canaries of every kind that exists, is in their export
// and then, once their erasure's grace period has run out, nowhere: no table, no job row, no log
// line, no file; the ciphertext a backup taken before still holds opens nothing; the other member
// of a shared workspace keeps their data and the pseudonymised rest; every audit chain verifies.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_CHAIN } from '../../src/audit/index.ts';
import { DEFAULT_MAIL_FROM } from '../../src/core/config.ts';
import { open, personKey, type SealContext } from '../../src/crypto/index.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { EXPORTS_DIR_NAME } from '../../src/rights/index.ts';
import type { TestApp } from '../support/app.ts';
import { verifyAudit } from '../support/audit.ts';
import { ENGINE } from '../support/database.ts';
import { dumpTexts } from '../support/dump.ts';
import { addMember, signIn } from '../support/people.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { MovableClock, asBrowser, call, canary, checkManifest, createKey, ingestSpan, signUp, startRightsApp, unzip, waitForExport, writeConversation } from './support.ts';

const clock = new MovableClock();
let t: TestApp;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startRightsApp(clock, { mail: { transport: 'smtp', smtpUrl: smtp.url, from: DEFAULT_MAIL_FROM } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** Waits until the SMTP server has received a mail with this subject for the address. */
async function mailed(address: string, subject: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!smtp.received.some((m) => m.recipients.includes(address) && m.parsed.subject === subject)) {
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" arrived`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function outboxDrained(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from mail_outbox`.execute(t.app.database.db);
    if (rows[0]!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the outbox did not drain');
}

describe(`a person's data, exported then erased, on ${ENGINE}`, () => {
  it('P-RIG-1, P-RIG-2, P-RIG-3, P-RET-1, P-RET-2, P-RET-5, P-ENC-1: every canary is in the export, then in no table, job row, log line or file; old ciphertext opens nothing; the shared workspace keeps the rest; chains verify', async () => {
    const planted = {
      name: canary('name'), userAgent: canary('ua'), title: canary('title'), message: canary('message'), span: canary('span'),
      label: canary('label'), summary: canary('summary'), shared: canary('shared'),
    };
    const secret = `${canary('secret')}-provider-key`;
    const otherMessage = canary('other');

    // The subject: an account, a sign-in from a planted user agent, their own workspace's data.
    const subject = await signUp(t, { name: planted.name });
    const cookie = await signIn(t, subject.email, subject.password, { 'user-agent': planted.userAgent });
    const own = asBrowser(t, cookie);
    await writeConversation(t, own, planted.title, [planted.message, 'a second message']);
    const key = await createKey(t.app.http, own, ['read', 'write']);
    await ingestSpan(t, key.key, planted.span);
    const credential = await call(t, 'POST', '/v1/credentials', own, { provider: 'generic', label: planted.label, secret, baseUrl: 'https://provider.example/' });
    expect(credential.statusCode, credential.body).toBe(201);
    const action = await call(t, 'POST', '/v1/actions', { authorization: `Bearer ${key.key}` }, { credentialId: credential.json().id, summary: planted.summary, operation: { method: 'POST', url: 'https://provider.example/run', body: {} } });
    expect(action.statusCode, action.body).toBe(201);

    // A workspace shared with another person: each writes there.
    const other = await signUp(t);
    const shared = await call(t, 'POST', '/v1/workspaces', asBrowser(t, other.cookie), { name: 'Team' });
    const teamId = shared.json().id as string;
    await addMember(t, teamId, subject, 'member');
    // An event about the subject that someone else made: theirs to see too (P-RIG-1).
    const promoted = await call(t, 'PATCH', `/v1/workspaces/${teamId}/members/${subject.personId}`, asBrowser(t, other.cookie), { role: 'admin' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    const sharedConversation = await writeConversation(t, asBrowser(t, cookie, { 'custos-workspace': teamId }), 'team chat', [planted.shared]);
    const otherConversation = await writeConversation(t, asBrowser(t, other.cookie, { 'custos-workspace': teamId }), 'their chat', [otherMessage]);

    // P-RIG-1: what we hold, category by category.
    const held = await call(t, 'GET', '/v1/me/data', own);
    expect(held.statusCode, held.body).toBe(200);
    const categories = Object.fromEntries((held.json().categories as Array<{ category: string; count: number }>).map((c) => [c.category, c]));
    for (const category of ['account', 'sessions', 'workspaces', 'api_keys', 'consents', 'audit', 'conversations', 'traces', 'credentials', 'workflow_logs']) {
      expect(categories[category]?.count ?? 0, category).toBeGreaterThan(0);
    }
    expect(categories.conversations).toMatchObject({ count: 5 }); // 2 conversations, 3 messages: the other's are the team's

    // P-RIG-2: the export holds every canary, decrypted, and no secret.
    const requested = await call(t, 'POST', '/v1/me/exports', own);
    expect(requested.statusCode, requested.body).toBe(202);
    const ready = await waitForExport(t, { ...subject, cookie }, requested.json().id);
    expect(ready).toMatchObject({ status: 'ready', progress: 1 });
    const download = await call(t, 'GET', new URL(ready.downloadUrl!).pathname, own);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/zip');
    const files = await unzip(download.rawPayload);
    const manifest = checkManifest(files);
    expect(manifest.categories.map((c) => c.category)).toEqual(expect.arrayContaining(['account', 'conversations', 'traces', 'credentials', 'workflow_logs', 'audit', 'consents']));
    const everything = [...files.values()].map((bytes) => bytes.toString('utf8')).join('\n');
    for (const [kind, value] of Object.entries(planted)) expect(everything.includes(value), kind).toBe(true);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(otherMessage);
    const audit = files.get('data/audit.ndjson')!.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { workspaceId: string; row: { action: string; actor_id: string; client_sealed: unknown } });
    const aboutThem = audit.find((line) => line.workspaceId === teamId && line.row.action === 'member.role_changed');
    expect(aboutThem?.row).toMatchObject({ actor_id: other.personId, client_sealed: null }); // the actor's own client details stay theirs
    // The archive at rest is sealed: the planted content is not in its file.
    const stored = fs.readFileSync(path.join(t.config.dataDir, EXPORTS_DIR_NAME, requested.json().id));
    expect(stored.includes(Buffer.from(planted.message))).toBe(false);

    // What a backup taken now holds: sealed values of the person's own workspace and under their key.
    const backup: Array<{ tenant: string | null; ctx: SealContext; sealed: Buffer }> = [];
    await withTenant(t.app.database.db, subject.personalWorkspaceId, async (trx) => {
      const { rows } = await sql<{ id: string; content: Buffer }>`select id, content from messages`.execute(trx);
      for (const row of rows) backup.push({ tenant: subject.personalWorkspaceId, ctx: { tenantId: subject.personalWorkspaceId, table: 'messages', column: 'content', rowId: row.id }, sealed: row.content });
    });
    await withTenant(t.app.database.db, INSTANCE_CHAIN, async (trx) => {
      const { rows } = await sql<{ seq: string; client_sealed: Buffer }>`select seq, client_sealed from audit_entries where actor_id = ${subject.personId} and client_sealed is not null`.execute(trx);
      for (const row of rows) backup.push({ tenant: null, ctx: { tenantId: INSTANCE_CHAIN, table: 'audit_entries', column: 'client_sealed', rowId: String(row.seq) }, sealed: row.client_sealed });
    });
    expect(backup.filter((b) => b.tenant === null).length).toBeGreaterThan(0);
    expect(backup.filter((b) => b.tenant !== null).length).toBe(2);

    // P-RIG-3: erasure asked for; sessions, keys and credentials go at once.
    const erasure = await call(t, 'POST', '/v1/me/erasure', own);
    expect(erasure.statusCode, erasure.body).toBe(202);
    expect(erasure.json()).toMatchObject({ status: 'scheduled' });
    expect((await call(t, 'GET', '/v1/me', own)).statusCode).toBe(401);
    expect((await call(t, 'GET', '/v1/me', { authorization: `Bearer ${key.key}` })).statusCode).toBe(401);
    const credentialsLeft = await withTenant(t.app.database.db, subject.personalWorkspaceId, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from credentials`.execute(trx)).rows[0]!.n);
    expect(credentialsLeft).toBe(0);
    await expect(t.app.keys.keystore.secret(`credential:${credential.json().id}`, { create: false })).rejects.toMatchObject({ code: 'key_shredded' });
    // Not before the grace period is over.
    expect(await t.app.rights.erasures.runDue()).toBe(0);
    await mailed(subject.email, 'Your account will be erased');

    clock.advance(7 * 86_400 + 60);
    expect(await t.app.rights.erasures.runDue()).toBe(1);
    await mailed(subject.email, 'Your account has been erased');
    await outboxDrained();

    // The backup's ciphertext opens nothing: the workspace's and the person's secrets are gone.
    for (const item of backup) {
      const opening = item.tenant
        ? withTenant(t.app.database.db, item.tenant, (trx) => t.app.keys.sealer.open(trx as never, item.ctx, item.sealed))
        : personKey(t.app.keys.keystore, subject.personId, false).then((k) => open(() => k, item.ctx, item.sealed));
      await expect(opening).rejects.toMatchObject({ code: 'key_shredded' });
    }

    // The shared workspace: the other member's data untouched, the subject's under a pseudonym.
    const theirs = await call(t, 'GET', `/v1/conversations/${otherConversation}/messages`, asBrowser(t, other.cookie, { 'custos-workspace': teamId }));
    expect(theirs.json().items.map((m: { content: unknown }) => m.content)).toEqual([otherMessage]);
    const kept = await call(t, 'GET', `/v1/conversations/${sharedConversation}/messages`, asBrowser(t, other.cookie, { 'custos-workspace': teamId }));
    expect(kept.json().items.map((m: { content: unknown }) => m.content)).toEqual([planted.shared]);
    const authors = await withTenant(t.app.database.db, teamId, async (trx) => (await sql<{ created_by: string }>`select distinct created_by from messages`.execute(trx)).rows.map((r) => r.created_by));
    expect(authors).toHaveLength(2);
    expect(authors).toContain(other.personId);
    expect(authors).not.toContain(subject.personId);
    const members = await call(t, 'GET', `/v1/workspaces/${teamId}/members`, asBrowser(t, other.cookie));
    expect(members.json().items.map((m: { personId: string }) => m.personId)).toEqual([other.personId]);

    // P-AUD-1: every chain still verifies.
    for (const chain of [INSTANCE_CHAIN, subject.personalWorkspaceId, teamId, other.personalWorkspaceId]) expect(await verifyAudit(t, chain), chain).toBeNull();

    // P-RIG-7: the register answered all three kinds of request.
    const register = await t.app.rights.requests.list();
    const answered = register.filter((r) => r.personId === subject.personId);
    expect(answered.map((r) => [r.kind, r.status]).sort()).toEqual([['access', 'completed'], ['erasure', 'completed'], ['export', 'completed']]);

    // Nothing left: no file, no row, no job, no log line holds any canary or the address.
    expect(fs.readdirSync(path.join(t.config.dataDir, EXPORTS_DIR_NAME))).toEqual([]);
    await t.app.close();
    const texts: Record<string, string> = { log: t.logs.text(), ...(await dumpTexts(t.config)) };
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(texts)) {
      for (const value of [...Object.values(planted), secret, subject.email]) if (text.includes(value)) leaks.push(`${where}: ${value.slice(0, 20)}`);
    }
    expect(leaks).toEqual([]);
    expect(Object.keys(texts).some((name) => name.startsWith('custos_jobs.'))).toBe(true);
  }, 120_000);
});
