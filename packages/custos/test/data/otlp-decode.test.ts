// Decoding OTLP/HTTP trace exports: spans recorded by the real OpenTelemetry JS SDK and
// serialized by the exporters' own serializers (protobuf and JSON) come back exactly as
// recorded; hand-built bodies cover what the SDK never sends (scope attributes, int64
// limits, times near 2^64, unquoted big numbers, enum names). Also: malformed bodies are
// invalid_request without echoing content, bad spans are counted and the rest kept, and
// the response bodies decode with the schema and with the SDK's own response parsers.
import { context, createTraceState, SpanKind, SpanStatusCode, trace, TraceFlags, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import {
  attributeValue,
  decodeTraceRequest,
  encodeExportResponse,
  encodeStatus,
  type AnyValue,
  type DecodedSpan,
  type DecodedTraces,
  type KeyValue,
  type OtlpFormat,
} from '../../src/data/otlp/index.ts';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, otlpRoot, RpcStatus } from '../../src/data/otlp/schema.ts';
import { EVERY_SDK_TYPE, expectedKeyValues, nanos, recordSpans } from '../support/otel.ts';

const FORMATS: OtlpFormat[] = ['protobuf', 'json'];

// --- Spans from the SDK ------------------------------------------------------------------

/** Runs `record` against a fresh SDK pipeline (resource, limits and scope with every field set). */
const recordWithEveryField = (record: (tracer: Tracer, provider: TracerProvider) => void): Promise<ReadableSpan[]> => recordSpans(record, {
  provider: {
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.n': 7, 'deployment.canary': false }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    spanLimits: { attributeCountLimit: 40, eventCountLimit: 3, linkCountLimit: 2 },
  },
  scope: { name: 'custos-test', version: '1.2.3', schemaUrl: 'https://opentelemetry.io/schemas/1.31.0' },
});

function serialize(spans: ReadableSpan[], format: OtlpFormat): Buffer {
  const bytes = (format === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(spans);
  if (!bytes) throw new Error('the serializer returned nothing');
  return Buffer.from(bytes);
}


// OTLP span flags: the W3C trace flags in bits 0-7, bit 8 "is-remote is known", bit 9 "is remote".
const otlpFlags = (traceFlags: number, isRemote: boolean | undefined): number => (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

/** What the decoder must return for a recorded span, built from the SDK's record, not from OTLP. */
function expectedSpan(span: ReadableSpan): DecodedSpan {
  const spanContext = span.spanContext();
  return {
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    traceState: spanContext.traceState?.serialize() ?? '',
    flags: otlpFlags(spanContext.traceFlags, span.parentSpanContext?.isRemote),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: expectedKeyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: nanos(event.time).toString(),
      name: event.name,
      attributes: expectedKeyValues(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      flags: otlpFlags(link.context.traceFlags, link.context.isRemote),
      attributes: expectedKeyValues(link.attributes),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
    resource: { attributes: expectedKeyValues(span.resource.attributes), droppedAttributesCount: 0, schemaUrl: span.resource.schemaUrl ?? '' },
    scope: {
      name: span.instrumentationScope.name,
      version: span.instrumentationScope.version ?? '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: span.instrumentationScope.schemaUrl ?? '',
    },
  };
}

const bySpanId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);

/**
 * A small agent trace under a remote parent: nested spans of every kind, events, links and
 * statuses. Parents are passed explicitly: no context manager is registered in these tests.
 */
function recordAgentTrace(tracer: Tracer): void {
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=opaque,other=1'),
  });
  const root = tracer.startSpan('agent run', { kind: SpanKind.SERVER, attributes: EVERY_SDK_TYPE }, remoteParent);
  const underRoot = trace.setSpan(context.active(), root);
  const plan = tracer.startSpan('plan', { kind: SpanKind.INTERNAL }, underRoot);
  const chat = tracer.startSpan('chat gpt', {
    kind: SpanKind.CLIENT,
    attributes: { 'gen_ai.request.model': 'gpt', 'gen_ai.usage.input_tokens': 42 },
    // Over the limit of two, the SDK drops the oldest link (and below, the oldest event).
    links: [
      { context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: TraceFlags.SAMPLED } },
      { context: root.spanContext(), attributes: { 'link.reason': 'follows', 'link.n': 3, 'link.tags': ['a', 'b'] } },
      { context: { traceId: 'ffffffffffffffffffffffffffffffff', spanId: '0000000000000001', traceFlags: TraceFlags.NONE, isRemote: true } },
    ],
  }, trace.setSpan(context.active(), plan));
  chat.addEvent('dropped');
  chat.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'What is the capital of Portugal?', 'event.bool': false, 'event.double': 0.5 });
  chat.addEvent('no attributes', [1700000000, 123456789]);
  chat.addEvent('third');
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited by the provider' });
  chat.end();
  plan.setStatus({ code: SpanStatusCode.OK });
  plan.end();
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) tracer.startSpan(`queue ${kind}`, { kind }, underRoot).end();
  const crowded = tracer.startSpan('crowded', {}, underRoot);
  for (let i = 0; i < 45; i++) crowded.setAttribute(`attribute.${i}`, i);
  crowded.end();
  root.end();
}

