// Signing people up and in through the real HTTP routes, as a browser or the SDK would.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { TestApp } from './app.ts';

export interface Person {
  email: string;
  password: string;
  /** `custos_session=…` as a browser would send it back. */
  cookie: string;
  personId: string;
  personalWorkspaceId: string;
}

let counter = 0;

export function sessionCookieOf(setCookie: string | string[] | undefined): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const found = all.find((c) => /^(__Secure-)?custos_session=/.test(c));
  if (!found) throw new Error('no session cookie in the response');
  return found.split(';')[0]!;
}

/**
 * A client address of its own for each person (from the documentation range; inject() sends no
 * packets), so that the per-IP sign-up limit does not throttle a test file's many sign-ups.
 */
export function clientAddress(): string {
  counter += 1;
  return `198.51.100.${counter % 250 + 1}`;
}

export function uniqueEmail(label = 'person'): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Date.now()}@example.test`;
}

export async function signUp(t: TestApp, options: { email?: string; password?: string; name?: string } = {}): Promise<Person> {
  const http = t.app.http;
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-long`;
  const res = await http.inject({ method: 'POST', url: '/api/auth/sign-up/email', remoteAddress: clientAddress(), headers: { origin: t.config.publicUrl.origin }, payload: { email, password, ...(options.name ? { name: options.name } : {}) } });
  if (res.statusCode !== 200) throw new Error(`sign-up answered ${res.statusCode}: ${res.body}`);
  const cookie = sessionCookieOf(res.headers['set-cookie']);
  const me = await http.inject({ url: '/v1/me', headers: { cookie } });
  if (me.statusCode !== 200) throw new Error(`/v1/me answered ${me.statusCode}: ${me.body}`);
  const body = me.json() as { personId: string; workspaceId: string };
  return { email, password, cookie, personId: body.personId, personalWorkspaceId: body.workspaceId };
}

export async function signIn(t: TestApp, email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await t.app.http.inject({ method: 'POST', url: '/api/auth/sign-in/email', remoteAddress: clientAddress(), headers: { origin: t.config.publicUrl.origin, ...headers }, payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in answered ${res.statusCode}: ${res.body}`);
  return sessionCookieOf(res.headers['set-cookie']);
}

/** Headers of a request made by a signed-in browser on the custos origin. */
export function asBrowser(t: TestApp, cookie: string, extra: Record<string, string> = {}): Record<string, string> {
  return { cookie, origin: t.config.publicUrl.origin, ...extra };
}

export async function createKey(http: FastifyInstance, headers: Record<string, string>, scopes: string[] = ['read', 'write'], name = 'test key'): Promise<{ id: string; key: string }> {
  const res = await http.inject({ method: 'POST', url: '/v1/api-keys', headers, payload: { name, scopes } });
  if (res.statusCode !== 201) throw new Error(`key creation answered ${res.statusCode}: ${res.body}`);
  return res.json() as { id: string; key: string };
}

/** Makes a person a member of a workspace directly in the table (invitations are not built yet). */
export async function addMember(t: TestApp, workspaceId: string, person: Pick<Person, 'personId'>, role: string): Promise<void> {
  await sql`insert into memberships (id, "organizationId", "userId", role, "createdAt") values (${crypto.randomUUID()}, ${workspaceId}, ${person.personId}, ${role}, now())`.execute(t.app.database.db);
}

/** One request through the app, as a test makes it. */
export async function call(t: TestApp, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown) {
  return t.app.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}
