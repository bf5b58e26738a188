// Confirm-before-mutate against a real HTTPS peer standing in for a provider (P-ACT-1, P-DAT-6,
// P-AUD-2): who may propose and approve, the approval bound to the exact operation, at most one
// call, expiry, voiding, replay and the workflow log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { TestApp } from '../support/app.ts';
import { auditActions, verifyAudit } from '../support/audit.ts';
import { ENGINE } from '../support/database.ts';
import type { ProviderPeer } from '../support/provider-peer.ts';
import { addCredential, agent, approve, call, personIn, propose, closeVaultSetup, startVaultSetup, team, type Team } from './support.ts';

let peer: ProviderPeer;
let t: TestApp;
let crew: Team;
let credentialId: string;
const SECRET = 'peer-secret-0123456789abcdef';

beforeAll(async () => {
  ({ peer, t, crew } = await startVaultSetup());
  credentialId = await addCredential(t, crew, { provider: 'generic', label: 'Test provider', secret: SECRET, baseUrl: `${peer.origin}/api/` });
});
afterAll(async () => closeVaultSetup({ t, peer }));

const operation = (path = 'deploy', body: unknown = { service: 'web', replicas: 3 }) => ({
  method: 'POST', url: `${peer.origin}/api/${path}`, headers: { 'X-Request-Tag': 'tag-1' }, body,
});

function receivedFor(path: string) {
  return peer.received.filter((request) => request.url === `/api/${path}`);
}

