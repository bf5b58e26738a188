// The Idempotency-Key header of POST routes that create: read and checked here, honoured in the
// data layer's transaction (data/idempotency.ts). A replayed answer says so in a header.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { IdempotencyRequest } from '../data/index.ts';
import { principalOf } from './auth.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
// Visible ASCII, as the IETF draft and Stripe allow; a UUID is the usual choice.
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The request's idempotency claim, or undefined when it sent no key. */
export function idempotencyOf(request: FastifyRequest): IdempotencyRequest | undefined {
  const key = request.headers[IDEMPOTENCY_HEADER];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new AppError('invalid_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return {
    key,
    personId: principalOf(request).personId,
    fingerprint: JSON.stringify([request.method, request.routeOptions.url, request.params, request.body]),
  };
}

export function markReplayed(reply: FastifyReply, replayed: boolean): FastifyReply {
  return replayed ? reply.header(REPLAYED_HEADER, 'true') : reply;
}