describe('spans from the OpenTelemetry JS SDK', () => {
  for (const format of FORMATS) {
    it(`decode exactly as recorded (${format} serializer)`, async () => {
      const spans = await recordWithEveryField(recordAgentTrace);
      expect(spans).toHaveLength(6);
      const decoded = decodeTraceRequest(serialize(spans, format), format);
      expect(decoded.rejectedSpans).toBe(0);
      expect(decoded.errorMessage).toBe('');
      expect([...decoded.spans].sort(bySpanId)).toEqual(spans.map(expectedSpan).sort(bySpanId));

      // The tree and the edge cases, spelled out rather than only mirrored.
      const byName = new Map(decoded.spans.map((span) => [span.name, span]));
      const root = byName.get('agent run')!;
      const plan = byName.get('plan')!;
      const chat = byName.get('chat gpt')!;
      expect(root.parentSpanId).toBe('b7ad6b7169203331');
      expect(root.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(root.traceState).toBe('vendor=opaque,other=1');
      expect(root.flags).toBe(0x301);
      expect(plan.parentSpanId).toBe(root.spanId);
      expect(plan.flags).toBe(0x101);
      expect(chat.parentSpanId).toBe(plan.spanId);
      expect(decoded.spans.map((span) => span.kind).sort()).toEqual([1, 1, 2, 3, 4, 5]);
      expect(chat.status).toEqual({ code: 2, message: 'rate limited by the provider' });
      expect(plan.status).toEqual({ code: 1, message: '' });
      expect(chat.events.map((event) => event.name)).toEqual(['gen_ai.content.prompt', 'no attributes', 'third']);
      expect(chat.events[1]!.timeUnixNano).toBe('1700000000123456789');
      expect(chat.droppedEventsCount).toBe(1);
      expect(chat.links[1]).toMatchObject({ traceId: 'ffffffffffffffffffffffffffffffff', spanId: '0000000000000001', flags: 0x300 });
      expect(chat.droppedLinksCount).toBe(1);
      expect(byName.get('crowded')!.droppedAttributesCount).toBe(5);
      expect(typeof root.startTimeUnixNano).toBe('bigint');
      expect(root.endTimeUnixNano).toBeGreaterThanOrEqual(root.startTimeUnixNano);
      expect(root.resource.schemaUrl).toBe('https://opentelemetry.io/schemas/1.30.0');
      expect(root.scope).toEqual({ name: 'custos-test', version: '1.2.3', attributes: [], droppedAttributesCount: 0, schemaUrl: 'https://opentelemetry.io/schemas/1.31.0' });
      const value = (key: string) => attributeValue(root.attributes, key);
      expect(value('int.zero')).toEqual({ intValue: '0' });
      expect(value('str.empty')).toEqual({ stringValue: '' });
      expect(value('bool.false')).toEqual({ boolValue: false });
      expect(value('int.negative')).toEqual({ intValue: '-42' });
      expect(value('double.negative')).toEqual({ doubleValue: -0.25 });
      expect(value('bytes')).toEqual({ bytesValue: 'AAH+/w==' });
      expect(value('null')).toEqual({});
      expect(value('map')).toEqual({
        kvlistValue: {
          values: [
            { key: 'model', value: { stringValue: 'gpt' } },
            { key: 'usage', value: { kvlistValue: { values: [{ key: 'input', value: { intValue: '42' } }, { key: 'ratio', value: { doubleValue: 0.5 } }] } } },
            { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'x' }] } } },
            { key: 'none', value: {} },
          ],
        },
      });
    });
  }

  it('decode to the same spans from either serializer', async () => {
    const spans = await recordWithEveryField(recordAgentTrace);
    const fromProtobuf = decodeTraceRequest(serialize(spans, 'protobuf'), 'protobuf');
    const fromJson = decodeTraceRequest(serialize(spans, 'json'), 'json');
    expect(fromJson.spans.sort(bySpanId)).toEqual(fromProtobuf.spans.sort(bySpanId));
  });

  it('share one resource and one scope object per group, as sent', async () => {
    const spans = await recordWithEveryField(recordAgentTrace);
    for (const format of FORMATS) {
      const [first, ...rest] = decodeTraceRequest(serialize(spans, format), format).spans;
      for (const span of rest) {
        expect(span.resource).toBe(first!.resource);
        expect(span.scope).toBe(first!.scope);
      }
    }
  });

  // Where the JS serializers themselves disagree, the decoder reads what each one wrote.
  it('read integers beyond 2^53 as the JSON serializer wrote them, which is not what was recorded', async () => {
    const spans = await recordWithEveryField((tracer) => tracer.startSpan('big', { attributes: { 'int.2^60': 2 ** 60, 'nan': Number.NaN } }).end());
    const fromProtobuf = decodeTraceRequest(serialize(spans, 'protobuf'), 'protobuf').spans[0]!;
    const fromJson = decodeTraceRequest(serialize(spans, 'json'), 'json').spans[0]!;
    // The protobuf serializer writes the double's exact value; JSON.stringify writes its
    // shortest round-trip form, a different integer, which is what the JSON body says.
    expect(attributeValue(fromProtobuf.attributes, 'int.2^60')).toEqual({ intValue: '1152921504606846976' });
    expect(attributeValue(fromJson.attributes, 'int.2^60')).toEqual({ intValue: '1152921504606847000' });
    // NaN survives protobuf (kept in proto3 JSON's spelling); JSON.stringify turns it into null, an unset value.
    expect(attributeValue(fromProtobuf.attributes, 'nan')).toEqual({ doubleValue: 'NaN' });
    expect(attributeValue(fromJson.attributes, 'nan')).toEqual({});
  });

  it('refuse the JSON serializer’s int64 that is out of range, where protobuf sends a double', async () => {
    const spans = await recordWithEveryField((tracer) => tracer.startSpan('huge', { attributes: { 'int.1e21': 1e21 } }).end());
    const fromProtobuf = decodeTraceRequest(serialize(spans, 'protobuf'), 'protobuf').spans[0]!;
    expect(attributeValue(fromProtobuf.attributes, 'int.1e21')).toEqual({ doubleValue: 1e21 });
    expect(serialize(spans, 'json').toString()).toContain('"intValue":1e+21');
    expectInvalid(() => decodeTraceRequest(serialize(spans, 'json'), 'json'));
  });

  it('decode a full batch of 512 spans', async () => {
    const spans = await recordWithEveryField((tracer) => {
      const root = tracer.startSpan('root');
      const underRoot = trace.setSpan(context.active(), root);
      for (let i = 0; i < 511; i++) tracer.startSpan(`child ${i}`, { attributes: { i, 'gen_ai.request.model': 'gpt' } }, underRoot).end();
      root.end();
    });
    for (const format of FORMATS) {
      const decoded = decodeTraceRequest(serialize(spans, format), format);
      expect(decoded.spans).toHaveLength(512);
      expect(new Set(decoded.spans.map((span) => span.spanId)).size).toBe(512);
      expect(new Set(decoded.spans.map((span) => span.traceId)).size).toBe(1);
      expect(decoded.spans.filter((span) => span.parentSpanId === null)).toHaveLength(1);
    }
  });
});

