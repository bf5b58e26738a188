// custos verify against a real deployment: green when every promise holds, and each promise broken
// on purpose turns its own row red (a verify that cannot fail proves nothing). The breaks are made
// as the schema owner, past everything the runtime could do, as an attacker or a careless
// migration would: a table without forced RLS, plaintext in a sealed column, a proxy that weakens
// the cookie, a row kept past its retention, an edited audit entry, an undeclared SMTP host.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Config } from '../../src/core/config.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { changeInstanceAdmin } from '../../src/operator.ts';
import { runVerify, type Report } from '../../src/verify/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { asBrowser, call, createKey, signUp } from '../support/people.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A deployment as an operator runs it: custos's own tables only, and a person with some of everything. */
async function deployment(config: Partial<Config> = {}): Promise<TestApp> {
  t = await startTestApp({ infra: { extraMigrationDirs: [] }, config });
  const person = await signUp(t, { name: 'Ada' });
  const browser = asBrowser(t, person.cookie);
  const conversation = (await call(t, 'POST', '/v1/conversations', { ...browser, 'idempotency-key': 'first-conversation' }, { title: 'Plans' })).json().id;
  await call(t, 'POST', `/v1/conversations/${conversation}/messages`, browser, { messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: { text: 'hi' } }] });
  const credential = (await call(t, 'POST', '/v1/credentials', browser, { provider: 'generic', label: 'ops', secret: 'sk-live-0123456789abcdef', baseUrl: 'https://provider.example/' })).json().id;
  await call(t, 'POST', '/v1/actions', browser, { credentialId: credential, summary: 'list things', operation: { method: 'GET', url: 'https://provider.example/v1/things' } });
  await createKey(t.app.http, browser);
  return t;
}

/** Makes `statements` as the schema owner: on the embedded engine the app stops meanwhile. */
async function asOwner(statements: string[]): Promise<void> {
  await t!.app.close();
  const owner = await openDatabase(t!.config, 'owner');
  try {
    for (const statement of statements) await sql.raw(statement).execute(owner.db);
  } finally {
    await owner.close();
  }
  t!.app = await createApp(t!.config, { logDestination: t!.logs });
  await t!.app.http.ready();
}

const row = (report: Report, id: string) => report.rows.find((r) => r.id === id)!;
const failed = (report: Report) => report.rows.filter((r) => r.result === 'fail').map((r) => r.id);