describe(`actions on ${ENGINE}`, () => {
  it('P-ACT-1: an agent proposes; only a person with a session and a role that may approve runs it, once, with the secret added by custos', async () => {
    const action = await propose(t, crew, credentialId, operation('approve-once'));
    expect(action).toMatchObject({ status: 'proposed', operationHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(receivedFor('approve-once')).toHaveLength(0);

    const byKey = await call(t, 'POST', `/v1/actions/${action.id}/approve`, agent(crew), { operationHash: action.operationHash });
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json().error.code).toBe('session_required');
    const byViewer = await approve(t, crew, action, crew.viewer);
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error.code).toBe('forbidden');
    expect(receivedFor('approve-once')).toHaveLength(0);

    const approved = await approve(t, crew, action);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'succeeded', decidedBy: crew.member.personId, responseStatus: 200 });
    const [sent, ...more] = receivedFor('approve-once');
    expect(more).toHaveLength(0);
    expect(sent).toMatchObject({ method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'x-request-tag': 'tag-1', 'content-type': 'application/json' } });
    expect(JSON.parse(sent!.body)).toEqual({ service: 'web', replicas: 3 });

    const again = await approve(t, crew, action);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('action_not_pending');
    expect(receivedFor('approve-once')).toHaveLength(1);
  });

  it('P-DAT-6: the workflow log keeps the request as sent (secret redacted), the response, timings, proposer and approver', async () => {
    peer.answer((_request, response) => response.writeHead(201, { 'content-type': 'application/json', 'x-provider-id': 'p-42' }).end('{"created":"dep-7"}'));
    try {
      const action = await propose(t, crew, credentialId, operation('logged'));
      await approve(t, crew, action);
      const read = await call(t, 'GET', `/v1/actions/${action.id}`, agent(crew));
      const view = read.json();
      expect(view).toMatchObject({
        status: 'succeeded', proposedBy: crew.owner.personId, proposedVia: 'api_key', decidedBy: crew.member.personId,
        summary: 'Does one thing', operation: { method: 'POST', url: `${peer.origin}/api/logged`, body: { service: 'web', replicas: 3 } },
        execution: {
          request: { method: 'POST', url: `${peer.origin}/api/logged`, headers: { authorization: 'Bearer [REDACTED]', 'x-request-tag': 'tag-1' } },
          response: { status: 201, body: '{"created":"dep-7"}', bodyEncoding: 'utf8', truncated: false, headers: { 'x-provider-id': 'p-42' } },
          remoteAddress: '127.0.0.1',
          error: null,
        },
      });
      expect(view.execution.durationMs).toBeGreaterThanOrEqual(0);
      expect(new Date(view.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(view.startedAt).getTime());
      expect(read.body).not.toContain(SECRET);
      const listed = (await call(t, 'GET', `/v1/actions?status=succeeded&credentialId=${credentialId}`, agent(crew))).json();
      expect(listed.items.map((item: { id: string }) => item.id)).toContain(action.id);
      expect(listed.items.every((item: { execution?: unknown }) => item.execution === undefined)).toBe(true);
    } finally {
      peer.answer((_request, response) => response.writeHead(200).end('{}'));
    }
  });

  it('P-ACT-1: a wrong hash, or an operation changed after it was shown, does not run', async () => {
    const action = await propose(t, crew, credentialId, operation('changed'));
    const other = await propose(t, crew, credentialId, operation('changed'));
    const wrong = await approve(t, crew, { ...action, operationHash: other.operationHash });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error.code).toBe('operation_hash_mismatch');

    // Someone with write access to the database swaps the sealed operation for another one.
    await withTenant(t.app.database.db, crew.workspaceId, async (trx) => {
      const changed = { method: 'DELETE', url: `${peer.origin}/api/changed`, headers: {}, body: null };
      const sealed = await t.app.keys.sealer.seal(trx, { tenantId: crew.workspaceId, table: 'actions', column: 'operation', rowId: action.id }, Buffer.from(JSON.stringify(changed)));
      await trx.updateTable('actions' as never).set({ operation: sealed } as never).where('id' as never, '=', action.id as never).execute();
    });
    const shownBefore = await approve(t, crew, action);
    expect(shownBefore.statusCode).toBe(409);
    expect(shownBefore.json().error.code).toBe('operation_hash_mismatch');
    expect(receivedFor('changed')).toHaveLength(0);
    expect((await call(t, 'GET', `/v1/actions/${action.id}`, agent(crew))).json()).toMatchObject({ status: 'proposed', operation: { method: 'DELETE' } });
  });

  it('P-ACT-1: two concurrent approvals execute once', async () => {
    const action = await propose(t, crew, credentialId, operation('concurrent'));
    const results = await Promise.all([approve(t, crew, action), approve(t, crew, action, crew.owner), approve(t, crew, action)]);
    expect(results.map((res) => res.statusCode).sort()).toEqual([200, 409, 409]);
    expect(receivedFor('concurrent')).toHaveLength(1);
  });

  it('P-ACT-1: a rejected or expired proposal cannot be approved', async () => {
    const rejected = await propose(t, crew, credentialId, operation('rejected'));
    const rejection = await call(t, 'POST', `/v1/actions/${rejected.id}/reject`, personIn(t, crew, crew.member));
    expect(rejection.json()).toMatchObject({ status: 'rejected', decidedBy: crew.member.personId });
    expect((await approve(t, crew, rejected)).json().error.code).toBe('action_not_pending');

    const expiring = await propose(t, crew, credentialId, operation('expired'));
    await withTenant(t.app.database.db, crew.workspaceId, (trx) =>
      trx.updateTable('actions' as never).set({ expires_at: new Date(Date.now() - 1000) } as never).where('id' as never, '=', expiring.id as never).execute());
    expect((await call(t, 'GET', `/v1/actions/${expiring.id}`, agent(crew))).json().status).toBe('expired');
    const late = await approve(t, crew, expiring);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('action_expired');
    expect((await approve(t, crew, expiring)).json().error.code).toBe('action_not_pending');
    expect(receivedFor('rejected').length + receivedFor('expired').length).toBe(0);
    const actions = await auditActions(t, crew.workspaceId);
    expect(actions).toEqual(expect.arrayContaining(['action.rejected', 'action.expired']));
  });

  it('P-RET-2: deleting a credential deletes it at once; its proposals become voided and keep their record', async () => {
    const doomed = await addCredential(t, crew, { provider: 'generic', label: 'Doomed', secret: 'doomed-secret-0123456789', baseUrl: `${peer.origin}/api/` });
    const pending = await propose(t, crew, doomed, operation('voided'));
    const byMember = await call(t, 'DELETE', `/v1/credentials/${doomed}`, personIn(t, crew, crew.member));
    expect(byMember.statusCode).toBe(403);
    expect((await call(t, 'DELETE', `/v1/credentials/${doomed}`, personIn(t, crew, crew.owner))).statusCode).toBe(204);
    expect((await call(t, 'GET', `/v1/credentials/${doomed}`, agent(crew))).statusCode).toBe(404);
    const voided = (await call(t, 'GET', `/v1/actions/${pending.id}`, agent(crew))).json();
    expect(voided).toMatchObject({ status: 'voided', reason: 'credential_deleted', credentialId: null, summary: 'Does one thing' });
    expect((await approve(t, crew, pending)).json().error.code).toBe('action_not_pending');
    expect(receivedFor('voided')).toHaveLength(0);
    // Its own secret is shredded: a backup of the row opens nothing.
    await expect(t.app.keys.keystore.secret(`credential:${doomed}`, { create: false })).rejects.toMatchObject({ code: 'key_shredded' });
    const replay = await call(t, 'POST', `/v1/actions/${pending.id}/replay`, agent(crew));
    expect(replay.json().error.code).toBe('credential_missing');
  });

  it('P-RET-2: when the key file cannot be written at deletion, the deletion still answers 204 and the job queued with it shreds the secret', async () => {
    const doomed = await addCredential(t, crew, { provider: 'generic', label: 'Doomed later', secret: 'doomed-later-0123456789', baseUrl: `${peer.origin}/api/` });
    const keystore = t.app.keys.keystore;
    const shred = keystore.shred.bind(keystore);
    let refused = 0;
    // The first shredding fails, as a full disk or a held file lock would make it; later ones work.
    keystore.shred = async (id) => {
      if (id === `credential:${doomed}` && refused === 0) {
        refused += 1;
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }
      return shred(id);
    };
    try {
      const deleted = await call(t, 'DELETE', `/v1/credentials/${doomed}`, personIn(t, crew, crew.owner));
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect(refused).toBe(1);
      expect((await call(t, 'GET', `/v1/credentials/${doomed}`, agent(crew))).statusCode).toBe(404);
      const deadline = Date.now() + 20_000;
      let state = 'present';
      while (state === 'present' && Date.now() < deadline) {
        state = await keystore.secret(`credential:${doomed}`, { create: false }).then(() => 'present', (err: { code?: string }) => err.code ?? 'error');
        if (state === 'present') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(state).toBe('key_shredded');
    } finally {
      keystore.shred = shred;
    }
  });

  it('P-DAT-6: replay proposes the past operation again, which needs a fresh approval of its own', async () => {
    const first = await propose(t, crew, credentialId, operation('replayed'));
    await approve(t, crew, first);
    expect(receivedFor('replayed')).toHaveLength(1);
    const replay = await call(t, 'POST', `/v1/actions/${first.id}/replay`, agent(crew));
    expect(replay.statusCode).toBe(201);
    const again = replay.json();
    expect(again).toMatchObject({ status: 'proposed', replayOf: first.id, operation: { url: `${peer.origin}/api/replayed` } });
    expect(again.operationHash).not.toBe(first.operationHash);
    expect(receivedFor('replayed')).toHaveLength(1);
    expect((await approve(t, crew, { ...again, operationHash: first.operationHash })).statusCode).toBe(409);
    expect((await approve(t, crew, again)).json().status).toBe('succeeded');
    expect(receivedFor('replayed')).toHaveLength(2);
    const pendingReplay = await call(t, 'POST', `/v1/actions/${(await propose(t, crew, credentialId, operation('x'))).id}/replay`, agent(crew));
    expect(pendingReplay.statusCode).toBe(409);
  });

  it('P-AUD-2: every step is in the audit chain, with the approver as actor and the use of the secret, and the chain verifies', async () => {
    const action = await propose(t, crew, credentialId, operation('audited'));
    await approve(t, crew, action);
    const rows = (await auditActions(t, crew.workspaceId));
    expect(rows).toEqual(expect.arrayContaining(['credential.created', 'action.proposed', 'action.approved', 'action.executing', 'credential.used', 'action.succeeded']));
    const approverSteps = await auditActions(t, crew.workspaceId, crew.member.personId);
    expect(approverSteps.slice(-4)).toEqual(['action.approved', 'action.executing', 'credential.used', 'action.succeeded']);
    expect(await verifyAudit(t, crew.workspaceId)).toBeNull();
  });

  it('P-TEN-1: another workspace sees none of these credentials or actions', async () => {
    const stranger = await team(t);
    const action = await propose(t, crew, credentialId, operation('isolated'));
    for (const [method, url] of [
      ['GET', `/v1/credentials/${credentialId}`], ['DELETE', `/v1/credentials/${credentialId}`], ['GET', `/v1/actions/${action.id}`],
      ['POST', `/v1/actions/${action.id}/reject`], ['POST', `/v1/actions/${action.id}/replay`],
    ] as const) {
      const headers = method === 'GET' || url.endsWith('replay') ? agent(stranger) : personIn(t, stranger, stranger.owner);
      expect((await call(t, method, url, headers)).statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await call(t, 'POST', `/v1/actions/${action.id}/approve`, personIn(t, stranger, stranger.owner), { operationHash: action.operationHash })).statusCode).toBe(404);
    const proposal = await call(t, 'POST', '/v1/actions', agent(stranger), { credentialId, summary: 'x', operation: operation('isolated') });
    expect(proposal.statusCode).toBe(404);
    expect((await call(t, 'GET', '/v1/credentials', agent(stranger))).json().items).toEqual([]);
    expect(receivedFor('isolated')).toHaveLength(0);
  });
});
