// Provider credentials (P-ENC-3): added by a workspace admin signed in as a person; listed by
// anyone who may propose actions with them; the secret is never in any response.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { credentialInput, type Vault } from '../../../vault/index.ts';
import { principalOf } from '../../auth.ts';

const credentialSchema = z.object({
  id: z.uuid(),
  provider: z.string(),
  label: z.string(),
  lastFour: z.string(),
  baseUrl: z.string().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
});
const params = z.object({ id: z.uuid() });

export function registerCredentialRoutes(app: FastifyInstance, vault: Vault): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['credentials'];

  routes.post('/v1/credentials', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Stores a provider key, sealed; it is never returned (admins, signed in)', body: credentialInput, response: { 201: credentialSchema } },
  }, async (request, reply) => reply.status(201).send(await vault.credentials.create(principalOf(request), request.body)));

  routes.get('/v1/credentials', {
    schema: { tags, summary: "The workspace's credentials: provider, label and last four characters only", response: { 200: z.object({ items: z.array(credentialSchema), nextCursor: z.null() }) } },
  }, async (request) => ({ items: await vault.credentials.list(principalOf(request)), nextCursor: null }));

  routes.get('/v1/credentials/:id', {
    schema: { tags, summary: 'One credential (never its secret)', params, response: { 200: credentialSchema } },
  }, async (request) => vault.credentials.get(principalOf(request), request.params.id));

  routes.delete('/v1/credentials/:id', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Deletes the credential at once; its pending proposals become voided', params },
  }, async (request, reply) => {
    await vault.credentials.delete(principalOf(request), request.params.id);
    return reply.status(204).send();
  });
}