describe(`custos verify on ${ENGINE}`, () => {
  it('P-TEN-1, P-ENC-1, P-COO-1, P-AUD-1: a deployment that keeps its promises verifies green, and the report is published', async () => {
    await deployment();
    const report = await runVerify(t!.app);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(row(report, 'sealed').evidence).toMatch(/^[1-9]\d* sampled values \(in 3 of 3 tenants\) opened .*; the probe's own \(conversations.title, messages.content, credentials.secret, credentials.label_sealed\) among them$/);
    expect(row(report, 'cookie').evidence).toMatch(/custos_session \(.*httponly.*samesite/);
    expect(row(report, 'tls').result).toBe('warn');
    expect(row(report, 'logs').result).toBe('pass');
    // The probe is gone: erased as anyone who asks is.
    expect((await sql<{ n: number }>`select count(*)::int as n from people where email like '%@verify.invalid'`.execute(t!.app.database.db)).rows[0]!.n).toBe(0);
    const page = await t!.app.http.inject({ url: '/privacy/verification' });
    expect(page.body).toContain('id="rls"');
    expect((await t!.app.http.inject({ url: '/privacy' })).body).toMatch(/Verified less than a minute ago: every check holds/);
  });

  it('P-TEN-1: a tenant table without forced row-level security turns the rls row red', async () => {
    await deployment();
    await asOwner(['alter table messages no force row level security']);
    const report = await runVerify(t!.app);
    expect(failed(report)).toContain('rls');
    expect(row(report, 'rls').evidence).toMatch(/messages/);
  });

  it('P-ENC-1: a plaintext value in a sealed column turns the sealed row red', async () => {
    await deployment();
    await asOwner([`update messages set content = convert_to('written around the sealer', 'UTF8') where seq = (select min(seq) from messages)`]);
    const report = await runVerify(t!.app);
    expect(failed(report)).toEqual(['sealed']);
    expect(row(report, 'sealed').evidence).toMatch(/messages\.content in workspace [0-9a-f-]{36} \(sealed_data_invalid\)/);
  });

  it('P-COO-1: a proxy that sets the session cookie without SameSite=Strict turns the cookie row red', async () => {
    await deployment();
    await t!.app.http.listen({ port: 0, host: '127.0.0.1' });
    const upstream = (t!.app.http.server.address() as AddressInfo).port;
    const proxy = http.createServer((incoming, outgoing) => {
      const forwarded = http.request({ host: '127.0.0.1', port: upstream, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
        const cookies = answer.headers['set-cookie']?.map((c) => c.replace(/SameSite=Strict/i, 'SameSite=Lax'));
        outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...(cookies ? { 'set-cookie': cookies } : {}) });
        answer.pipe(outgoing);
      });
      incoming.pipe(forwarded);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const report = await runVerify(t!.app, { url: new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`) });
      expect(failed(report)).toEqual(['cookie']);
      expect(row(report, 'cookie').evidence).toMatch(/custos_session has SameSite=Lax, the policy says Strict/);
      // Over the network, the deployment's own log was not given: the canary row says so.
      expect(row(report, 'logs').result).toBe('warn');
    } finally {
      proxy.close();
    }
  });

  it('P-RET-1: a row kept past its category\'s retention turns the retention row red', async () => {
    await deployment();
    // Operations (request replay) is kept 30 days by the policy.
    await asOwner([`update idempotency_keys set created_at = now() - interval '40 days'`]);
    const report = await runVerify(t!.app);
    expect(failed(report)).toEqual(['retention']);
    expect(row(report, 'retention').evidence).toMatch(/idempotency_keys: 1 rows older than operations's 30 days/);
  });

  it('P-AUD-1: an audit entry edited in the database turns the audit row red', async () => {
    await deployment();
    await asOwner([
      'alter table audit_entries disable trigger audit_entries_append_only',
      `update audit_entries set action = 'nothing.happened' where seq = 2`,
      'alter table audit_entries enable trigger audit_entries_append_only',
    ]);
    const report = await runVerify(t!.app);
    expect(failed(report)).toEqual(['audit']);
    expect(row(report, 'audit').evidence).toMatch(/entry 2 does not match its hash/);
  });

  it('P-COM-3: an SMTP host that is no published subprocessor turns the subprocessors row red', async () => {
    await deployment({ mail: { transport: 'smtp', smtpUrl: 'smtp://mail.undeclared.example:2525', from: 'custos <no-reply@example.com>' } });
    const report = await runVerify(t!.app);
    expect(failed(report)).toEqual(['subprocessors']);
    expect(row(report, 'subprocessors').evidence).toMatch(/mail\.undeclared\.example, the SMTP server/);
  });

  it('GET /v1/admin/verify serves the same report to an instance administrator only', async () => {
    await deployment();
    const admin = await signUp(t!);
    const stranger = await signUp(t!);
    expect((await call(t!, 'GET', '/v1/admin/verify', asBrowser(t!, stranger.cookie))).statusCode).toBe(403);
    await t!.app.close();
    await changeInstanceAdmin(t!.config, admin.email, true);
    t!.app = await createApp(t!.config, { logDestination: t!.logs });
    await t!.app.http.ready();
    const answer = await call(t!, 'GET', '/v1/admin/verify', asBrowser(t!, admin.cookie));
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ ok: true });
    expect(answer.json().rows.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(['rls', 'sealed', 'cookie', 'retention', 'audit', 'subprocessors', 'logs']));
  });
});
