// Traces read back (P-DAT-2): pages of traces filtered by time, service and model, and one trace's
// spans as a tree, attributes in OTLP/JSON's lossless form. Spans arrive at /otlp/v1/traces.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Data } from '../../../data/index.ts';
import { principalOf } from '../../auth.ts';
import { label, page, pageQuery } from '../../schemas.ts';

// Attribute values are OTLP/JSON AnyValues ({stringValue}, {intValue: "…"}, {arrayValue}, …).
const keyValues = z.array(z.object({ key: z.string(), value: z.unknown() }));
const nanos = z.string().describe('nanoseconds since the Unix epoch, as a decimal string');

const spanNode = z.object({
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  name: z.string(),
  kind: z.number(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  status: z.object({ code: z.number(), message: z.string() }),
  traceState: z.string(),
  flags: z.number(),
  attributes: keyValues,
  droppedAttributesCount: z.number(),
  events: z.array(z.object({ timeUnixNano: nanos, name: z.string(), attributes: keyValues, droppedAttributesCount: z.number() })),
  droppedEventsCount: z.number(),
  links: z.array(z.object({ traceId: z.string(), spanId: z.string(), traceState: z.string(), flags: z.number(), attributes: keyValues, droppedAttributesCount: z.number() })),
  droppedLinksCount: z.number(),
  resource: z.object({ attributes: keyValues, droppedAttributesCount: z.number(), schemaUrl: z.string() }),
  scope: z.object({ name: z.string(), version: z.string(), attributes: keyValues, droppedAttributesCount: z.number(), schemaUrl: z.string() }),
  serviceName: z.string().nullable(),
  operation: z.string().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  inputTokens: z.number().nullable(),
  outputTokens: z.number().nullable(),
  get children(): z.ZodArray<typeof spanNode> {
    return z.array(spanNode);
  },
});

const traceSummary = z.object({
  traceId: z.string(),
  name: z.string().nullable(),
  startTime: z.date(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  spanCount: z.number(),
  errorCount: z.number(),
  services: z.array(z.string()),
  models: z.array(z.string()),
  inputTokens: z.number(),
  outputTokens: z.number(),
});

const traceParams = z.object({ traceId: z.string().regex(/^[0-9a-fA-F]{32}$/).transform((id) => id.toLowerCase()) });

export function registerTraceRoutes(app: FastifyInstance, data: Data): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['traces'];

  routes.get('/v1/traces', {
    schema: {
      tags,
      summary: 'Traces, latest first, filtered by start time (from inclusive, to exclusive), service and model',
      querystring: pageQuery.extend({
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        service: label().optional(),
        model: label().optional(),
      }),
      response: { 200: page(traceSummary) },
    },
  }, async (request) => data.traces.list(principalOf(request), request.query));

  routes.get('/v1/traces/:traceId', {
    schema: { tags, summary: "One trace's spans as a tree", params: traceParams, response: { 200: z.object({ traceId: z.string(), spans: z.array(spanNode) }) } },
  }, async (request) => data.traces.get(principalOf(request), request.params.traceId));

  routes.delete('/v1/traces/:traceId', {
    schema: { tags, summary: 'Deletes a trace and its spans', params: traceParams },
  }, async (request, reply) => {
    await data.traces.delete(principalOf(request), request.params.traceId);
    return reply.status(204).send();
  });
}
