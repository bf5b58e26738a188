// Confirm-before-mutate (P-ACT-1): agents propose, people approve the exact operation (by its
// hash), custos runs it once; each action keeps its workflow log (P-DAT-6).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACTION_STATUSES, HTTP_METHODS, operationInput, type Vault } from '../../../vault/index.ts';
import { principalOf } from '../../auth.ts';
import { MAX_JSON_DEPTH, nestsWithin, page, pageQuery } from '../../schemas.ts';

const operationSchema = z.object({
  method: z.enum(HTTP_METHODS),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullable(),
});
const executionSchema = z.object({
  request: z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()) }),
  response: z.object({
    status: z.number(),
    headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    body: z.string(),
    bodyEncoding: z.enum(['utf8', 'base64']),
    truncated: z.boolean(),
  }).nullable(),
  remoteAddress: z.string().nullable(),
  firstByteMs: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
});
const actionSchema = z.object({
  id: z.uuid(),
  status: z.enum(ACTION_STATUSES),
  reason: z.string().nullable(),
  provider: z.string(),
  credentialId: z.uuid().nullable(),
  summary: z.string(),
  operation: operationSchema,
  operationHash: z.string(),
  proposedBy: z.uuid().nullable(),
  proposedVia: z.enum(['session', 'api_key']),
  decidedBy: z.uuid().nullable(),
  decidedAt: z.date().nullable(),
  expiresAt: z.date(),
  replayOf: z.uuid().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  responseStatus: z.number().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  execution: executionSchema.nullable().optional(),
});
const params = z.object({ id: z.uuid() });
const proposal = z.object({
  credentialId: z.uuid(),
  summary: z.string().trim().min(1).max(2000),
  operation: operationInput.refine((operation) => nestsWithin(operation.body), `the body nests deeper than ${MAX_JSON_DEPTH} levels`),
}).strict();

export function registerActionRoutes(app: FastifyInstance, vault: Vault): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['actions'];

  routes.post('/v1/actions', {
    // An operation's body may be as large as a provider accepts (1 MiB of text), escaped in JSON.
    bodyLimit: 4 * 1024 * 1024,
    schema: { tags, summary: 'Proposes an operation on a provider; it runs only once a person approves it', body: proposal, response: { 201: actionSchema } },
  }, async (request, reply) => reply.status(201).send(await vault.actions.propose(principalOf(request), request.body)));

  routes.get('/v1/actions', {
    schema: {
      tags, summary: 'Actions, newest first (without their execution logs)',
      querystring: pageQuery.extend({ status: z.enum(ACTION_STATUSES).optional(), credentialId: z.uuid().optional() }),
      response: { 200: page(actionSchema) },
    },
  }, async (request) => vault.actions.list(principalOf(request), request.query));

  routes.get('/v1/actions/:id', {
    schema: { tags, summary: 'One action with its workflow log', params, response: { 200: actionSchema } },
  }, async (request) => vault.actions.get(principalOf(request), request.params.id));

  routes.post('/v1/actions/:id/approve', {
    config: { auth: 'session' },
    schema: {
      tags, summary: 'Approves the operation whose hash you were shown; custos runs it once and answers with the outcome',
      params, body: z.object({ operationHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict(), response: { 200: actionSchema },
    },
  }, async (request) => vault.actions.approve(principalOf(request), request.params.id, request.body.operationHash));

  routes.post('/v1/actions/:id/reject', {
    config: { auth: 'session' },
    schema: { tags, summary: 'Rejects a proposal', params, response: { 200: actionSchema } },
  }, async (request) => vault.actions.reject(principalOf(request), request.params.id));

  routes.post('/v1/actions/:id/replay', {
    schema: { tags, summary: "Proposes a finished action's operation again; it needs a new approval", params, response: { 201: actionSchema } },
  }, async (request, reply) => reply.status(201).send(await vault.actions.replay(principalOf(request), request.params.id)));
}
