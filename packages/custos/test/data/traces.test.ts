// Traces over OTLP (P-DAT-2): the real OpenTelemetry JS SDK with both HTTP exporters (JSON and
// protobuf, gzip or not) sends spans to a listening custos, and GET /v1/traces/:id reads the tree
// back intact, attributes of every type included. Also: the receiver's refusals, partial success,
// retries stored once, filters and pages, isolation (P-TEN-1) and the audit trail (P-AUD-1).
import zlib from 'node:zlib';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { auditRows, verifyAudit } from '../support/audit.ts';
import { ENGINE } from '../support/database.ts';
import { EVERY_SDK_TYPE, expectedKeyValues, nanos, recordSpans } from '../support/otel.ts';
import { asBrowser, createKey, signUp, type Person } from '../support/people.ts';

let t: TestApp;
let base: string;
let alice: Person;
let aliceKey: { id: string; key: string };
let bobKey: { id: string; key: string };

beforeAll(async () => {
  t = await startTestApp();
  base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  alice = await signUp(t);
  aliceKey = await createKey(t.app.http, asBrowser(t, alice.cookie));
  const bob = await signUp(t);
  bobKey = await createKey(t.app.http, asBrowser(t, bob.cookie));
});
afterAll(async () => t?.close());

const byKey = (key: { key: string }) => ({ authorization: `Bearer ${key.key}` });

const nanoText = (time: [number, number]) => nanos(time).toString();