// --- Hand-built bodies -------------------------------------------------------------------

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const PARENT_ID = 'eee19b7ec3c1b173';
const LINK_TRACE_ID = '00000000000000000000000000000001';
const LINK_SPAN_ID = '0000000000000002';

// What the JS SDK cannot send: int64 at its limits, intValue 0 beside doubleValue 0, empty
// bytes and kvlists, unset values deep inside arrays and maps.
const EVERY_VALUE: KeyValue[] = [
  { key: 'string', value: { stringValue: 'hello' } },
  { key: 'string.empty', value: { stringValue: '' } },
  { key: 'bool.true', value: { boolValue: true } },
  { key: 'bool.false', value: { boolValue: false } },
  { key: 'int.zero', value: { intValue: '0' } },
  { key: 'double.zero', value: { doubleValue: 0 } },
  { key: 'int.negative', value: { intValue: '-42' } },
  { key: 'int64.max', value: { intValue: '9223372036854775807' } },
  { key: 'int64.min', value: { intValue: '-9223372036854775808' } },
  { key: 'int.2^53+1', value: { intValue: '9007199254740993' } },
  { key: 'double', value: { doubleValue: -1.25 } },
  { key: 'double.max', value: { doubleValue: Number.MAX_VALUE } },
  { key: 'bytes', value: { bytesValue: 'AAH/gA==' } },
  { key: 'bytes.empty', value: { bytesValue: '' } },
  { key: 'array.empty', value: { arrayValue: { values: [] } } },
  {
    key: 'array.mixed',
    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, { doubleValue: 1.5 }, { boolValue: false }, {}, { arrayValue: { values: [{ intValue: '2' }] } }] } },
  },
  {
    key: 'kvlist',
    value: {
      kvlistValue: {
        values: [
          { key: 'inner', value: { kvlistValue: { values: [{ key: 'deep', value: { bytesValue: 'AQ==' } }] } } },
          { key: 'unset', value: {} },
        ],
      },
    },
  },
  { key: 'kvlist.empty', value: { kvlistValue: { values: [] } } },
  { key: 'unset', value: {} },
];

