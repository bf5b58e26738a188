// Routes that exist only in tests, added to the real server to exercise its conventions, and an
// authenticator that believes a test header. Neither is in src/: the server takes both as inputs.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Authenticator, Principal, Scope } from '../../src/core/principal.ts';

export const TEST_PRINCIPAL_HEADER = 'x-test-principal';

/** `x-test-principal: session:read,write` or `api_key:read`; anything else is nobody. */
export const headerAuthenticator: Authenticator = async (request) => {
  const value = request.headers[TEST_PRINCIPAL_HEADER];
  if (typeof value !== 'string') return null;
  const [kind, scopes = ''] = value.split(':');
  if (kind !== 'session' && kind !== 'api_key') return null;
  const principal: Principal = {
    kind,
    personId: '00000000-0000-4000-8000-000000000001',
    workspaceId: '00000000-0000-4000-8000-000000000002',
    role: 'owner',
    credentialId: '00000000-0000-4000-8000-000000000003',
    termsAccepted: true,
    client: {},
    scopes: new Set(scopes.split(',').filter(Boolean) as Scope[]),
  };
  return principal;
};

export function registerTestRoutes(http: FastifyInstance, hooks: { slow?: () => Promise<void> } = {}): void {
  const routes = http.withTypeProvider<ZodTypeProvider>();
  routes.post('/v1/echo', {
    schema: {
      body: z.object({ name: z.string().min(1).max(20), count: z.number().int().optional() }).strict(),
      querystring: z.object({ q: z.string().optional() }),
    },
  }, async (request, reply) => reply.status(201).send({ id: 'echo', name: request.body.name }));
  routes.get('/v1/things/:id', { schema: { params: z.object({ id: z.uuid() }) } }, async () => ({ id: 'x' }));
  routes.get('/v1/boom', async () => {
    throw new Error(`database said: duplicate key value (email)=(${'secret@example.com'})`);
  });
  routes.post('/v1/boom', async (request) => {
    throw new Error(`could not store ${JSON.stringify(request.body)}`);
  });
  routes.get('/v1/throws-null', async () => {
    throw null;
  });
  routes.get('/v1/slow', async () => {
    await hooks.slow?.();
    return { done: true };
  });
}
