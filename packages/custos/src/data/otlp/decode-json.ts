// OTLP/JSON -> the normalized form, checked by hand rather than with zod: the checks are
// the proto3 JSON mapping's (null means unset, 64-bit integers as strings or numbers, enums
// as numbers or names) plus OTLP's own rule that ids are hex, and every one of them is on
// the per-span hot path. Field names are lowerCamelCase only, as OTLP/JSON requires;
// unknown fields are ignored. Error messages name the field, never its content.
import { AppError } from '../../core/errors.ts';
import { integerFromLiteral, NEEDS_SOURCE_TEXT, NumberLiteral, parseJsonExact } from './json-numbers.ts';
import { type RejectReason, Rejections, parentOf, spanProblem } from './rejections.ts';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from './schema.ts';
import { jsonDouble, type AnyValue, type DecodedLink, type DecodedResource, type DecodedScope, type DecodedSpan, type DecodedTraces, type KeyValue } from './types.ts';

type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeJsonTraces(body: Uint8Array): DecodedTraces {
  let text: string;
  let parsed: unknown;
  try {
    text = utf8.decode(body);
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('invalid_request', 'The body is not valid UTF-8 JSON.');
  }
  try {
    return readRequest(parsed);
  } catch (error) {
    if (error !== NEEDS_SOURCE_TEXT) throw error;
  }
  let exact: unknown;
  try {
    exact = parseJsonExact(text);
  } catch {
    // The text parsed once already, so this is the reviver's recursion running out of stack
    // on nesting far deeper than any OTLP request has.
    throw new AppError('invalid_request', 'The body is nested too deeply.');
  }
  try {
    return readRequest(exact);
  } catch (error) {
    // Only a runtime without JSON.parse source text access gets here: a bug, not a bad body.
    if (error === NEEDS_SOURCE_TEXT) throw new Error('JSON.parse gave no source text for a number beyond 2^53', { cause: error });
    throw error;
  }
}

function readRequest(parsed: unknown): DecodedTraces {
  const request = message(parsed, 'the request');
  if (request === null) throw invalid('the request', 'a JSON object');
  const spans: DecodedSpan[] = [];
  const rejections = new Rejections();
  for (const item of list(request.resourceSpans, 'resourceSpans')) {
    const resourceSpans = element(item, 'resourceSpans');
    const resourceMessage = message(resourceSpans.resource, 'resource');
    const resource: DecodedResource = {
      attributes: keyValues(resourceMessage?.attributes, 3),
      droppedAttributesCount: uint32(resourceMessage?.droppedAttributesCount, 'resource.droppedAttributesCount'),
      schemaUrl: string(resourceSpans.schemaUrl, 'resourceSpans.schemaUrl'),
    };
    for (const scopeItem of list(resourceSpans.scopeSpans, 'scopeSpans')) {
      const scopeSpans = element(scopeItem, 'scopeSpans');
      const scopeMessage = message(scopeSpans.scope, 'scope');
      const scope: DecodedScope = {
        name: string(scopeMessage?.name, 'scope.name'),
        version: string(scopeMessage?.version, 'scope.version'),
        attributes: keyValues(scopeMessage?.attributes, 4),
        droppedAttributesCount: uint32(scopeMessage?.droppedAttributesCount, 'scope.droppedAttributesCount'),
        schemaUrl: string(scopeSpans.schemaUrl, 'scopeSpans.schemaUrl'),
      };
      for (const spanItem of list(scopeSpans.spans, 'spans')) {
        const span = readSpan(element(spanItem, 'spans'), resource, scope);
        if (typeof span === 'string') rejections.add(span);
        else spans.push(span);
      }
    }
  }
  return { spans, rejectedSpans: rejections.count, errorMessage: rejections.message() };
}