/** A request in OTLP/JSON's object form, every field set; a fresh copy each time. */
function handBuiltRequest(): Record<string, unknown> {
  return structuredClone({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hand' } }], droppedAttributesCount: 3 },
      schemaUrl: 'https://example.com/resource-schema',
      scopeSpans: [{
        scope: { name: 'hand-scope', version: '2.0', attributes: [{ key: 'scope.attr', value: { boolValue: true } }], droppedAttributesCount: 1 },
        schemaUrl: 'https://example.com/scope-schema',
        spans: [{
          traceId: TRACE_ID,
          spanId: SPAN_ID,
          parentSpanId: PARENT_ID,
          traceState: 'vendor=abc',
          flags: 0x301,
          name: 'hand-built',
          kind: 3,
          startTimeUnixNano: '1700000000000000001',
          endTimeUnixNano: '18446744073709551615',
          attributes: EVERY_VALUE,
          droppedAttributesCount: 4,
          events: [{ timeUnixNano: '18446744073709551614', name: 'event', attributes: [{ key: 'e', value: { intValue: '-1' } }], droppedAttributesCount: 2 }],
          droppedEventsCount: 5,
          links: [{ traceId: LINK_TRACE_ID, spanId: LINK_SPAN_ID, traceState: 'l=1', attributes: [{ key: 'l', value: { doubleValue: 2 } }], droppedAttributesCount: 6, flags: 1 }],
          droppedLinksCount: 7,
          status: { code: 2, message: 'failed' },
        }],
      }],
    }],
  });
}

const HAND_BUILT_RESOURCE = { attributes: [{ key: 'service.name', value: { stringValue: 'hand' } }], droppedAttributesCount: 3, schemaUrl: 'https://example.com/resource-schema' };
const HAND_BUILT_SCOPE = {
  name: 'hand-scope', version: '2.0', attributes: [{ key: 'scope.attr', value: { boolValue: true } }], droppedAttributesCount: 1, schemaUrl: 'https://example.com/scope-schema',
};
const HAND_BUILT_SPAN: DecodedSpan = {
  traceId: TRACE_ID,
  spanId: SPAN_ID,
  parentSpanId: PARENT_ID,
  traceState: 'vendor=abc',
  flags: 0x301,
  name: 'hand-built',
  kind: 3,
  startTimeUnixNano: 1700000000000000001n,
  endTimeUnixNano: 18446744073709551615n,
  attributes: EVERY_VALUE,
  droppedAttributesCount: 4,
  events: [{ timeUnixNano: '18446744073709551614', name: 'event', attributes: [{ key: 'e', value: { intValue: '-1' } }], droppedAttributesCount: 2 }],
  droppedEventsCount: 5,
  links: [{ traceId: LINK_TRACE_ID, spanId: LINK_SPAN_ID, traceState: 'l=1', attributes: [{ key: 'l', value: { doubleValue: 2 } }], droppedAttributesCount: 6, flags: 1 }],
  droppedLinksCount: 7,
  status: { code: 2, message: 'failed' },
  resource: HAND_BUILT_RESOURCE,
  scope: HAND_BUILT_SCOPE,
};

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The same request for protobufjs's fromObject, which takes ids as bytes rather than OTLP/JSON's hex. */
function forProtobuf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(forProtobuf);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [
    key, ID_FIELDS.has(key) && typeof field === 'string' ? Buffer.from(field, 'hex') : forProtobuf(field),
  ]));
}

function encode(request: Record<string, unknown>, format: OtlpFormat): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify(request));
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(forProtobuf(request) as Record<string, unknown>)).finish());
}

