// Workspaces with members and roles (P-TEN-2), enforced on every route; the Custos-Workspace header.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { addMember, asBrowser, createKey, signUp, type Person } from '../support/people.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

/** Adds a person to a workspace with a role, as an accepted invitation will (a later issue). */
async function sharedWorkspace(owner: Person): Promise<string> {
  const res = await t.app.http.inject({ method: 'POST', url: '/v1/workspaces', headers: asBrowser(t, owner.cookie), payload: { name: 'Team' } });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

const inWorkspace = (person: Person, workspaceId: string) => asBrowser(t, person.cookie, { 'custos-workspace': workspaceId });

describe(`workspaces on ${ENGINE}`, () => {
  it('P-TEN-2: a person lists, creates and renames workspaces; the creator is owner', async () => {
    const owner = await signUp(t);
    const id = await sharedWorkspace(owner);
    const list = await t.app.http.inject({ url: '/v1/workspaces', headers: { cookie: owner.cookie } });
    expect(list.json().items).toEqual([
      expect.objectContaining({ id: owner.personalWorkspaceId, personal: true, role: 'owner' }),
      expect.objectContaining({ id, name: 'Team', personal: false, role: 'owner' }),
    ]);
    const renamed = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}`, headers: asBrowser(t, owner.cookie), payload: { name: 'Renamed' } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe('Renamed');
  });

  it('P-TEN-2: a viewer can read but not write; a member can write but not manage keys or members', async () => {
    const owner = await signUp(t);
    const viewer = await signUp(t);
    const member = await signUp(t);
    const id = await sharedWorkspace(owner);
    await addMember(t, id, viewer, 'viewer');
    await addMember(t, id, member, 'member');
    const viewerMe = await t.app.http.inject({ url: '/v1/me', headers: inWorkspace(viewer, id) });
    expect(viewerMe.json()).toMatchObject({ workspaceId: id, role: 'viewer', scopes: ['read'] });
    expect((await t.app.http.inject({ url: `/v1/workspaces/${id}/members`, headers: inWorkspace(viewer, id) })).statusCode).toBe(200);
    // Any write by a viewer: refused for lack of the write scope.
    const viewerWrite = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}`, headers: inWorkspace(viewer, id), payload: { name: 'x' } });
    expect(viewerWrite.statusCode).toBe(403);
    const viewerKey = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: inWorkspace(viewer, id), payload: { name: 'k', scopes: ['read'] } });
    expect(viewerKey.statusCode).toBe(403);
    // A member: cannot create, list-and-revoke or rename.
    const memberKey = await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: inWorkspace(member, id), payload: { name: 'k', scopes: ['read'] } });
    expect(memberKey.statusCode).toBe(403);
    const ownerKey = await createKey(t.app.http, inWorkspace(owner, id));
    const memberRevoke = await t.app.http.inject({ method: 'DELETE', url: `/v1/api-keys/${ownerKey.id}`, headers: inWorkspace(member, id) });
    expect(memberRevoke.statusCode).toBe(403);
    const memberRename = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}`, headers: inWorkspace(member, id), payload: { name: 'x' } });
    expect(memberRename.statusCode).toBe(403);
    const memberPromotes = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}/members/${viewer.personId}`, headers: inWorkspace(member, id), payload: { role: 'admin' } });
    expect(memberPromotes.statusCode).toBe(403);
    // The owner promotes the member to admin, who then may manage keys but not make owners.
    const promote = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}/members/${member.personId}`, headers: inWorkspace(owner, id), payload: { role: 'admin' } });
    expect(promote.statusCode).toBe(200);
    expect((await t.app.http.inject({ method: 'POST', url: '/v1/api-keys', headers: inWorkspace(member, id), payload: { name: 'k', scopes: ['read'] } })).statusCode).toBe(201);
    const adminMakesOwner = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}/members/${viewer.personId}`, headers: inWorkspace(member, id), payload: { role: 'owner' } });
    expect(adminMakesOwner.statusCode).toBe(403);
  });

  it('P-TEN-2: a forged, foreign or malformed Custos-Workspace is a 404', async () => {
    const person = await signUp(t);
    const stranger = await signUp(t);
    for (const forged of [crypto.randomUUID(), stranger.personalWorkspaceId, 'not-a-uuid', "' or 1=1 --"]) {
      const res = await t.app.http.inject({ url: '/v1/me', headers: { cookie: person.cookie, 'custos-workspace': forged } });
      expect(res.statusCode, forged).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    for (const url of [`/v1/workspaces/${stranger.personalWorkspaceId}`, `/v1/workspaces/${stranger.personalWorkspaceId}/members`]) {
      expect((await t.app.http.inject({ url, headers: { cookie: person.cookie } })).statusCode).toBe(404);
    }
    const rename = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${stranger.personalWorkspaceId}`, headers: asBrowser(t, person.cookie), payload: { name: 'mine' } });
    expect(rename.statusCode).toBe(404);
  });

  it('P-TEN-2: the last owner cannot leave; a personal workspace cannot be left or deleted', async () => {
    const owner = await signUp(t);
    const other = await signUp(t);
    const id = await sharedWorkspace(owner);
    await addMember(t, id, other, 'member');
    const leave = await t.app.http.inject({ method: 'POST', url: `/v1/workspaces/${id}/leave`, headers: asBrowser(t, owner.cookie) });
    expect(leave.statusCode).toBe(409);
    expect(leave.json().error.code).toBe('sole_owner');
    const demoteSelf = await t.app.http.inject({ method: 'PATCH', url: `/v1/workspaces/${id}/members/${owner.personId}`, headers: asBrowser(t, owner.cookie), payload: { role: 'member' } });
    expect(demoteSelf.statusCode).toBe(409);
    expect((await t.app.http.inject({ method: 'POST', url: `/v1/workspaces/${id}/leave`, headers: asBrowser(t, other.cookie) })).statusCode).toBe(204);
    expect((await t.app.http.inject({ url: `/v1/workspaces/${id}`, headers: { cookie: other.cookie } })).statusCode).toBe(404);
    const personalLeave = await t.app.http.inject({ method: 'POST', url: `/v1/workspaces/${owner.personalWorkspaceId}/leave`, headers: asBrowser(t, owner.cookie) });
    expect(personalLeave.statusCode).toBe(409);
    const personalDelete = await t.app.http.inject({ method: 'DELETE', url: `/v1/workspaces/${owner.personalWorkspaceId}`, headers: asBrowser(t, owner.cookie) });
    expect(personalDelete.statusCode).toBe(409);
  });

  it('P-TEN-2: only an owner deletes a workspace; its keys stop working and its data keys are shredded', async () => {
    const owner = await signUp(t);
    const admin = await signUp(t);
    const id = await sharedWorkspace(owner);
    await addMember(t, id, admin, 'admin');
    const key = await createKey(t.app.http, inWorkspace(owner, id));
    const byAdmin = await t.app.http.inject({ method: 'DELETE', url: `/v1/workspaces/${id}`, headers: asBrowser(t, admin.cookie) });
    expect(byAdmin.statusCode).toBe(403);
    const byOwner = await t.app.http.inject({ method: 'DELETE', url: `/v1/workspaces/${id}`, headers: asBrowser(t, owner.cookie) });
    expect(byOwner.statusCode).toBe(204);
    expect((await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(401);
    expect((await t.app.http.inject({ url: '/v1/me', headers: inWorkspace(admin, id) })).statusCode).toBe(404);
    await expect(t.app.keys.keystore.secret(`tenant:${id}`, { create: false })).rejects.toMatchObject({ code: 'key_shredded' });
  });

  it('P-TEN-2: an API key acts in its own workspace only and cannot reach another through the header', async () => {
    const owner = await signUp(t);
    const id = await sharedWorkspace(owner);
    const key = await createKey(t.app.http, inWorkspace(owner, id));
    const me = await t.app.http.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key.key}`, 'custos-workspace': owner.personalWorkspaceId } });
    expect(me.json()).toMatchObject({ workspaceId: id, via: 'api_key' });
    const list = await t.app.http.inject({ url: '/v1/workspaces', headers: { authorization: `Bearer ${key.key}` } });
    expect(list.json().items.map((w: { id: string }) => w.id)).toEqual([id]);
    expect((await t.app.http.inject({ url: `/v1/workspaces/${owner.personalWorkspaceId}`, headers: { authorization: `Bearer ${key.key}` } })).statusCode).toBe(404);
  });
});