/** The span, or why it is rejected. Every field is checked first: a malformed body fails whole. */
function readSpan(span: JsonObject, resource: DecodedResource, scope: DecodedScope): DecodedSpan | RejectReason {
  const traceId = hexId(span.traceId, 'span.traceId');
  const spanId = hexId(span.spanId, 'span.spanId');
  const parentSpanId = hexId(span.parentSpanId, 'span.parentSpanId');
  const kind = enumValue(span.kind, 'span.kind', SPAN_KIND_NAMES);
  const status = message(span.status, 'span.status');
  const statusCode = status === null ? 0 : enumValue(status.code, 'span.status.code', STATUS_CODE_NAMES);
  const statusMessage = status === null ? '' : string(status.message, 'span.status.message');
  let badLinkId = false;
  const links = list(span.links, 'span.links').map((item): DecodedLink => {
    const link = element(item, 'span.links');
    const linkTraceId = hexId(link.traceId, 'link.traceId');
    const linkSpanId = hexId(link.spanId, 'link.spanId');
    if (linkTraceId === null || linkSpanId === null) badLinkId = true;
    return {
      traceId: linkTraceId ?? '',
      spanId: linkSpanId ?? '',
      traceState: string(link.traceState, 'link.traceState'),
      flags: uint32(link.flags, 'link.flags'),
      attributes: keyValues(link.attributes, 5),
      droppedAttributesCount: uint32(link.droppedAttributesCount, 'link.droppedAttributesCount'),
    };
  });
  const decoded: DecodedSpan = {
    traceId: traceId ?? '',
    spanId: spanId ?? '',
    parentSpanId: parentOf(parentSpanId ?? ''),
    traceState: string(span.traceState, 'span.traceState'),
    flags: uint32(span.flags, 'span.flags'),
    name: string(span.name, 'span.name'),
    kind,
    startTimeUnixNano: fixed64(span.startTimeUnixNano, 'span.startTimeUnixNano'),
    endTimeUnixNano: fixed64(span.endTimeUnixNano, 'span.endTimeUnixNano'),
    attributes: keyValues(span.attributes, 4),
    droppedAttributesCount: uint32(span.droppedAttributesCount, 'span.droppedAttributesCount'),
    events: list(span.events, 'span.events').map((item) => {
      const event = element(item, 'span.events');
      return {
        timeUnixNano: fixed64(event.timeUnixNano, 'event.timeUnixNano').toString(),
        name: string(event.name, 'event.name'),
        attributes: keyValues(event.attributes, 5),
        droppedAttributesCount: uint32(event.droppedAttributesCount, 'event.droppedAttributesCount'),
      };
    }),
    droppedEventsCount: uint32(span.droppedEventsCount, 'span.droppedEventsCount'),
    links,
    droppedLinksCount: uint32(span.droppedLinksCount, 'span.droppedLinksCount'),
    status: { code: statusCode, message: statusMessage },
    resource,
    scope,
  };
  return spanProblem(traceId, spanId, parentSpanId, kind, statusCode) ?? (badLinkId ? 'link id' : decoded);
}

// Nesting is bounded like protobufjs bounds it for the binary form (100 messages deep,
// counting the request as 0), so that one attribute decodes in both encodings or in neither.
const MAX_DEPTH = 100;

/** `depth` is the message depth of the KeyValues themselves (a span's are at 4). */
function keyValues(value: unknown, depth: number): KeyValue[] {
  const items = list(value, 'attributes');
  if (items.length === 0) return [];
  if (depth > MAX_DEPTH) throw tooDeep();
  const out = new Array<KeyValue>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = element(items[i], 'attributes');
    out[i] = { key: string(item.key, 'attribute key'), value: anyValue(item.value, depth + 1) };
  }
  return out;
}

function anyValue(value: unknown, depth: number): AnyValue {
  const any = message(value, 'attribute value');
  if (any === null) return {};
  if (depth > MAX_DEPTH) throw tooDeep();
  let out: AnyValue = {};
  let set = 0;
  // null means unset in proto3 JSON, also for a oneof member.
  if (any.stringValue != null) {
    out = { stringValue: string(any.stringValue, 'stringValue') };
    set++;
  }
  if (any.boolValue != null) {
    if (typeof any.boolValue !== 'boolean') throw invalid('boolValue', 'a boolean');
    out = { boolValue: any.boolValue };
    set++;
  }
  if (any.intValue != null) {
    out = { intValue: int64(any.intValue, 'intValue') };
    set++;
  }
  if (any.doubleValue != null) {
    out = { doubleValue: jsonDouble(double(any.doubleValue, 'doubleValue')) };
    set++;
  }
  if (any.arrayValue != null) {
    const array = message(any.arrayValue, 'arrayValue')!;
    if (depth + 1 > MAX_DEPTH) throw tooDeep();
    const items = list(array.values, 'arrayValue.values');
    out = { arrayValue: { values: items.map((item) => anyValue(element(item, 'arrayValue.values'), depth + 2)) } };
    set++;
  }
  if (any.kvlistValue != null) {
    const kvlist = message(any.kvlistValue, 'kvlistValue')!;
    if (depth + 1 > MAX_DEPTH) throw tooDeep();
    out = { kvlistValue: { values: keyValues(kvlist.values, depth + 2) } };
    set++;
  }
  if (any.bytesValue != null) {
    out = { bytesValue: base64(any.bytesValue, 'bytesValue') };
    set++;
  }
  if (set > 1) throw invalid('attribute value', 'at most one of its value fields');
  return out;
}

