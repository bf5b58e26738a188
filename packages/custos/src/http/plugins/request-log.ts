// One log line per request: id, method, route pattern, status, duration (P-LOG-1). The pattern
// (/v1/conversations/:id), never the URL: paths and query strings can carry ids and content.
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'request-id';
const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** A caller's request id is kept when it is harmless to log, so that traces join up. */
export function requestIdFrom(header: string | string[] | undefined, generate: () => string): string {
  return typeof header === 'string' && INCOMING_ID.test(header) ? header : generate();
}

export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.is404 ? null : request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}