/** Records a small agent trace with the SDK, every attribute type on its root; returns its finished spans. */
function recordAgentTrace(service: string, model: string): Promise<ReadableSpan[]> {
  return recordSpans((tracer) => {
    tracer.startActiveSpan('agent run', { kind: SpanKind.SERVER, attributes: EVERY_SDK_TYPE as unknown as Attributes }, (root) => {
      // No global context manager is registered: children name their parent's context.
      const parent = trace.setSpan(context.active(), root);
      const chat = tracer.startSpan(`chat ${model}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model, 'gen_ai.usage.input_tokens': 42, 'gen_ai.usage.output_tokens': 7 },
        links: [{ context: root.spanContext(), attributes: { 'link.reason': 'follows', 'link.n': 3 } }],
      }, parent);
      chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'What is the capital of Portugal?', 'event.bool': false });
      chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited by the provider' });
      chat.end();
      const tool = tracer.startSpan('execute_tool lookup', { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.operation.name': 'execute_tool' } }, parent);
      tool.end();
      root.end();
    });
  }, {
    provider: { resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' }) },
    scope: { name: 'custos-test-agent', version: '1.2.3' },
  });
}

type Exporter = JsonExporter | ProtoExporter;
function exportWith(exporter: Exporter, spans: ReadableSpan[]): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

const EXPORTERS: Array<{ name: string; make: (headers: Record<string, string>) => Exporter }> = [
  { name: 'exporter-trace-otlp-http (JSON)', make: (headers) => new JsonExporter({ url: `${base}/otlp/v1/traces`, headers }) },
  { name: 'exporter-trace-otlp-http (JSON, gzip)', make: (headers) => new JsonExporter({ url: `${base}/otlp/v1/traces`, headers, compression: 'gzip' as never }) },
  { name: 'exporter-trace-otlp-proto (protobuf)', make: (headers) => new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers }) },
  { name: 'exporter-trace-otlp-proto (protobuf, gzip)', make: (headers) => new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers, compression: 'gzip' as never }) },
];

interface Node { spanId: string; name: string; kind: number; attributes: unknown[]; children: Node[]; [key: string]: unknown }

describe(`traces over OTLP on ${ENGINE}`, () => {
  for (const { name, make } of EXPORTERS) {
    it(`P-DAT-2: spans sent by ${name} come back as the same tree, attributes of every type intact`, async () => {
      const model = `gpt-test-${name.length}`;
      const spans = await recordAgentTrace('chat-api', model);
      const exporter = make(byKey(aliceKey));
      expect(await exportWith(exporter, spans)).toMatchObject({ code: 0 });
      await exporter.shutdown();

      const [root, chat, tool] = [spans.find((s) => s.name === 'agent run')!, spans.find((s) => s.name.startsWith('chat'))!, spans.find((s) => s.name.startsWith('execute_tool'))!];
      const traceId = root.spanContext().traceId;
      const res = await t.app.http.inject({ url: `/v1/traces/${traceId}`, headers: byKey(aliceKey) });
      expect(res.statusCode).toBe(200);
      const tree = res.json() as { traceId: string; spans: Node[] };
      expect(tree.spans).toHaveLength(1);
      const [gotRoot] = tree.spans;
      expect(gotRoot).toMatchObject({
        spanId: root.spanContext().spanId, parentSpanId: null, name: 'agent run', kind: 2,
        startTimeUnixNano: nanoText(root.startTime), endTimeUnixNano: nanoText(root.endTime),
        serviceName: 'chat-api', scope: { name: 'custos-test-agent', version: '1.2.3' },
      });
      expect(gotRoot!.attributes).toEqual(expectedKeyValues(EVERY_SDK_TYPE));
      expect(gotRoot!.resource).toMatchObject({ attributes: expect.arrayContaining([{ key: 'service.name', value: { stringValue: 'chat-api' } }, { key: 'deployment.environment', value: { stringValue: 'test' } }]) });
      expect(gotRoot!.children.map((c) => c.name).sort()).toEqual([chat.name, tool.name].sort());
      const gotChat = gotRoot!.children.find((c) => c.spanId === chat.spanContext().spanId)!;
      expect(gotChat).toMatchObject({
        kind: 3, status: { code: 2, message: 'rate limited by the provider' },
        operation: 'chat', provider: 'openai', model, inputTokens: 42, outputTokens: 7,
        events: [{ name: 'gen_ai.content.prompt', timeUnixNano: nanoText(chat.events[0]!.time), attributes: expectedKeyValues(chat.events[0]!.attributes) }],
        links: [{ traceId, spanId: root.spanContext().spanId, attributes: expectedKeyValues({ 'link.reason': 'follows', 'link.n': 3 }) }],
      });
      expect(gotChat.attributes).toEqual(expectedKeyValues(chat.attributes));

      const listed = (await t.app.http.inject({ url: `/v1/traces?model=${model}`, headers: byKey(aliceKey) })).json();
      expect(listed.items).toEqual([expect.objectContaining({ traceId, name: 'agent run', spanCount: 3, errorCount: 1, services: ['chat-api'], models: [model], inputTokens: 42, outputTokens: 7 })]);
    });
  }

  it('P-DAT-2: a retried export stores each span once', async () => {
    const spans = await recordAgentTrace('retry-service', 'gpt-retry');
    const exporter = new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers: byKey(aliceKey) });
    expect((await exportWith(exporter, spans)).code).toBe(0);
    expect((await exportWith(exporter, spans)).code).toBe(0);
    await exporter.shutdown();
    const listed = (await t.app.http.inject({ url: '/v1/traces?service=retry-service', headers: byKey(aliceKey) })).json();
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ spanCount: 3, inputTokens: 42 });
  });

  it('P-DAT-2: NaN and the infinities survive storage, in proto3 JSON’s spelling', async () => {
    const spans = await recordSpans((tracer) => {
      tracer.startSpan('doubles', { attributes: { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY } }).end();
    });
    const exporter = new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers: byKey(aliceKey) });
    expect((await exportWith(exporter, spans)).code).toBe(0);
    await exporter.shutdown();
    const tree = (await t.app.http.inject({ url: `/v1/traces/${spans[0]!.spanContext().traceId}`, headers: byKey(aliceKey) })).json();
    expect(tree.spans[0].attributes).toEqual([
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'inf', value: { doubleValue: 'Infinity' } },
      { key: 'ninf', value: { doubleValue: '-Infinity' } },
    ]);
  });

  it('P-DAT-2: a span with an invalid id is rejected with a partial-success answer; the others are stored', async () => {
    const traceId = 'ab'.repeat(16);
    const span = (spanId: string) => ({ traceId, spanId, name: 'json span', kind: 1, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000500000000' });
    const body = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [span('0123456789abcdef'), span('0000'), span('0000000000000000')] }] }] };
    const res = await t.app.http.inject({ method: 'POST', url: '/otlp/v1/traces', headers: { ...byKey(aliceKey), 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().partialSuccess).toMatchObject({ rejectedSpans: '2' });
    expect(String(res.json().partialSuccess.errorMessage)).not.toContain('json span');
    const tree = (await t.app.http.inject({ url: `/v1/traces/${traceId}`, headers: byKey(aliceKey) })).json();
    expect(tree.spans.map((s: Node) => s.spanId)).toEqual(['0123456789abcdef']);
  });

  it('the receiver refuses what it must: no key, a session, bad bodies, other encodings, a gzip bomb', async () => {
    const post = (headers: Record<string, string>, payload: Buffer | string) => t.app.http.inject({ method: 'POST', url: '/otlp/v1/traces', headers, payload });
    const proto = { 'content-type': 'application/x-protobuf' };
    const noKey = await post(proto, Buffer.alloc(0));
    expect(noKey.statusCode).toBe(401);
    expect(noKey.headers['content-type']).toMatch(/^application\/x-protobuf/);
    const bySession = await post({ ...proto, ...asBrowser(t, alice.cookie) }, Buffer.alloc(0));
    expect(bySession.statusCode).toBe(403);
    const malformed = await post({ ...proto, ...byKey(aliceKey) }, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(malformed.statusCode).toBe(400);
    const badJson = await post({ 'content-type': 'application/json', ...byKey(aliceKey) }, '{"resourceSpans": [');
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toMatch(/invalid_(request|json)/);
    const text = await post({ 'content-type': 'text/plain', ...byKey(aliceKey) }, 'spans');
    expect(text.statusCode).toBe(415);
    const brotli = await post({ ...proto, ...byKey(aliceKey), 'content-encoding': 'br' }, zlib.brotliCompressSync(Buffer.alloc(10)));
    expect(brotli.statusCode).toBe(415);
    const notGzip = await post({ ...proto, ...byKey(aliceKey), 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'));
    expect(notGzip.statusCode).toBe(400);
    const bomb = zlib.gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const inflated = await post({ ...proto, ...byKey(aliceKey), 'content-encoding': 'gzip' }, bomb);
    expect(inflated.statusCode).toBe(413);
    const empty = await post({ ...proto, ...byKey(aliceKey) }, Buffer.alloc(0));
    expect(empty.statusCode).toBe(200);
  });

  it('P-DAT-2: traces are listed latest first in cursor pages, filtered by service, model and time', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    const exporter = new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers: byKey(key) });
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const spans = await recordAgentTrace(i % 2 ? 'odd' : 'even', `model-${i}`);
      sent.push(spans[0]!.spanContext().traceId);
      expect((await exportWith(exporter, spans)).code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await exporter.shutdown();
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ traceId: string }>; nextCursor: string | null } = (await t.app.http.inject({ url: `/v1/traces?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: byKey(key) })).json();
      all.push(...page.items.map((item) => item.traceId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toEqual([...sent].reverse());
    const odd = (await t.app.http.inject({ url: '/v1/traces?service=odd', headers: byKey(key) })).json();
    expect(odd.items.map((item: { traceId: string }) => item.traceId)).toEqual([sent[3], sent[1]]);
    const model = (await t.app.http.inject({ url: '/v1/traces?model=model-2', headers: byKey(key) })).json();
    expect(model.items.map((item: { traceId: string }) => item.traceId)).toEqual([sent[2]]);
    const future = (await t.app.http.inject({ url: `/v1/traces?from=${new Date(Date.now() + 60_000).toISOString()}`, headers: byKey(key) })).json();
    expect(future.items).toEqual([]);
    const past = (await t.app.http.inject({ url: `/v1/traces?to=${new Date(Date.now() + 60_000).toISOString()}&service=even`, headers: byKey(key) })).json();
    expect(past.items).toHaveLength(3);
    expect((await t.app.http.inject({ url: '/v1/traces?from=yesterday', headers: byKey(key) })).statusCode).toBe(400);
  });

  it('P-TEN-1: another workspace’s trace is 404 on every route and absent from its lists', async () => {
    const spans = await recordAgentTrace('isolated-service', 'gpt-isolated');
    const exporter = new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers: byKey(aliceKey) });
    expect((await exportWith(exporter, spans)).code).toBe(0);
    await exporter.shutdown();
    const traceId = spans[0]!.spanContext().traceId;
    expect((await t.app.http.inject({ url: `/v1/traces/${traceId}`, headers: byKey(bobKey) })).statusCode).toBe(404);
    expect((await t.app.http.inject({ method: 'DELETE', url: `/v1/traces/${traceId}`, headers: byKey(bobKey) })).statusCode).toBe(404);
    expect((await t.app.http.inject({ url: '/v1/traces?service=isolated-service', headers: byKey(bobKey) })).json().items).toEqual([]);
    // Bob's key sending the same ids stores them in Bob's workspace, leaving Alice's trace as it was.
    const intruder = new ProtoExporter({ url: `${base}/otlp/v1/traces`, headers: byKey(bobKey) });
    expect((await exportWith(intruder, spans)).code).toBe(0);
    await intruder.shutdown();
    expect((await t.app.http.inject({ url: `/v1/traces/${traceId}`, headers: byKey(aliceKey) })).json().spans[0].children).toHaveLength(2);
    expect((await t.app.http.inject({ method: 'DELETE', url: `/v1/traces/${traceId}`, headers: byKey(bobKey) })).statusCode).toBe(204);
    expect((await t.app.http.inject({ url: `/v1/traces/${traceId}`, headers: byKey(aliceKey) })).statusCode).toBe(200);
  });

  it('P-AUD-1: each export request is one audit entry with counts, no content; deletion too; the chain verifies', async () => {
    const person = await signUp(t);
    const key = await createKey(t.app.http, asBrowser(t, person.cookie));
    const spans = await recordAgentTrace('audited-service', 'gpt-audited');
    const exporter = new JsonExporter({ url: `${base}/otlp/v1/traces`, headers: byKey(key) });
    expect((await exportWith(exporter, spans)).code).toBe(0);
    expect((await exportWith(exporter, spans)).code).toBe(0);
    await exporter.shutdown();
    const traceId = spans[0]!.spanContext().traceId;
    await t.app.http.inject({ method: 'DELETE', url: `/v1/traces/${traceId}`, headers: byKey(key) });
    const rows = (await auditRows(t, person.personalWorkspaceId)).filter((r) => r.action.startsWith('trace'));
    expect(rows).toEqual([
      expect.objectContaining({ action: 'traces.ingested', actor_id: person.personId, details: expect.objectContaining({ spans: 3, traces: 1, rejected: 0, duplicates: 0 }) }),
      expect.objectContaining({ action: 'traces.ingested', details: expect.objectContaining({ spans: 0, duplicates: 3 }) }),
      expect.objectContaining({ action: 'trace.deleted', target_id: traceId, details: expect.objectContaining({ spans: 3 }) }),
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/capital of Portugal|agent run/);
    expect(await verifyAudit(t, person.personalWorkspaceId)).toBeNull();
  });
});
