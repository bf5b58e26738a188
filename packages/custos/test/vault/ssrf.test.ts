// Where an approved action may go (P-ACT-1): https on the provider's hosts or under the
// credential's base URL, never a private, loopback or link-local address unless the operator
// allows it, checked again on the address the name resolves to when it runs; no redirect followed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { startProviderPeer, type ProviderPeer } from '../support/provider-peer.ts';
import { addCredential, agent, approve, call, personIn, propose, startVaultApp, team, type Team } from './support.ts';

let peer: ProviderPeer;
let decoy: ProviderPeer;
/** The operator allows loopback here (the test peer). */
let allowing: TestApp;
/** And not here: the defaults. */
let strict: TestApp;

beforeAll(async () => {
  peer = await startProviderPeer();
  decoy = await startProviderPeer();
  allowing = await startVaultApp(peer);
  strict = await startVaultApp(null, { egressCaFile: peer.certificate.certFile });
});
afterAll(async () => {
  await allowing?.close();
  await strict?.close();
  await peer?.close();
  await decoy?.close();
});

async function refusedProposal(t: TestApp, crew: Team, credentialId: string, operation: Record<string, unknown>): Promise<string> {
  const res = await call(t, 'POST', '/v1/actions', agent(crew), { credentialId, summary: 'x', operation });
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json().error.code).toBe('operation_not_allowed');
  return res.json().error.details.reason as string;
}

describe(`egress of actions on ${ENGINE}`, () => {
  it('P-ACT-1: a proposal for a host the provider does not serve, plain http or an address literal is refused at once', async () => {
    const crew = await team(allowing);
    const openai = await addCredential(allowing, crew, { provider: 'openai', label: 'OpenAI', secret: 'sk-test-0123456789abcdefghij' });
    expect(await refusedProposal(allowing, crew, openai, { method: 'GET', url: 'https://api.openai.com.evil.example/v1/models' })).toBe('host_not_allowed');
    expect(await refusedProposal(allowing, crew, openai, { method: 'GET', url: 'https://api.openai.com:8443/v1/models' })).toBe('host_not_allowed');
    expect(await refusedProposal(allowing, crew, openai, { method: 'GET', url: 'http://api.openai.com/v1/models' })).toBe('not_https');
    expect(await refusedProposal(allowing, crew, openai, { method: 'GET', url: 'https://user:pw@api.openai.com/v1/models' })).toBe('credentials_in_url');
    expect(await refusedProposal(allowing, crew, openai, { method: 'GET', url: 'https://api.openai.com/v1/models', headers: { Authorization: 'Bearer mine' } })).toBe('forbidden_header');

    const generic = await addCredential(allowing, crew, { provider: 'generic', label: 'Peer', secret: 'generic-secret-0123456789', baseUrl: `${peer.origin}/api/` });
    expect(await refusedProposal(allowing, crew, generic, { method: 'GET', url: `${decoy.origin}/api/x` })).toBe('outside_base_url');
    expect(await refusedProposal(allowing, crew, generic, { method: 'GET', url: `${peer.origin}/admin` })).toBe('outside_base_url');
    expect(await refusedProposal(allowing, crew, generic, { method: 'GET', url: `${peer.origin}/api/../admin` })).toBe('outside_base_url');
    expect(await refusedProposal(allowing, crew, generic, { method: 'GET', url: `${peer.origin}/api/%2e%2e/admin` })).toBe('outside_base_url');
    expect(await refusedProposal(allowing, crew, generic, { method: 'GET', url: `${peer.origin}/api/..%2Fadmin` })).toBe('escaped_path');
    expect(await refusedProposal(allowing, crew, generic, { method: 'GET', url: `${peer.origin}/api-evil/x` })).toBe('outside_base_url');

    // A base URL naming an address actions may not reach is refused when the credential is added.
    for (const baseUrl of ['https://169.254.169.254/latest/', 'https://[::ffff:10.0.0.1]/', 'https://[::7f00:1]/', 'https://10.1.2.3/']) {
      const res = await call(allowing, 'POST', '/v1/credentials', personIn(allowing, crew, crew.owner), { provider: 'generic', label: 'Internal', secret: 'generic-secret-0123456789', baseUrl });
      expect(res.statusCode, baseUrl).toBe(400);
    }
    // And a literal in the operation URL is refused at the proposal, whatever the credential.
    expect(await refusedProposal(allowing, crew, openai, { method: 'GET', url: 'https://169.254.169.254/latest/meta-data' })).toBe('address_not_allowed');
  });

  it('P-ACT-1: a DNS name resolving to loopback is refused when it runs, and the peer receives nothing', async () => {
    const crew = await team(strict);
    const credential = await addCredential(strict, crew, { provider: 'generic', label: 'Local name', secret: 'generic-secret-0123456789', baseUrl: `https://localhost:${peer.port}/` });
    const action = await propose(strict, crew, credential, { method: 'POST', url: `https://localhost:${peer.port}/dns-loopback`, body: 'x' });
    const outcome = (await approve(strict, crew, action)).json();
    expect(outcome).toMatchObject({ status: 'failed', reason: 'address_refused', responseStatus: null });
    expect((await call(strict, 'GET', `/v1/actions/${action.id}`, agent(crew))).json().execution).toMatchObject({ error: 'address_refused', response: null });
    // The literal the name resolves to is refused as soon as a credential names it.
    const literal = await call(strict, 'POST', '/v1/credentials', personIn(strict, crew, crew.owner), { provider: 'generic', label: 'Loopback', secret: 'generic-secret-0123456789', baseUrl: `${peer.origin}/` });
    expect(literal.statusCode).toBe(400);
    expect(peer.received.filter((request) => request.url === '/dns-loopback')).toHaveLength(0);
  });

  it('P-ACT-1: a redirect, to a private address or anywhere else, is not followed', async () => {
    const crew = await team(allowing);
    const credential = await addCredential(allowing, crew, { provider: 'generic', label: 'Peer', secret: 'generic-secret-0123456789', baseUrl: `${peer.origin}/` });
    for (const location of ['https://10.0.0.1/internal', `${decoy.origin}/stolen`]) {
      peer.answer((_request, response) => response.writeHead(302, { location }).end());
      const action = await propose(allowing, crew, credential, { method: 'GET', url: `${peer.origin}/redirecting` });
      const outcome = (await approve(allowing, crew, action)).json();
      expect(outcome).toMatchObject({ status: 'failed', reason: 'redirect_not_followed', responseStatus: 302 });
      const log = (await call(allowing, 'GET', `/v1/actions/${action.id}`, agent(crew))).json().execution;
      expect(log.response).toMatchObject({ status: 302, headers: { location } });
    }
    peer.answer((_request, response) => response.writeHead(200).end('{}'));
    expect(decoy.received).toHaveLength(0);
  });

  it('P-ACT-1: a provider that does not answer in time ends the action as failed: timeout', async () => {
    const crew = await team(allowing);
    const credential = await addCredential(allowing, crew, { provider: 'generic', label: 'Slow', secret: 'generic-secret-0123456789', baseUrl: `${peer.origin}/` });
    peer.answer(() => undefined);
    try {
      const action = await propose(allowing, crew, credential, { method: 'GET', url: `${peer.origin}/slow` });
      const outcome = (await approve(allowing, crew, action)).json();
      expect(outcome).toMatchObject({ status: 'failed', reason: 'timeout' });
      expect(peer.received.filter((request) => request.url === '/slow')).toHaveLength(1);
    } finally {
      peer.answer((_request, response) => response.writeHead(200).end('{}'));
    }
  });
});