function invalid(field: string, expected: string): AppError {
  return new AppError('invalid_request', `Invalid OTLP/JSON: ${field} must be ${expected}.`);
}

function tooDeep(): AppError {
  return new AppError('invalid_request', `Invalid OTLP/JSON: attribute values are nested more than ${MAX_DEPTH} messages deep.`);
}

/** A message field: null when unset. */
function message(value: unknown, field: string): JsonObject | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof NumberLiteral) throw invalid(field, 'an object');
  return value as JsonObject;
}

/** An element of a repeated message field, where null is not allowed. */
function element(value: unknown, field: string): JsonObject {
  const object = message(value, field);
  if (object === null) throw invalid(field, 'a list of objects');
  return object;
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(field, 'an array');
  return value;
}

function string(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw invalid(field, 'a string');
  return value;
}

const MAX_UINT32 = 0xffffffff;

function uint32(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_UINT32) return value;
  if (typeof value === 'string') {
    const parsed = integerFromLiteral(value);
    if (parsed !== null && parsed >= 0n && parsed <= BigInt(MAX_UINT32)) return Number(parsed);
  }
  throw invalid(field, 'an unsigned 32-bit integer');
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

function int64(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  const exact = exactInteger(value, field, 'a signed 64-bit integer');
  if (exact < MIN_INT64 || exact > MAX_INT64) throw invalid(field, 'a signed 64-bit integer');
  return exact.toString();
}

function fixed64(value: unknown, field: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  const exact = exactInteger(value, field, 'an unsigned 64-bit integer');
  if (exact < 0n || exact > MAX_UINT64) throw invalid(field, 'an unsigned 64-bit integer');
  return exact;
}

/** A 64-bit field's value beyond the safe-integer fast path; checks that it is an integer. */
function exactInteger(value: unknown, field: string, expected: string): bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return BigInt(value);
    if (Number.isInteger(value)) throw NEEDS_SOURCE_TEXT; // beyond 2^53: the double may have rounded it
    throw invalid(field, expected);
  }
  const text = typeof value === 'string' ? value : value instanceof NumberLiteral ? value.source : null;
  const exact = text === null ? null : integerFromLiteral(text);
  if (exact === null) throw invalid(field, expected);
  return exact;
}

const SPECIAL_DOUBLES: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function double(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (value instanceof NumberLiteral) return value.value;
  if (typeof value === 'string') {
    const special = Object.hasOwn(SPECIAL_DOUBLES, value) ? SPECIAL_DOUBLES[value] : undefined;
    if (special !== undefined) return special;
    if (NUMBER_TEXT.test(value)) return Number(value);
  }
  throw invalid(field, 'a number');
}

/** An enum as its number or its name. An unknown name or a number out of range is kept as -1 or as is, for the span check to reject. */
function enumValue(value: unknown, field: string, names: readonly string[]): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (value instanceof NumberLiteral) return -1;
  if (typeof value === 'string') return names.indexOf(value);
  throw invalid(field, 'an enum number or name');
}

const HEX = /^(?:[0-9a-f]{2})*$/;

/** A trace or span id: lowercase hex ('' when unset), or null when the string is not hex. */
function hexId(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw invalid(field, 'a hex string');
  const lower = value.toLowerCase();
  return HEX.test(lower) ? lower : null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

/** Standard or URL-safe base64, padded or not (proto3 JSON accepts all four), returned in the standard padded form. */
function base64(value: unknown, field: string): string {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw invalid(field, 'base64');
  }
  const bytes = Buffer.from(value, 'base64');
  const canonical = bytes.toString('base64');
  // Padding, where given, must be where the standard puts it.
  if (value.includes('=') && value.length !== canonical.length) throw invalid(field, 'base64');
  return canonical;
}
