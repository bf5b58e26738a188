// A decoded span as it is stored: ids, times, status and the queryable GenAI fields in clear
// columns; everything else (name, attributes, events, links, resource, scope, status message,
// trace state) in one sealed JSON document, one envelope per span.
import { attributeValue, type AnyValue, type DecodedSpan, type KeyValue } from '../otlp/index.ts';

/** The sealed part of a span. */
export interface SpanContent {
  name: string;
  traceState: string;
  flags: number;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: DecodedSpan['events'];
  droppedEventsCount: number;
  links: DecodedSpan['links'];
  droppedLinksCount: number;
  statusMessage: string;
  resource: DecodedSpan['resource'];
  scope: DecodedSpan['scope'];
}

/** The clear columns of a span row. */
export interface SpanColumns {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  statusCode: number;
  serviceName: string | null;
  operation: string | null;
  provider: string | null;
  model: string | null;
  inputTokens: string | null;
  outputTokens: string | null;
}

// Postgres bigint: nanosecond times up to the year 2262.
const MAX_BIGINT = 2n ** 63n - 1n;
// Longer names are cut rather than refused: they are labels to filter by, not content.
const MAX_LABEL = 200;

/** Whether a span's times fit the table (bigint); a span that does not is rejected. */
export function timesFit(span: DecodedSpan): boolean {
  return span.startTimeUnixNano <= MAX_BIGINT && span.endTimeUnixNano <= MAX_BIGINT;
}

export function spanColumns(span: DecodedSpan): SpanColumns {
  const attrs = span.attributes;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    statusCode: span.status.code,
    serviceName: label(attributeValue(span.resource.attributes, 'service.name')),
    // The OpenTelemetry GenAI semantic conventions, with the names older instrumentations still send.
    operation: label(attributeValue(attrs, 'gen_ai.operation.name')),
    provider: label(attributeValue(attrs, 'gen_ai.provider.name') ?? attributeValue(attrs, 'gen_ai.system')),
    model: label(attributeValue(attrs, 'gen_ai.response.model') ?? attributeValue(attrs, 'gen_ai.request.model')),
    inputTokens: count(attributeValue(attrs, 'gen_ai.usage.input_tokens') ?? attributeValue(attrs, 'gen_ai.usage.prompt_tokens')),
    outputTokens: count(attributeValue(attrs, 'gen_ai.usage.output_tokens') ?? attributeValue(attrs, 'gen_ai.usage.completion_tokens')),
  };
}

export function spanContent(span: DecodedSpan): SpanContent {
  return {
    name: span.name,
    traceState: span.traceState,
    flags: span.flags,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events,
    droppedEventsCount: span.droppedEventsCount,
    links: span.links,
    droppedLinksCount: span.droppedLinksCount,
    statusMessage: span.status.message,
    resource: span.resource,
    scope: span.scope,
  };
}

function label(value: AnyValue | undefined): string | null {
  if (!value || !('stringValue' in value)) return null;
  // Postgres text cannot hold NUL; the full value is kept in the sealed attributes.
  const text = value.stringValue.replaceAll('\u0000', '').slice(0, MAX_LABEL);
  return text === '' ? null : text;
}

// A count beyond this is not a real token count; it is kept in the sealed attributes only, so
// that summing the counts of a trace cannot overflow.
const MAX_TOKENS = 2 ** 31 - 1;

function count(value: AnyValue | undefined): string | null {
  if (!value) return null;
  const n = 'intValue' in value ? Number(value.intValue) : 'doubleValue' in value && typeof value.doubleValue === 'number' ? value.doubleValue : NaN;
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_TOKENS ? String(n) : null;
}
