// Provider credentials (P-ENC-3, P-LOG-1): sealed before they are written, never in a response, a
// table, a log line, an error body or an exception's message, even when the provider echoes them;
// opened only by useSecret(), each use audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.ts';
import { auditRows } from '../support/audit.ts';
import { Canaries } from '../support/canary.ts';
import { ENGINE } from '../support/database.ts';
import { dumpTexts } from '../support/dump.ts';
import type { ProviderPeer } from '../support/provider-peer.ts';
import { addCredential, agent, approve, call, personIn, propose, closeVaultSetup, startVaultSetup, team, type Team } from './support.ts';

let peer: ProviderPeer;
let t: TestApp;
let crew: Team;

beforeAll(async () => {
  ({ peer, t, crew } = await startVaultSetup());
});
afterAll(async () => closeVaultSetup({ t, peer }));

describe(`credentials on ${ENGINE}`, () => {
  it('P-ENC-3: only an admin signed in adds a credential; responses show provider, label and last four, never the secret', async () => {
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
    const input = { provider: 'openai', label: 'Production', secret };
    const byKey = await call(t, 'POST', '/v1/credentials', agent(crew), input);
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json().error.code).toBe('session_required');
    const byMember = await call(t, 'POST', '/v1/credentials', personIn(t, crew, crew.member), input);
    expect(byMember.statusCode).toBe(403);
    expect(byMember.json().error.code).toBe('forbidden');

    const created = await call(t, 'POST', '/v1/credentials', personIn(t, crew, crew.owner), input);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'openai', label: 'Production', lastFour: '0123', baseUrl: null, lastUsedAt: null, createdBy: crew.owner.personId });
    const listed = await call(t, 'GET', '/v1/credentials', agent(crew));
    expect(listed.json().items.map((c: { id: string }) => c.id)).toContain(created.json().id);
    for (const body of [created.body, listed.body, (await call(t, 'GET', `/v1/credentials/${created.json().id}`, agent(crew))).body]) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain('abcdefghij');
    }
    // A short secret shows none of itself.
    const short = await call(t, 'POST', '/v1/credentials', personIn(t, crew, crew.owner), { provider: 'vercel', label: 'Short', secret: 'shortkey12' });
    expect(short.json().lastFour).toBe('');
  });

  it('P-ENC-3: bad credentials are clear 400s that do not echo the secret', async () => {
    const owner = personIn(t, crew, crew.owner);
    const cases = [
      { provider: 'nope', label: 'x', secret: 'canary-bad-provider-secret' },
      { provider: 'generic', label: 'x', secret: 'canary-no-base-url-secret' },
      { provider: 'generic', label: 'x', secret: 'canary-http-base-secret', baseUrl: 'http://example.com/' },
      { provider: 'openai', label: 'x', secret: 'canary-foreign-host-secret', baseUrl: 'https://evil.example/v1' },
      { provider: 'openai', label: 'x', secret: 'canary-line\r\nbreak-secret' },
      { provider: 'openai', label: 'x', secret: 'canary-extra-field-secret', scope: 'all' },
    ];
    for (const input of cases) {
      const res = await call(t, 'POST', '/v1/credentials', owner, input);
      expect(res.statusCode, JSON.stringify(input)).toBe(400);
      expect(res.body).not.toContain('canary-');
    }
  });

  it('P-ENC-3: useSecret opens the secret for fn only, audits each use, and scrubs what fn throws', async () => {
    const secret = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
    const credentialId = await addCredential(t, crew, { provider: 'github', label: 'Bot', secret });
    const use = { workspaceId: crew.workspaceId, personId: crew.member.personId, execution: crypto.randomUUID() };
    const seen = await t.app.vault.secrets.useSecret(use, credentialId, 'test.read', async (opened) => {
      expect(opened.provider.name).toBe('github');
      return opened.value.length;
    });
    expect(seen).toBe(secret.length);
    const thrown = await t.app.vault.secrets.useSecret(use, credentialId, 'test.throw', async (opened) => {
      throw new Error(`GitHub said: bad credentials ${opened.value}`, { cause: new Error(`token=${encodeURIComponent(opened.value)}`) });
    }).catch((err: Error) => err);
    expect(thrown).toBeInstanceOf(Error);
    expect(`${(thrown as Error).message} ${(thrown as Error).stack} ${((thrown as Error).cause as Error).message}`).not.toContain(secret);
    expect((thrown as Error).message).toBe('GitHub said: bad credentials [REDACTED]');
    const uses = (await auditRows(t, crew.workspaceId)).filter((row) => row.action === 'credential.used' && row.target_id === credentialId);
    expect(uses.map((row) => row.details)).toEqual([
      { purpose: 'test.read', execution: use.execution, provider: 'github' },
      { purpose: 'test.throw', execution: use.execution, provider: 'github' },
    ]);
    expect(uses.every((row) => row.actor_id === crew.member.personId)).toBe(true);
    const viewed = (await call(t, 'GET', `/v1/credentials/${credentialId}`, agent(crew))).json();
    expect(viewed.lastUsedAt).not.toBeNull();
    await expect(t.app.vault.secrets.useSecret({ ...use, workspaceId: (await team(t)).workspaceId }, credentialId, 'test.other', async () => 1))
      .rejects.toMatchObject({ code: 'credential_missing' });
  });
  it('P-ENC-3, P-LOG-1 (last: closes the app): a secret the provider echoes is in no response, table, log line or workflow log', async () => {
    const canaries = new Canaries();
    const secret = `sk-ant-${canaries.plant('anthropic key')}${canaries.plant('more of it')}`;
    const credentialId = await addCredential(t, crew, { provider: 'generic', label: 'Echoing', secret, baseUrl: `${peer.origin}/echo/` });
    // A careless provider: the key it was sent comes back in a header, the body and an error.
    peer.answer((request, response) => {
      const key = String(request.headers.authorization ?? '');
      response.writeHead(request.url.includes('fail') ? 401 : 200, { 'x-debug-key': key, 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `invalid key ${key}`, base64: Buffer.from(key.slice(7)).toString('base64'), other: 'sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA' }));
    });
    try {
      const bodies: string[] = [];
      for (const path of ['ok', 'fail']) {
        const action = await propose(t, crew, credentialId, { method: 'GET', url: `${peer.origin}/echo/${path}` });
        const approved = await approve(t, crew, action);
        bodies.push(approved.body, (await call(t, 'GET', `/v1/actions/${action.id}`, agent(crew))).body);
      }
      expect(peer.received.filter((r) => r.url.startsWith('/echo/')).map((r) => r.headers.authorization)).toEqual([`Bearer ${secret}`, `Bearer ${secret}`]);
      const failed = JSON.parse(bodies[3]!);
      expect(failed).toMatchObject({ status: 'failed', reason: 'provider_error', responseStatus: 401 });
      expect(failed.execution.response.headers['x-debug-key']).toBe('Bearer [REDACTED]');
      expect(JSON.parse(failed.execution.response.body)).toEqual({ error: 'invalid key Bearer [REDACTED]', base64: '[REDACTED]', other: '[REDACTED]' });

      // Last in this file: the embedded engine lets the dump in once the app has closed.
      await t.app.close();
      const texts: Record<string, string> = { responses: bodies.join('\n'), log: t.logs.text(), ...(await dumpTexts(t.config)) };
      expect(texts['public.credentials (bytes)']!.length).toBeGreaterThan(0);
      expect(canaries.leaks(texts)).toEqual([]);
      expect(texts.responses).toContain('[REDACTED]');
    } finally {
      peer.answer((_request, response) => response.writeHead(200).end('{}'));
    }
  });

});