/** A request holding these spans (OTLP/JSON object form) under an empty resource and scope. */
const withSpans = (...spans: Record<string, unknown>[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

const validSpan = (overrides: Record<string, unknown> = {}) => ({
  traceId: TRACE_ID, spanId: SPAN_ID, name: 'ok', startTimeUnixNano: '1', endTimeUnixNano: '2', ...overrides,
});

function expectInvalid(decode: () => unknown, ...secrets: string[]): AppError {
  let caught: unknown;
  try {
    decode();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  const error = caught as AppError;
  expect(error.code).toBe('invalid_request');
  for (const secret of secrets) expect(error.message).not.toContain(secret);
  return error;
}

describe('hand-built requests', () => {
  for (const format of FORMATS) {
    it(`decode every field and every kind of value exactly (${format})`, () => {
      const decoded = decodeTraceRequest(encode(handBuiltRequest(), format), format);
      expect(decoded).toEqual({ spans: [HAND_BUILT_SPAN], rejectedSpans: 0, errorMessage: '' });
      const attributes = decoded.spans[0]!.attributes;
      // toEqual treats {} and a missing key alike; these must be exactly what they are.
      expect(Object.keys(attributeValue(attributes, 'unset')!)).toEqual([]);
      expect(attributeValue(attributes, 'int.zero')).toStrictEqual({ intValue: '0' });
      expect(attributeValue(attributes, 'double.zero')).toStrictEqual({ doubleValue: 0 });
      expect(attributeValue(attributes, 'bool.false')).toStrictEqual({ boolValue: false });
      expect(attributeValue(attributes, 'string.empty')).toStrictEqual({ stringValue: '' });
      expect(attributeValue(attributes, 'bytes.empty')).toStrictEqual({ bytesValue: '' });
    });

    it(`decode an empty request as no spans (${format})`, () => {
      const empty: DecodedTraces = { spans: [], rejectedSpans: 0, errorMessage: '' };
      expect(decodeTraceRequest(encode({}, format), format)).toEqual(empty);
      expect(decodeTraceRequest(encode({ resourceSpans: [{ scopeSpans: [] }, { scopeSpans: [{ spans: [] }] }] }, format), format)).toEqual(empty);
    });

    it(`read a missing KeyValue value, resource and scope as empty (${format})`, () => {
      const request = { resourceSpans: [{ scopeSpans: [{ spans: [validSpan({ attributes: [{ key: 'no value' }] })] }] }] };
      const [span] = decodeTraceRequest(encode(request, format), format).spans;
      expect(span!.attributes).toEqual([{ key: 'no value', value: {} }]);
      expect(span!.resource).toEqual({ attributes: [], droppedAttributesCount: 0, schemaUrl: '' });
      expect(span!.scope).toEqual({ name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' });
      expect(span!.parentSpanId).toBeNull();
      expect(span!.status).toEqual({ code: 0, message: '' });
    });

    it(`count bad spans as rejected and keep the others (${format})`, () => {
      const request = withSpans(
        validSpan({ spanId: '0000000000000011' }),
        validSpan({ traceId: TRACE_ID.slice(0, 30) }), // 15 bytes
        validSpan({ traceId: '0'.repeat(32) }),
        validSpan({ traceId: '' }),
        validSpan({ spanId: '0'.repeat(16) }),
        validSpan({ spanId: `${SPAN_ID}00` }), // 9 bytes
        validSpan({ parentSpanId: 'abcd' }),
        validSpan({ kind: 6 }),
        validSpan({ status: { code: 3 } }),
        validSpan({ spanId: '0000000000000012', parentSpanId: PARENT_ID, kind: 5, status: { code: 2 } }),
      );
      const decoded = decodeTraceRequest(encode(request, format), format);
      expect(decoded.spans.map((span) => span.spanId)).toEqual(['0000000000000011', '0000000000000012']);
      expect(decoded.rejectedSpans).toBe(8);
      expect(decoded.errorMessage).toBe(
        '3 spans with an invalid trace id; 2 spans with an invalid span id; 1 span with an invalid parent span id; 1 span with an invalid kind; 1 span with an invalid status code',
      );
    });

    it(`bound nesting at 100 messages in both encodings (${format})`, () => {
      // A span's attribute value is message 5 deep (counting the request as 0); every array
      // level adds two, so 47 levels put the innermost value at 99 and 48 at 101.
      const nested = (levels: number): AnyValue => (levels === 0 ? { stringValue: 'leaf' } : { arrayValue: { values: [nested(levels - 1)] } });
      const body = (levels: number) => (format === 'json' ? encode(withSpans(validSpan({ attributes: [{ key: 'deep', value: nested(levels) }] })), format) : deepProtobuf(levels));
      expect(decodeTraceRequest(body(47), format).spans[0]!.attributes[0]!.value).toEqual(nested(47));
      expectInvalid(() => decodeTraceRequest(body(48), format));
    });
  }

  it('read OTLP/JSON ids in either case and enums by name', () => {
    const request = withSpans(validSpan({
      traceId: TRACE_ID.toUpperCase(),
      spanId: SPAN_ID.toUpperCase(),
      parentSpanId: PARENT_ID.toUpperCase(),
      kind: 'SPAN_KIND_SERVER',
      status: { code: 'STATUS_CODE_ERROR', message: 'm' },
      links: [{ traceId: TRACE_ID.toUpperCase(), spanId: 'ABCDEF0123456789' }],
    }));
    const [span] = decodeTraceRequest(encode(request, 'json'), 'json').spans;
    expect(span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: PARENT_ID, kind: 2, status: { code: 2, message: 'm' } });
    expect(span!.links[0]).toMatchObject({ traceId: TRACE_ID, spanId: 'abcdef0123456789' });

    const unknownName = decodeTraceRequest(encode(withSpans(validSpan({ kind: 'SPAN_KIND_SIDEWAYS' })), 'json'), 'json');
    expect(unknownName).toMatchObject({ spans: [], rejectedSpans: 1, errorMessage: '1 span with an invalid kind' });
  });

  it('reject OTLP/JSON spans whose ids are not hex, links included', () => {
    const request = withSpans(
      validSpan({ traceId: 'W47+95gDgQPSabYzgT/GDA==' }), // base64, as plain proto3 JSON would have it
      validSpan({ spanId: 'zzzzzzzzzzzzzzzz' }),
      validSpan({ parentSpanId: 'eee19b7ec3c1b17' }), // odd length
      validSpan({ links: [{ traceId: TRACE_ID, spanId: 'not hex!' }] }),
      validSpan(),
    );
    const decoded = decodeTraceRequest(encode(request, 'json'), 'json');
    expect(decoded.spans).toHaveLength(1);
    expect(decoded.rejectedSpans).toBe(4);
    expect(decoded.errorMessage).toBe('1 span with an invalid trace id; 1 span with an invalid span id; 1 span with an invalid parent span id; 1 span with an invalid link id');
  });

  it('read unquoted 64-bit numbers in OTLP/JSON exactly, beyond 2^53 too', () => {
    const quoted = decodeTraceRequest(encode(handBuiltRequest(), 'json'), 'json');
    // Unquote every 64-bit value in the raw text: JSON.parse alone would round these.
    const text = JSON.stringify(handBuiltRequest()).replace(/"(startTimeUnixNano|endTimeUnixNano|timeUnixNano|intValue)":"(-?\d+)"/g, '"$1":$2');
    expect(text).toContain('"endTimeUnixNano":18446744073709551615');
    expect(text).toContain('"intValue":9223372036854775807');
    expect(text).toContain('"intValue":9007199254740993');
    expect(decodeTraceRequest(Buffer.from(text), 'json')).toEqual(quoted);
  });

  it('read proto3 JSON spellings: numbers as strings, exponents, nulls, special doubles, URL-safe base64', () => {
    const request = withSpans(validSpan({
      parentSpanId: null,
      traceState: null,
      flags: '257',
      startTimeUnixNano: 1e3,
      endTimeUnixNano: '2e3',
      droppedAttributesCount: '7',
      status: null,
      events: null,
      attributes: [
        { key: 'exp', value: { intValue: 1.5e3 } },
        { key: 'exp.string', value: { intValue: '25e-1' } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
        { key: 'double.string', value: { doubleValue: '0.5' } },
        { key: 'url-safe', value: { bytesValue: '_-8' } },
        { key: 'null member', value: { stringValue: null } },
      ],
    }));
    const text = JSON.stringify(request).replace('"25e-1"', '"2.5e1"');
    const [span] = decodeTraceRequest(Buffer.from(text), 'json').spans;
    expect(span).toMatchObject({ parentSpanId: null, traceState: '', flags: 257, startTimeUnixNano: 1000n, endTimeUnixNano: 2000n, droppedAttributesCount: 7, status: { code: 0, message: '' }, events: [] });
    expect(span!.attributes).toEqual([
      { key: 'exp', value: { intValue: '1500' } },
      { key: 'exp.string', value: { intValue: '25' } },
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'inf', value: { doubleValue: '-Infinity' } },
      { key: 'double.string', value: { doubleValue: 0.5 } },
      { key: 'url-safe', value: { bytesValue: '/+8=' } },
      { key: 'null member', value: {} },
    ]);
  });

  it('ignore unknown fields in both encodings', () => {
    const request = handBuiltRequest();
    const resourceSpans = (request.resourceSpans as Record<string, unknown>[])[0]!;
    resourceSpans.unknownField = { nested: [1, 2, 3] };
    const span = ((resourceSpans.scopeSpans as Record<string, unknown>[])[0]!.spans as Record<string, unknown>[])[0]!;
    span.futureField = 'x';
    (span.attributes as Record<string, unknown>[])[0]!.value = { stringValue: 'hello', futureValue: 1 };
    expect(decodeTraceRequest(encode(request, 'json'), 'json').spans).toEqual([HAND_BUILT_SPAN]);

    // Protobuf: field 15 (varint) and field 16 (length-delimited) at the top level.
    const withUnknown = Buffer.concat([encode(handBuiltRequest(), 'protobuf'), Buffer.from([0x78, 0x01, 0x82, 0x01, 0x02, 0xaa, 0xbb])]);
    expect(decodeTraceRequest(withUnknown, 'protobuf').spans).toEqual([HAND_BUILT_SPAN]);
  });

  it('take the last oneof member on the protobuf wire, as proto3 says', () => {
    const AnyValueType = otlpRoot.lookupType('opentelemetry.proto.common.v1.AnyValue');
    const twoMembers = Buffer.concat([
      AnyValueType.encode({ stringValue: 'first' }).finish(),
      AnyValueType.encode({ intValue: 5 }).finish(),
    ]);
    const body = spanWithRawAttribute(Buffer.concat([field(1, Buffer.from('k')), field(2, twoMembers)]));
    expect(decodeTraceRequest(body, 'protobuf').spans[0]!.attributes).toStrictEqual([{ key: 'k', value: { intValue: '5' } }]);
  });
});

const SpanType = otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span');

/** A request whose one span carries these KeyValue bytes as an attribute; built by hand, past what protobufjs would encode. */
function spanWithRawAttribute(keyValue: Buffer): Buffer {
  const span = Buffer.concat([SpanType.encode(SpanType.fromObject(forProtobuf(validSpan()) as Record<string, unknown>)).finish(), field(9, keyValue)]);
  return field(1, field(2, field(2, span)));
}

/** An attribute of `levels` arrays nested around a string (protobufjs refuses to encode that deep). */
function deepProtobuf(levels: number): Buffer {
  let value = field(1, Buffer.from('leaf'));
  for (let i = 0; i < levels; i++) value = field(5, field(1, value));
  return spanWithRawAttribute(Buffer.concat([field(1, Buffer.from('deep')), field(2, value)]));
}

/** One length-delimited protobuf field (tag, varint length, bytes). */
function field(number: number, bytes: Buffer): Buffer {
  const length: number[] = [];
  let rest = bytes.length;
  do {
    length.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
    rest >>>= 7;
  } while (rest > 0);
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...length]), bytes]);
}

