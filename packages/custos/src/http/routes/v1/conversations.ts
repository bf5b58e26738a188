// Conversations and their messages (P-DAT-3). Content is sealed before it is written and opened
// only to answer the workspace's own members and keys.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MESSAGE_ROLES, type Data } from '../../../data/index.ts';
import { principalOf } from '../../auth.ts';
import { idempotencyOf, markReplayed } from '../../idempotency.ts';
import { label, MAX_JSON_DEPTH, nestsWithin, page, pageQuery } from '../../schemas.ts';

/** At most this many messages in one append. */
export const MAX_BATCH = 1000;
// A batch of 1,000 long messages is larger than the server's default body limit.
const MESSAGES_BODY_LIMIT = 32 * 1024 * 1024;

const storedContent = z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);
const content = z.union([z.string().max(1_000_000), z.array(z.unknown()), z.record(z.string(), z.unknown())])
  .refine((value) => nestsWithin(value), `content nests deeper than ${MAX_JSON_DEPTH} levels`);
const tokens = z.int().min(0).max(2_147_483_647);
const messageInput = z.object({
  role: z.enum(MESSAGE_ROLES),
  content,
  parentId: z.uuid().optional(),
  model: label().optional(),
  inputTokens: tokens.optional(),
  outputTokens: tokens.optional(),
}).strict();

const conversationSchema = z.object({
  id: z.uuid(),
  title: z.string().nullable(),
  messageCount: z.number(),
  createdBy: z.uuid().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const messageSchema = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  seq: z.number(),
  parentId: z.uuid().nullable(),
  role: z.string(),
  content: storedContent,
  model: z.string().nullable(),
  inputTokens: z.number().nullable(),
  outputTokens: z.number().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.date(),
});
const conversationParams = z.object({ id: z.uuid() });
const messageParams = z.object({ id: z.uuid(), messageId: z.uuid() });

export function registerConversationRoutes(app: FastifyInstance, data: Data): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['conversations'];

  routes.post('/v1/conversations', {
    schema: { tags, summary: 'Starts a conversation (Idempotency-Key honoured)', body: z.object({ title: z.string().min(1).max(1000).optional() }).strict(), response: { 201: conversationSchema } },
  }, async (request, reply) => {
    const { value, replayed } = await data.conversations.create(principalOf(request), request.body, idempotencyOf(request));
    return markReplayed(reply, replayed).status(201).send(value);
  });

  routes.get('/v1/conversations', {
    schema: { tags, summary: "The workspace's conversations, newest first", querystring: pageQuery, response: { 200: page(conversationSchema) } },
  }, async (request) => data.conversations.list(principalOf(request), request.query));

  routes.get('/v1/conversations/:id', {
    schema: { tags, summary: 'One conversation', params: conversationParams, response: { 200: conversationSchema } },
  }, async (request) => data.conversations.get(principalOf(request), request.params.id));

  routes.delete('/v1/conversations/:id', {
    schema: { tags, summary: 'Deletes a conversation and all its messages', params: conversationParams },
  }, async (request, reply) => {
    await data.conversations.delete(principalOf(request), request.params.id);
    return reply.status(204).send();
  });

  routes.post('/v1/conversations/:id/messages', {
    bodyLimit: MESSAGES_BODY_LIMIT,
    schema: {
      tags,
      summary: `Appends one message, or a batch {messages: [...]} of up to ${MAX_BATCH} (Idempotency-Key honoured)`,
      params: conversationParams,
      body: z.union([messageInput, z.object({ messages: z.array(messageInput).min(1).max(MAX_BATCH) }).strict()]),
      response: { 201: z.union([messageSchema, z.object({ items: z.array(messageSchema) })]) },
    },
  }, async (request, reply) => {
    const body = request.body;
    const batch = 'messages' in body;
    const { value, replayed } = await data.messages.append(principalOf(request), request.params.id, batch ? body.messages : [body], idempotencyOf(request));
    return markReplayed(reply, replayed).status(201).send(batch ? { items: value } : value[0]!);
  });

  routes.get('/v1/conversations/:id/messages', {
    schema: { tags, summary: 'Messages in conversation order (cursor pages)', params: conversationParams, querystring: pageQuery, response: { 200: page(messageSchema) } },
  }, async (request) => data.messages.list(principalOf(request), request.params.id, request.query));

  routes.get('/v1/conversations/:id/messages/:messageId', {
    schema: { tags, summary: 'One message', params: messageParams, response: { 200: messageSchema } },
  }, async (request) => data.messages.get(principalOf(request), request.params.id, request.params.messageId));

  routes.delete('/v1/conversations/:id/messages/:messageId', {
    schema: { tags, summary: 'Deletes one message; its replies stay, without a parent', params: messageParams },
  }, async (request, reply) => {
    await data.messages.delete(principalOf(request), request.params.id, request.params.messageId);
    return reply.status(204).send();
  });
}
