// What the vault's tests share: an app that trusts the local provider peer (loopback allowed by
// the operator, its self-signed certificate trusted), people in one workspace with each role, and
// short-hands for the routes.
import { expect } from 'vitest';
import { loadConfig, type VaultConfig } from '../../src/core/config.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { addMember, asBrowser, call, createKey, signUp, type Person } from '../support/people.ts';
import { startProviderPeer, type ProviderPeer } from '../support/provider-peer.ts';

export function vaultConfig(peer: ProviderPeer | null, overrides: Partial<VaultConfig> = {}): VaultConfig {
  return {
    ...loadConfig({}).vault,
    ...(peer ? { egressAllow: ['127.0.0.1/32'], egressCaFile: peer.certificate.certFile } : {}),
    actionTimeoutSeconds: 2,
    ...overrides,
  };
}

export async function startVaultApp(peer: ProviderPeer | null, overrides: Partial<VaultConfig> = {}): Promise<TestApp> {
  return startTestApp({ config: { vault: vaultConfig(peer, overrides) }, infra: { jobPollingIntervalSeconds: 0.5 } });
}

/** A provider peer, an app that trusts it, and a team in it: what most vault tests start from. */
export interface VaultSetup {
  peer: ProviderPeer;
  t: TestApp;
  crew: Team;
}

export async function startVaultSetup(): Promise<VaultSetup> {
  const peer = await startProviderPeer();
  const t = await startVaultApp(peer);
  return { peer, t, crew: await team(t) };
}

export async function closeVaultSetup(setup: Partial<VaultSetup>): Promise<void> {
  await setup.t?.close();
  await setup.peer?.close();
}

export interface Team {
  owner: Person;
  member: Person;
  viewer: Person;
  workspaceId: string;
  /** An agent's key (read, write), made by the owner. */
  agentKey: string;
}

export async function team(t: TestApp): Promise<Team> {
  const owner = await signUp(t);
  const member = await signUp(t);
  const viewer = await signUp(t);
  const workspaceId = owner.personalWorkspaceId;
  await addMember(t, workspaceId, member, 'member');
  await addMember(t, workspaceId, viewer, 'viewer');
  const { key } = await createKey(t.app.http, asBrowser(t, owner.cookie));
  return { owner, member, viewer, workspaceId, agentKey: key };
}

/** Headers of a person signed in, acting in the team's workspace. */
export function personIn(t: TestApp, team: Team, person: Person): Record<string, string> {
  return asBrowser(t, person.cookie, { 'custos-workspace': team.workspaceId });
}

export function agent(team: Team): Record<string, string> {
  return { authorization: `Bearer ${team.agentKey}` };
}


export async function addCredential(t: TestApp, team: Team, input: Record<string, unknown>): Promise<string> {
  const res = await call(t, 'POST', '/v1/credentials', personIn(t, team, team.owner), input);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

export interface ProposedAction {
  id: string;
  status: string;
  operationHash: string;
}

export async function propose(t: TestApp, team: Team, credentialId: string, operation: Record<string, unknown>, summary = 'Does one thing'): Promise<ProposedAction> {
  const res = await call(t, 'POST', '/v1/actions', agent(team), { credentialId, summary, operation });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as ProposedAction;
}

export async function approve(t: TestApp, team: Team, action: ProposedAction, person: Person = team.member) {
  return call(t, 'POST', `/v1/actions/${action.id}/approve`, personIn(t, team, person), { operationHash: action.operationHash });
}

/** Polls until the action reaches one of the statuses (the recovery and expiry jobs run on their own). */
export async function waitForStatus(t: TestApp, team: Team, id: string, statuses: string[], timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const action = (await call(t, 'GET', `/v1/actions/${id}`, agent(team))).json() as Record<string, unknown>;
    if (statuses.includes(action.status as string)) return action;
    if (Date.now() > deadline) throw new Error(`action ${id} is still ${String(action.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export { call };