describe('malformed bodies', () => {
  it('are invalid_request in protobuf, without echoing content', async () => {
    const spans = await recordWithEveryField((tracer) => tracer.startSpan('s3cret-span-name', { attributes: { secret: 's3cret-value' } }).end());
    const body = serialize(spans, 'protobuf');
    expectInvalid(() => decodeTraceRequest(body.subarray(0, body.length - 3), 'protobuf'), 's3cret');
    expectInvalid(() => decodeTraceRequest(Buffer.from('{"resourceSpans":[]}'), 'protobuf'));
    expectInvalid(() => decodeTraceRequest(Buffer.from([0x0a, 0x05, 0x01]), 'protobuf')); // length beyond the end
    expectInvalid(() => decodeTraceRequest(Buffer.from([0x0b]), 'protobuf')); // a group that never ends
    expectInvalid(() => decodeTraceRequest(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'protobuf')); // varint too long
    // A span name that is not UTF-8.
    const badName = field(1, field(2, field(2, Buffer.from([0x2a, 0x02, 0xc3, 0x28]))));
    expectInvalid(() => decodeTraceRequest(badName, 'protobuf'));
  });

  const malformedJson: Array<[string, string | Buffer]> = [
    ['not JSON', '{"resourceSpans": ['],
    ['empty', ''],
    ['not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['an array', '[]'],
    ['a string', '"s3cret"'],
    ['null', 'null'],
    ['resourceSpans not an array', '{"resourceSpans":{"s3cret":1}}'],
    ['a null resourceSpans element', '{"resourceSpans":[null]}'],
    ['scopeSpans not an array', '{"resourceSpans":[{"scopeSpans":"s3cret"}]}'],
    ['a span that is a string', JSON.stringify(withSpans('s3cret' as never))],
    ['a name that is a number', JSON.stringify(withSpans(validSpan({ name: 12345 })))],
    ['an id that is a number', JSON.stringify(withSpans(validSpan({ traceId: 12345 })))],
    ['attributes not an array', JSON.stringify(withSpans(validSpan({ attributes: { s3cret: 1 } })))],
    ['an attribute key that is a number', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 1, value: {} }] })))],
    ['a value with two members', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { stringValue: 's3cret', intValue: '1' } }] })))],
    ['a value that is a string', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: 's3cret' }] })))],
    ['a stringValue that is a number', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { stringValue: 1 } }] })))],
    ['a boolValue that is a string', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { boolValue: 'true' } }] })))],
    ['an intValue with a fraction', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { intValue: 1.5 } }] })))],
    ['an intValue that is text', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { intValue: 's3cret' } }] })))],
    ['an intValue above int64', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { intValue: '9223372036854775808' } }] })))],
    ['an unquoted intValue above int64', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { intValue: 'X' } }] }))).replace('"X"', '9223372036854775808')],
    ['an intValue with a huge exponent', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { intValue: '1e999999' } }] })))],
    ['a doubleValue that is text', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { doubleValue: 's3cret' } }] })))],
    ['invalid base64', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { bytesValue: 's3cret!' } }] })))],
    ['misplaced base64 padding', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { bytesValue: 'AQ=' } }] })))],
    ['an arrayValue that is an array', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { arrayValue: [] } }] })))],
    ['a kvlistValue with a bad element', JSON.stringify(withSpans(validSpan({ attributes: [{ key: 'k', value: { kvlistValue: { values: [7] } } }] })))],
    ['a time that is text', JSON.stringify(withSpans(validSpan({ startTimeUnixNano: 's3cret' })))],
    ['a negative time', JSON.stringify(withSpans(validSpan({ startTimeUnixNano: '-1' })))],
    ['a time above 2^64-1', JSON.stringify(withSpans(validSpan({ endTimeUnixNano: '18446744073709551616' })))],
    ['an unquoted negative time', JSON.stringify(withSpans(validSpan({ endTimeUnixNano: 'X' }))).replace('"X"', '-1')],
    ['an unquoted negative time beyond 2^53', JSON.stringify(withSpans(validSpan({ endTimeUnixNano: 'X' }))).replace('"X"', '-18446744073709551615')],
    ['deep nesting beside a number that needs its source text', `{"junk":${'['.repeat(100_000)}${']'.repeat(100_000)},${JSON.stringify(withSpans(validSpan({ endTimeUnixNano: 'X' }))).slice(1).replace('"X"', '18446744073709551615')}`],
    ['an unquoted time above 2^64-1', JSON.stringify(withSpans(validSpan({ endTimeUnixNano: 'X' }))).replace('"X"', '18446744073709551616')],
    ['an event time with a fraction', JSON.stringify(withSpans(validSpan({ events: [{ timeUnixNano: '1.5' }] })))],
    ['flags above uint32', JSON.stringify(withSpans(validSpan({ flags: 4294967296 })))],
    ['a negative dropped count', JSON.stringify(withSpans(validSpan({ droppedAttributesCount: -1 })))],
    ['a kind that is a boolean', JSON.stringify(withSpans(validSpan({ kind: true })))],
    ['a status that is a string', JSON.stringify(withSpans(validSpan({ status: 's3cret' })))],
    ['a link that is null', JSON.stringify(withSpans(validSpan({ links: [null] })))],
    ['a malformed span beside a rejected one', JSON.stringify(withSpans(validSpan({ traceId: '', name: 1 })))],
  ];
  for (const [name, body] of malformedJson) {
    it(`are invalid_request in JSON: ${name}`, () => {
      expectInvalid(() => decodeTraceRequest(Buffer.isBuffer(body) ? body : Buffer.from(body), 'json'), 's3cret');
    });
  }

  it('name the field at fault in JSON, not its content', () => {
    const error = expectInvalid(() => decodeTraceRequest(Buffer.from(JSON.stringify(withSpans(validSpan({ startTimeUnixNano: 's3cret' })))), 'json'), 's3cret');
    expect(error.message).toBe('Invalid OTLP/JSON: span.startTimeUnixNano must be an unsigned 64-bit integer.');
  });
});

