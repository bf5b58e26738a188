// Workspace API keys (P-KEY-1, P-KEY-3): the key is in the creation response and nowhere else.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCOPES, type Identity } from '../../../identity/index.ts';
import { principalOf } from '../../auth.ts';
import { label } from '../../schemas.ts';

const keySchema = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  prefix: z.string().nullable(),
  scopes: z.array(z.enum(SCOPES)),
  createdBy: z.uuid().nullable(),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
});

export function registerApiKeyRoutes(app: FastifyInstance, identity: Identity): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['api-keys'];

  // A person signed in makes keys, never a key: a stolen key must not be a way to more of them.
  routes.post('/v1/api-keys', {
    config: { auth: 'session' },
    schema: {
      tags, summary: 'Creates a key for the workspace (a person signed in only); the key is shown in this response only',
      body: z.object({ name: z.string().trim().pipe(label(64)), scopes: z.array(z.enum(SCOPES)).min(1), expiresAt: z.coerce.date().optional() }).strict(),
      response: { 201: keySchema.extend({ key: z.string() }) },
    },
  }, async (request, reply) => reply.status(201).send(await identity.apiKeys.create(principalOf(request), request.body)));

  routes.get('/v1/api-keys', {
    schema: { tags, summary: "The workspace's keys (never the keys themselves)", response: { 200: z.object({ items: z.array(keySchema), nextCursor: z.null() }) } },
  }, async (request) => ({ items: await identity.apiKeys.list(principalOf(request)), nextCursor: null }));

  routes.delete('/v1/api-keys/:id', {
    schema: { tags, summary: 'Revokes a key with immediate effect', params: z.object({ id: z.uuid() }) },
  }, async (request, reply) => {
    await identity.apiKeys.revoke(principalOf(request), request.params.id);
    return reply.status(204).send();
  });
}
