// The normalized form of an OTLP trace export, the same whichever encoding it arrived in.
// Attribute values keep OTLP/JSON's AnyValue shape so that they round-trip without loss.

/** OTLP/JSON's AnyValue, the lossless form custos stores and returns. int64 as a decimal string, bytes as base64. */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | NonFiniteDouble }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | { bytesValue: string }
  | Record<string, never>; // an unset AnyValue (empty oneof), kept as {}

/**
 * NaN and the infinities as proto3's JSON mapping writes them: JSON has no such numbers, and a
 * stored or returned NaN would otherwise come back as null.
 */
export type NonFiniteDouble = 'NaN' | 'Infinity' | '-Infinity';

export function jsonDouble(value: number): number | NonFiniteDouble {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface DecodedEvent {
  timeUnixNano: string;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface DecodedLink {
  traceId: string;
  spanId: string;
  traceState: string;
  flags: number;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface DecodedResource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface DecodedScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface DecodedSpan {
  traceId: string; // 32 lowercase hex
  spanId: string; // 16 lowercase hex
  parentSpanId: string | null;
  traceState: string;
  flags: number;
  name: string;
  kind: number; // 0..5 as in the spec
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: DecodedEvent[];
  droppedEventsCount: number;
  links: DecodedLink[];
  droppedLinksCount: number;
  status: { code: number; message: string };
  // Shared by every span of the same ResourceSpans / ScopeSpans: the same object, not a copy.
  resource: DecodedResource;
  scope: DecodedScope;
}

export interface DecodedTraces {
  spans: DecodedSpan[];
  rejectedSpans: number;
  errorMessage: string;
}

export type OtlpFormat = 'protobuf' | 'json';

/** The value of the first attribute with this key (OTLP requires keys to be unique). */
export function attributeValue(attributes: KeyValue[], key: string): AnyValue | undefined {
  for (const attribute of attributes) if (attribute.key === key) return attribute.value;
  return undefined;
}
