// The signed-in person's own things: who they are, their sessions, their acceptance of the policy.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Identity } from '../../../identity/index.ts';
import { principalOf } from '../../auth.ts';
import { label } from '../../schemas.ts';

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
  }, async (request) => identity.me(principalOf(request)));

  routes.get('/v1/me/sessions', {
    config: { auth: 'session' },
    schema: { tags, summary: 'The live sessions of the signed-in person', response: { 200: z.object({ items: z.array(sessionSchema), nextCursor: z.null() }) } },
  }, async (request) => {
    return { items: await identity.sessions.list(principalOf(request)), nextCursor: null };
  });

  routes.delete('/v1/me/sessions/:id', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Ends one session at once', params: idParams },
  }, async (request, reply) => {
    await identity.sessions.revoke(principalOf(request), request.params.id);
    return reply.status(204).send();
  });

  routes.delete('/v1/me/sessions', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Ends every session but this one', response: { 200: z.object({ revoked: z.number().int() }) } },
  }, async (request) => {
    return { revoked: await identity.sessions.revokeOthers(principalOf(request)) };
  });

  routes.get('/v1/me/terms', {
    config: { auth: 'session', terms: 'exempt' },
    schema: { tags, summary: 'The current policy version and whether the person accepted it', response: { 200: termsSchema } },
  }, async (request) => identity.terms.status(principalOf(request).personId));

  routes.post('/v1/me/terms', {
    config: { auth: 'session', terms: 'exempt' },
    schema: { tags, summary: 'Accepts the current policy version (recorded with time, IP and user agent, sealed)', body: z.object({ version: label(64) }).strict(), response: { 200: termsSchema } },
  }, async (request) => {
    const p = principalOf(request);
    return identity.terms.accept(p.personId, request.body.version, { ip: p.client.ip, userAgent: p.client.userAgent });
  });
}
