// A person's rights over their data (P-RIG-1, P-RIG-2, P-RIG-3) and the operators' register of
// requests (P-RIG-7). Every route but the register is the signed-in person's own, by session only:
// an API key acts for a workspace, and these act on the whole person. Rights are theirs whether or
// not they accepted the current terms, so the terms gate does not apply.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { decodeCursor, encodeCursor } from '../../../data/index.ts';
import type { Identity } from '../../../identity/index.ts';
import type { Rights } from '../../../rights/index.ts';
import { principalOf } from '../../auth.ts';

/** Erasure needs a sign-in this recent: a stolen cookie must not be enough to erase an account. */
export const ERASURE_RECENT_SIGN_IN_SECONDS = 5 * 60;

const categorySchema = z.object({
  category: z.string(), description: z.string(), purposes: z.array(z.string()), retention: z.string(), storage: z.array(z.string()),
  count: z.number().int(), oldest: z.date().nullable(), newest: z.date().nullable(),
  sources: z.array(z.object({ table: z.string(), workspaceId: z.uuid().nullable(), count: z.number().int() })),
});
const exportSchema = z.object({
  id: z.uuid(), status: z.enum(['queued', 'running', 'ready', 'failed', 'expired']), progress: z.number().min(0).max(1),
  createdAt: z.date(), readyAt: z.date().nullable(), expiresAt: z.date().nullable(), bytes: z.number().int().nullable(), downloadUrl: z.string().nullable(),
});
const erasureSchema = z.object({ id: z.uuid(), status: z.enum(['scheduled', 'running', 'completed', 'cancelled']), requestedAt: z.date(), eraseAfter: z.date(), completedAt: z.date().nullable() });
const requestSchema = z.object({
  id: z.uuid(), personId: z.uuid(), kind: z.string(), source: z.enum(['api', 'operator']), status: z.string(),
  receivedAt: z.date(), dueAt: z.date(), completedAt: z.date().nullable(), overdue: z.boolean(),
});
const params = z.object({ id: z.uuid() });
const requestCursor = z.tuple([z.iso.datetime(), z.uuid()]);

export interface RightsRouteDeps {
  rights: Rights;
  identity: Pick<Identity, 'signedInAt' | 'isInstanceAdmin'>;
}

export function registerRightsRoutes(app: FastifyInstance, { rights, identity }: RightsRouteDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['rights'];
  const own = { auth: 'session', terms: 'exempt' } as const;

  routes.get('/v1/me/data', {
    config: own,
    schema: { tags, summary: 'Everything held about you: each category with counts, dates, storage, purpose and retention', response: { 200: z.object({ personId: z.uuid(), categories: z.array(categorySchema) }) } },
  }, async (request) => {
    const personId = principalOf(request).personId;
    return { personId, categories: await rights.inventory(personId, 'api') };
  });

  routes.post('/v1/me/exports', {
    config: own,
    schema: { tags, summary: 'Asks for an archive of everything held about you; built in the background', response: { 202: exportSchema } },
  }, async (request, reply) => reply.status(202).send(await rights.exports.request(principalOf(request).personId, 'api')));

  routes.get('/v1/me/exports', {
    config: own,
    schema: { tags, summary: 'Your 50 newest exports', response: { 200: z.object({ items: z.array(exportSchema), nextCursor: z.null() }) } },
  }, async (request) => ({ items: await rights.exports.list(principalOf(request).personId), nextCursor: null }));

  routes.get('/v1/me/exports/:id', {
    config: own,
    schema: { tags, summary: 'An export’s status and progress; its download link once ready, until it expires', params, response: { 200: exportSchema } },
  }, async (request) => rights.exports.get(principalOf(request).personId, request.params.id));

  routes.get('/v1/me/exports/:id/archive', {
    config: own,
    // A HEAD would count as a download and open the file for nothing.
    exposeHeadRoute: false,
    schema: { tags, summary: 'Downloads a ready export (a ZIP), until its link expires', params },
  }, async (request, reply) => {
    const { stream, createdAt } = await rights.exports.download(principalOf(request).personId, request.params.id);
    const day = createdAt.toISOString().slice(0, 10);
    return reply.header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="custos-export-${day}.zip"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });

  routes.post('/v1/me/erasure', {
    config: own,
    schema: { tags, summary: 'Erases your account after the grace period (sessions, keys and credentials go at once); needs a recent sign-in', response: { 202: erasureSchema } },
  }, async (request, reply) => {
    const p = principalOf(request);
    const signedInAt = await identity.signedInAt(p.credentialId);
    if (!signedInAt || Date.now() - signedInAt.getTime() > ERASURE_RECENT_SIGN_IN_SECONDS * 1000) {
      throw new AppError('recent_sign_in_required', 'sign in again to erase your account');
    }
    return reply.status(202).send(await rights.erasures.request(p.personId, 'api'));
  });

  routes.get('/v1/me/erasure', {
    config: own,
    schema: { tags, summary: 'Your scheduled erasure, if any', response: { 200: erasureSchema } },
  }, async (request) => {
    const pending = await rights.erasures.pending(principalOf(request).personId);
    if (!pending) throw new AppError('not_found', 'no erasure is scheduled');
    return pending;
  });

  routes.delete('/v1/me/erasure', {
    config: own,
    schema: { tags, summary: 'Cancels your scheduled erasure (not once it runs)', response: { 200: erasureSchema } },
  }, async (request) => rights.erasures.cancel(principalOf(request).personId));

  routes.get('/v1/admin/requests', {
    config: { auth: 'session' },
    schema: {
      tags, summary: 'The register of requests about personal data (instance administrators)',
      querystring: z.object({ overdue: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().max(512).optional() }).strict(),
      response: { 200: z.object({ items: z.array(requestSchema), nextCursor: z.string().nullable() }) },
    },
  }, async (request) => {
    if (!(await identity.isInstanceAdmin(principalOf(request).personId))) throw new AppError('forbidden', 'instance administrators only');
    const after = decodeCursor(request.query.cursor, requestCursor);
    const limit = request.query.limit;
    const items = await rights.requests.list({ overdue: request.query.overdue === 'true', limit: limit + 1, before: after ? { receivedAt: new Date(after[0]), id: after[1] } : undefined });
    const last = items.length > limit ? items[limit - 1] : undefined;
    return { items: items.slice(0, limit), nextCursor: last ? encodeCursor([last.receivedAt.toISOString(), last.id]) : null };
  });
}
