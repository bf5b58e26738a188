// Workspaces (tenants): list, create, rename, leave, delete, and members' roles (P-TEN-2).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { ROLE_NAMES, type Identity } from '../../../identity/index.ts';
import { principalOf } from '../../auth.ts';
import { label } from '../../schemas.ts';

const workspaceSchema = z.object({ id: z.uuid(), name: z.string(), role: z.string(), personal: z.boolean(), createdAt: z.date() });
const memberSchema = z.object({ personId: z.uuid(), role: z.string(), joinedAt: z.date() });
const name = z.string().trim().pipe(label(100));
const idParams = z.object({ id: z.uuid() });

export function registerWorkspaceRoutes(app: FastifyInstance, identity: Identity): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { workspaces } = identity;
  const tags = ['workspaces'];

  routes.get('/v1/workspaces', {
    schema: { tags, summary: 'The workspaces the caller belongs to (an API key sees its own)', response: { 200: z.object({ items: z.array(workspaceSchema), nextCursor: z.null() }) } },
  }, async (request) => {
    const p = principalOf(request);
    const all = await workspaces.list(p.personId);
    return { items: p.kind === 'api_key' ? all.filter((w) => w.id === p.workspaceId) : all, nextCursor: null };
  });

  routes.post('/v1/workspaces', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Creates a workspace; the caller becomes its owner', body: z.object({ name }).strict(), response: { 201: workspaceSchema } },
  }, async (request, reply) => {
    const p = principalOf(request);
    return reply.status(201).send(await workspaces.create(p.personId, request.body.name, { client: p.client }));
  });

  routes.get('/v1/workspaces/:id', {
    schema: { tags, summary: 'One workspace', params: idParams, response: { 200: workspaceSchema } },
  }, async (request) => workspaces.visible(principalOf(request), request.params.id));

  routes.patch('/v1/workspaces/:id', {
    schema: { tags, summary: 'Renames a workspace (owner or admin)', params: idParams, body: z.object({ name }).strict(), response: { 200: workspaceSchema } },
  }, async (request) => workspaces.rename(principalOf(request), request.params.id, request.body.name));

  routes.delete('/v1/workspaces/:id', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Deletes a workspace and shreds its keys (owner)', params: idParams },
  }, async (request, reply) => {
    await workspaces.delete(principalOf(request), request.params.id);
    return reply.status(204).send();
  });

  routes.post('/v1/workspaces/:id/leave', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Leaves a shared workspace (a sole owner must hand ownership on first)', params: idParams },
  }, async (request, reply) => {
    await workspaces.leave(principalOf(request).personId, request.params.id);
    return reply.status(204).send();
  });

  routes.get('/v1/workspaces/:id/members', {
    schema: { tags, summary: 'The members of a workspace and their roles', params: idParams, response: { 200: z.object({ items: z.array(memberSchema), nextCursor: z.null() }) } },
  }, async (request) => ({ items: await workspaces.members(principalOf(request), request.params.id), nextCursor: null }));

  routes.patch('/v1/workspaces/:id/members/:personId', {
    schema: {
      tags, summary: "Changes a member's role (admins; only an owner makes or unmakes an owner)",
      params: z.object({ id: z.uuid(), personId: z.uuid() }), body: z.object({ role: z.enum(ROLE_NAMES as [string, ...string[]]) }).strict(), response: { 200: memberSchema },
    },
  }, async (request) => {
    const role = request.body.role;
    if (!ROLE_NAMES.includes(role as never)) throw new AppError('invalid_request', 'unknown role');
    return workspaces.setRole(principalOf(request), request.params.id, request.params.personId, role as (typeof ROLE_NAMES)[number]);
  });
}
