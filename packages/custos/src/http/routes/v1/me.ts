// The signed-in person's own things: who they are, their sessions, their acceptance of the policy.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import type { Kysely } from 'kysely';
import { listSessions, revokeOtherSessions, revokeSession, type Identity, type IdentityTables } from '../../../identity/index.ts';
import { principalOf } from '../../auth.ts';

const sessionSchema = z.object({ id: z.uuid(), createdAt: z.date(), expiresAt: z.date(), userAgent: z.string().nullable(), current: z.boolean() });
const termsSchema = z.object({ currentVersion: z.string(), accepted: z.boolean(), acceptedAt: z.date().nullable() });
const idParams = z.object({ id: z.uuid() });

export function registerMeRoutes(app: FastifyInstance, identity: Identity): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['me'];

  routes.get('/v1/me', {
    config: { terms: 'exempt' },
    schema: {
      tags, summary: 'Who is calling, in which workspace, with which role and scopes',
      response: { 200: z.object({ personId: z.uuid(), email: z.string(), name: z.string(), emailVerified: z.boolean(), workspaceId: z.uuid(), role: z.string(), scopes: z.array(z.string()), via: z.enum(['session', 'api_key']), termsAccepted: z.boolean() }) },
    },
  }, async (request) => {
    const p = principalOf(request);
    const person = await identity.db.selectFrom('people').select(['email', 'name', 'emailVerified']).where('id', '=', p.personId).executeTakeFirstOrThrow();
    return { personId: p.personId, ...person, workspaceId: p.workspaceId, role: p.role, scopes: [...p.scopes], via: p.kind, termsAccepted: p.termsAccepted };
  });

  routes.get('/v1/me/sessions', {
    config: { auth: 'session' },
    schema: { tags, summary: 'The live sessions of the signed-in person', response: { 200: z.object({ items: z.array(sessionSchema), nextCursor: z.null() }) } },
  }, async (request) => {
    const p = principalOf(request);
    return { items: await listSessions(identity.db, p.personId, p.credentialId), nextCursor: null };
  });

  routes.delete('/v1/me/sessions/:id', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Ends one session at once', params: idParams },
  }, async (request, reply) => {
    const p = principalOf(request);
    const id = request.params.id;
    await identity.recorder.person({ action: 'session.revoked', actorId: p.personId, client: p.client, targetType: 'session', targetId: id }, async (trx) => {
      if (!(await revokeSession(trx as unknown as Kysely<IdentityTables>, p.personId, id))) throw new AppError('not_found', 'no such session');
    });
    return reply.status(204).send();
  });

  routes.delete('/v1/me/sessions', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Ends every session but this one', response: { 200: z.object({ revoked: z.number().int() }) } },
  }, async (request) => {
    const p = principalOf(request);
    let revoked = 0;
    await identity.recorder.person({ action: 'session.revoked_others', actorId: p.personId, client: p.client, targetType: 'session', targetId: p.credentialId }, async (trx) => {
      revoked = await revokeOtherSessions(trx as unknown as Kysely<IdentityTables>, p.personId, p.credentialId);
    });
    return { revoked };
  });

  routes.get('/v1/me/terms', {
    config: { auth: 'session', terms: 'exempt' },
    schema: { tags, summary: 'The current policy version and whether the person accepted it', response: { 200: termsSchema } },
  }, async (request) => identity.terms.status(principalOf(request).personId));

  routes.post('/v1/me/terms', {
    config: { auth: 'session', terms: 'exempt' },
    schema: { tags, summary: 'Accepts the current policy version (recorded with time, IP and user agent, sealed)', body: z.object({ version: z.string().min(1).max(64) }).strict(), response: { 200: termsSchema } },
  }, async (request) => {
    const p = principalOf(request);
    return identity.terms.accept(p.personId, request.body.version, { ip: p.client.ip, userAgent: p.client.userAgent });
  });
}
