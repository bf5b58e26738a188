// Spans from the real OpenTelemetry JS SDK, for the decoder and receiver tests: a recording
// pipeline, every attribute value the SDK accepts, and the OTLP/JSON AnyValue each must come back as.
import type { Tracer } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { AnyValue, KeyValue } from '../../src/data/otlp/index.ts';

type ProviderOptions = Omit<NonNullable<ConstructorParameters<typeof TracerProvider>[0]>, 'spanProcessors'>;

/** Runs `record` against a fresh SDK pipeline and returns the finished spans. */
export async function recordSpans(
  record: (tracer: Tracer, provider: TracerProvider) => void,
  options: { provider?: ProviderOptions; scope?: { name: string; version?: string; schemaUrl?: string } } = {},
): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ ...options.provider, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const scope = options.scope ?? { name: 'custos-test' };
  record(provider.getTracer(scope.name, scope.version, scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : undefined), provider);
  // SimpleSpanProcessor exports asynchronously in sdk-trace 3.
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

// Every attribute value the SDK accepts: AnyValue since sdk-trace 3, so bytes, maps,
// heterogeneous arrays and null too.
export const EVERY_SDK_TYPE = {
  'str': 'hello',
  'str.empty': '',
  'int.zero': 0,
  'int.negative': -42,
  'int.max-safe': Number.MAX_SAFE_INTEGER,
  'int.min-safe': Number.MIN_SAFE_INTEGER,
  'double': 1.5,
  'double.negative': -0.25,
  'double.tiny': 5e-324,
  'bool.false': false,
  'bool.true': true,
  'array.str': ['a', '', 'c'],
  'array.int': [1, 0, -3],
  'array.double': [0.5, 2.25],
  'array.bool': [true, false],
  'array.empty': [],
  'array.mixed': ['a', 1, 2.5, false, null, [1, 'nested']],
  'bytes': new Uint8Array([0, 1, 254, 255]),
  'bytes.empty': new Uint8Array(0),
  'map': { model: 'gpt', usage: { input: 42, ratio: 0.5 }, tags: ['x'], none: null },
  'map.empty': {},
  'null': null,
};

/** The OTLP/JSON AnyValue a recorded JS value must decode to. */
export function expectedValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: BigInt(value).toString() } : { doubleValue: value };
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(expectedValue) } };
  return { kvlistValue: { values: expectedKeyValues(value as Record<string, unknown>) } };
}

export function expectedKeyValues(attributes: Record<string, unknown> | undefined): KeyValue[] {
  return Object.entries(attributes ?? {}).map(([key, value]) => ({ key, value: expectedValue(value) }));
}

/** An SDK time ([seconds, nanoseconds]) in nanoseconds since the epoch. */
export const nanos = (time: readonly [number, number]): bigint => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
