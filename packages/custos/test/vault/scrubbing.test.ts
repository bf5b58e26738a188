// The ways a provider's echo of the key could get past the scrubber into a workflow log an agent
// can read (P-ENC-3): compressed, escaped as JSON, PHP or Go write it, cut by the size limit; and
// what code inside useSecret() throws. Each case was once a leak found by review.
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import { MAX_RESPONSE_BYTES } from '../../src/vault/index.ts';
import { MIN_FRAGMENT } from '../../src/vault/scrub.ts';
import type { TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import type { PeerHandler, ProviderPeer } from '../support/provider-peer.ts';
import { addCredential, agent, approve, call, propose, closeVaultSetup, startVaultSetup, type Team } from './support.ts';

let peer: ProviderPeer;
let t: TestApp;
let crew: Team;

beforeAll(async () => {
  ({ peer, t, crew } = await startVaultSetup());
});
afterAll(async () => closeVaultSetup({ t, peer }));

/** Runs one approved GET against the peer answering with `handler`; returns the stored log's response. */
async function echoed(secret: string, handler: PeerHandler, headers: Record<string, string> = {}) {
  const credentialId = await addCredential(t, crew, { provider: 'generic', label: 'Echo', secret, baseUrl: `${peer.origin}/` });
  peer.answer(handler);
  try {
    const action = await propose(t, crew, credentialId, { method: 'GET', url: `${peer.origin}/echo`, headers });
    await approve(t, crew, action);
    const read = await call(t, 'GET', `/v1/actions/${action.id}`, agent(crew));
    return { body: read.body, response: read.json().execution.response as { body: string; bodyEncoding: string; truncated: boolean; headers: Record<string, string> } };
  } finally {
    peer.answer((_request, response) => response.writeHead(200).end('{}'));
  }
}

const keyOf = (request: { headers: Record<string, unknown> }) => String(request.headers.authorization).slice('Bearer '.length);

describe(`scrubbing of provider echoes on ${ENGINE}`, () => {
  it('P-ENC-3: custos asks for an uncompressed answer; a compressed one is not kept, and an agent cannot ask for one', async () => {
    const secret = 'zz-gzip-secret-0123456789';
    const { body, response } = await echoed(secret, (request, res) => {
      expect(request.headers['accept-encoding']).toBe('identity');
      res.writeHead(401, { 'content-encoding': 'gzip' }).end(zlib.gzipSync(`bad key ${keyOf(request)}`));
    });
    expect(response.body).toBe('');
    expect(body).not.toContain(secret.slice(0, MIN_FRAGMENT));
    const credentialId = (await call(t, 'GET', '/v1/credentials', agent(crew))).json().items[0].id;
    for (const header of ['Accept-Encoding', 'Range', 'X-HTTP-Method-Override', 'X-Forwarded-Host', 'Forwarded']) {
      const res = await call(t, 'POST', '/v1/actions', agent(crew), { credentialId, summary: 'x', operation: { method: 'GET', url: `${peer.origin}/x`, headers: { [header]: 'v' } } });
      expect(res.json().error.details?.reason, header).toBe('forbidden_header');
    }
    const control = await call(t, 'POST', '/v1/actions', agent(crew), { credentialId, summary: 'x', operation: { method: 'GET', url: `${peer.origin}/x`, headers: { 'x-note': 'a\u0001b' } } });
    expect(control.statusCode).toBe(400);
    const parameters = await call(t, 'POST', '/v1/actions', agent(crew), { credentialId, summary: 'x', operation: { method: 'GET', url: `${peer.origin}/api/..;/admin` } });
    expect(parameters.json().error.details.reason).toBe('escaped_path');
  });

  it('P-ENC-3: an echo escaped as JSON, PHP, Go or HTML write it is scrubbed', async () => {
    const secret = 'zz/esc&secret<"x">0123456789';
    const { body, response } = await echoed(secret, (request, res) => {
      const key = keyOf(request);
      const json = JSON.stringify(key).slice(1, -1);
      const go = [...key].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('');
      const html = key.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
      res.writeHead(401, { 'content-type': 'application/json' }).end(`{"php":"${json.replace(/\//g, '\\/')}","go":"${go}","json":"${json}","html":"${html}"}`);
    });
    const decoded = JSON.parse(response.body) as Record<string, string>;
    expect(Object.values(decoded).join(' ')).not.toContain(secret.slice(-MIN_FRAGMENT));
    expect(decoded).toEqual({ php: '[REDACTED]', go: '[REDACTED]', json: '[REDACTED]', html: '[REDACTED]' });
    expect(body).not.toContain('0123456789');
  });

  it('P-ENC-3: an echo cut by the size limit leaves no run of the secret long enough to matter', async () => {
    const secret = 'zz-cut-secret-0123456789ABCDEF';
    const { response } = await echoed(secret, (request, res) => {
      res.writeHead(200).end('A'.repeat(MAX_RESPONSE_BYTES - (secret.length - 1)) + keyOf(request) + 'tail');
    });
    expect(response.truncated).toBe(true);
    const tail = response.body.slice(-64);
    for (let i = 0; i + MIN_FRAGMENT <= secret.length; i += 1) expect(tail).not.toContain(secret.slice(i, i + MIN_FRAGMENT));
  });

  it('P-ENC-3: whatever code inside useSecret throws is rebuilt without the secret: details, aggregates, values that are not errors', async () => {
    const secret = 'zz-thrown-secret-0123456789';
    const credentialId = await addCredential(t, crew, { provider: 'generic', label: 'Thrown', secret, baseUrl: `${peer.origin}/` });
    const use = { workspaceId: crew.workspaceId, personId: crew.owner.personId, execution: crypto.randomUUID() };
    const thrown = (value: (s: string) => unknown) =>
      t.app.vault.secrets.useSecret(use, credentialId, 'test.throw', async (opened) => {
        throw value(opened.value);
      }).catch((err: unknown) => err);
    const withDetails = await thrown((s) => new AppError('conflict', 'the provider refused', { provider: s, nested: [{ key: s }] }));
    expect(withDetails).toMatchObject({ code: 'conflict', details: { provider: '[REDACTED]', nested: [{ key: '[REDACTED]' }] } });
    const aggregate = await thrown((s) => new AggregateError([new Error(`one ${s}`)], 'many'));
    expect(((aggregate as AggregateError).errors[0] as Error).message).toBe('one [REDACTED]');
    const plain = await thrown((s) => ({ message: `x ${s}`, response: { body: s } }));
    expect(plain).toBeInstanceOf(Error);
    const withProperties = await thrown((s) => Object.assign(new Error('request failed'), { config: { headers: { authorization: s } }, code: 'ERR_BAD' }));
    expect(withProperties).toMatchObject({ message: 'request failed', code: 'ERR_BAD' });
    expect((withProperties as { config?: unknown }).config).toBeUndefined();
    for (const err of [withDetails, aggregate, plain, withProperties]) expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain(secret);
  });

  it('P-ACT-1: a call that could not start soon after its claim does not start (the recovery job may count it as interrupted)', async () => {
    const credentialId = await addCredential(t, crew, { provider: 'generic', label: 'Slow start', secret: 'zz-slow-secret-0123456789', baseUrl: `${peer.origin}/` });
    const secrets = t.app.vault.secrets;
    const original = secrets.useSecret.bind(secrets);
    secrets.useSecret = (async (...args: Parameters<typeof original>) => {
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      return original(...args);
    }) as typeof secrets.useSecret;
    try {
      const action = await propose(t, crew, credentialId, { method: 'POST', url: `${peer.origin}/late-start`, body: {} });
      expect((await approve(t, crew, action)).json()).toMatchObject({ status: 'failed', reason: 'not_started' });
      expect(peer.received.filter((request) => request.url === '/late-start')).toHaveLength(0);
    } finally {
      secrets.useSecret = original;
    }
  });
});