describe('attributeValue', () => {
  it('finds a value by key, or nothing', () => {
    const attributes: KeyValue[] = [{ key: 'a', value: { intValue: '0' } }, { key: 'b', value: {} }];
    expect(attributeValue(attributes, 'a')).toEqual({ intValue: '0' });
    expect(attributeValue(attributes, 'b')).toEqual({});
    expect(attributeValue(attributes, 'c')).toBeUndefined();
    expect(attributeValue([], 'a')).toBeUndefined();
  });
});

describe('response bodies', () => {
  it('encode full success as the empty ExportTraceServiceResponse', () => {
    const protobuf = encodeExportResponse('protobuf', 0, '');
    expect(protobuf.length).toBe(0);
    expect(ExportTraceServiceResponse.decode(protobuf).toJSON()).toEqual({});
    expect(encodeExportResponse('json', 0, '').toString()).toBe('{}');
  });

  it('encode partial success, readable by the schema and by the SDK’s own response parsers', () => {
    const message = '2 spans with an invalid trace id';
    const protobuf = encodeExportResponse('protobuf', 2, message);
    const decoded = ExportTraceServiceResponse.decode(protobuf) as unknown as { partialSuccess: { rejectedSpans: { toString(): string }; errorMessage: string } };
    expect(decoded.partialSuccess.rejectedSpans.toString()).toBe('2');
    expect(decoded.partialSuccess.errorMessage).toBe(message);
    expect(ProtobufTraceSerializer.deserializeResponse(protobuf)).toMatchObject({ partialSuccess: { errorMessage: message } });
    expect(Number(ProtobufTraceSerializer.deserializeResponse(protobuf).partialSuccess?.rejectedSpans)).toBe(2);

    const json = encodeExportResponse('json', 2, message);
    expect(json.toString()).toBe(`{"partialSuccess":{"rejectedSpans":"2","errorMessage":"${message}"}}`);
    expect(JsonTraceSerializer.deserializeResponse(json)).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: message } });
  });

  it('encode a google.rpc.Status for failures', () => {
    const protobuf = RpcStatus.decode(encodeStatus('protobuf', 3, 'The body is not valid.')).toJSON();
    expect(protobuf).toEqual({ code: 3, message: 'The body is not valid.' });
    expect(JSON.parse(encodeStatus('json', 3, 'The body is not valid.').toString())).toEqual({ code: 3, message: 'The body is not valid.' });
    expect(encodeStatus('json', 14, 'Try again.').toString()).toBe('{"code":14,"message":"Try again."}');
  });
});
