// Hostile requests for one operation: a plausible request (operations.ts) with one piece broken,
// or thrown away entirely. Wrong types, missing and extra fields, huge and deeply nested values,
// NUL and lone surrogates, bad uuids and cursors, wrong content types, broken gzip and protobuf,
// and every way of saying who is calling.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { plausible, type KnownIds, type Operation, type Parameter } from './operations.ts';

export interface Caller {
  session: Record<string, string>;
  apiKey: Record<string, string>;
}

export interface FuzzRequest {
  method: Operation['method'];
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What was broken, for the failure message. */
  what: string;
}

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
};

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'x\u0000y', '\u0000', 'a\ud800b', '\udfff', '\ud83d', '😀'.repeat(50), '%00', '../../etc/passwd', "'; drop table people; --",
    '<script>alert(1)</script>', '${jndi:x}', '\r\nset-cookie: x=1', 'null', 'undefined', 'NaN', '-1', '1e309', '0x10', '  padded  '),
  fc.constantFrom('x'.repeat(10_000), 'y'.repeat(300_000)),
  fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-00000000000g', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', '00000000-0000-4000-8000-000000000000\u0000'),
  fc.constantFrom('2024-13-45T25:61:61Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '0000-00-00', '9999999999999'),
  fc.base64String({ maxLength: 64 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url')),
);

/** Any JSON value an attacker might put where something else belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  fc.constantFrom(null, true, false, 0, -1, 2 ** 31, 2 ** 53 + 1, -1e308, 1e308, 0.5, -0),
  fc.integer(),
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(nested(40), nested(70), nested(200), nested(2_000)),
  fc.constantFrom([], {}, [[]], { '': '' }, { __proto__: { admin: true } }, { constructor: { prototype: { x: 1 } } }),
  fc.array(hostileString, { maxLength: 5 }),
  fc.constantFrom(Array.from({ length: 5_000 }, (_, i) => i), Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]))),
);

/** A raw body that is not what the content type says. */
const hostileRaw = fc.oneof(
  fc.constantFrom('', '{', '[1,]', '{"a":1,}', 'nul', '"unterminated', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '\u0000', '{"__proto__":{"x":1}}',
    '['.repeat(20_000) + ']'.repeat(20_000), '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), '1'.repeat(400), '-', '1e999999'),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/xml',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/x-protobuf', 'application/octet-stream', 'application/jsonx', ''];

function segment(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  // A lone surrogate has no UTF-8: send the bytes a careless encoder would (invalid UTF-8).
  return text.isWellFormed() ? encodeURIComponent(text) : `${encodeURIComponent(text.toWellFormed())}%ED%A0%80`;
}

function pathArbitrary(operation: Operation, known: KnownIds): fc.Arbitrary<{ path: string; broken: string | null }> {
  const params = operation.parameters.filter((p) => p.in === 'path');
  if (params.length === 0) return fc.constant({ path: operation.path, broken: null });
  const value = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known.uuids) }, fc.uuid(), fc.constantFrom('a'.repeat(32), 'ab'.repeat(16), 'AB'.repeat(8)), hostileString);
  return fc.tuple(...params.map(() => value)).map((values) => {
    let path = operation.path;
    params.forEach((param, i) => (path = path.replace(`{${param.name}}`, segment(values[i]))));
    return { path, broken: params.map((p, i) => `${p.name}=${JSON.stringify(values[i])?.slice(0, 40)}`).join(' ') };
  });
}

function queryArbitrary(params: Parameter[], known: KnownIds): fc.Arbitrary<string> {
  const query = params.filter((p) => p.in === 'query');
  if (query.length === 0) return fc.constantFrom('', '?x=1', '?limit=1&limit=2', '?%zz');
  return fc.array(fc.tuple(fc.constantFrom(...query.map((p) => p.name), 'unknown'), fc.oneof(hostileValue, fc.constantFrom(plausible(query[0]!.schema, known)))), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([name, value]) => `${name}=${segment(value)}`).join('&')}` : ''));
}

/** The body: plausible, then one field broken, dropped or added, or the whole body replaced. */
function bodyArbitrary(operation: Operation, known: KnownIds): fc.Arbitrary<{ payload: string | Buffer | undefined; contentType: string; what: string }> {
  const base = plausible(operation.body, known);
  const fields = base && typeof base === 'object' && !Array.isArray(base) ? Object.keys(base) : [];
  const json = (value: unknown, what: string) => ({ payload: JSON.stringify(value) ?? 'null', contentType: 'application/json', what });
  const variants: Array<fc.Arbitrary<{ payload: string | Buffer | undefined; contentType: string; what: string }>> = [
    fc.constant(json(base, 'plausible')),
    hostileValue.map((value) => json(value, 'the whole body replaced')),
    hostileRaw.map((raw) => ({ payload: raw, contentType: 'application/json', what: `raw ${JSON.stringify(raw.slice(0, 30))}` })),
    fc.tuple(fc.constantFrom(...CONTENT_TYPES), fc.oneof(hostileRaw, fc.constant(JSON.stringify(base) ?? ''))).map(([contentType, raw]) => ({ payload: raw, contentType, what: `as ${contentType || 'no type'}` })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/json', what: 'random bytes' })),
    fc.constant({ payload: undefined, contentType: '', what: 'no body' }),
    fc.tuple(fc.string({ maxLength: 20 }), hostileValue).map(([name, value]) => json({ ...(base as object), [name || 'extra']: value }, `extra field ${JSON.stringify(name)}`)),
  ];
  if (fields.length > 0) {
    variants.push(
      fc.tuple(fc.constantFrom(...fields), hostileValue).map(([field, value]) => json({ ...(base as object), [field]: value }, `${field} broken`)),
      fc.constantFrom(...fields).map((field) => {
        const { [field]: _dropped, ...rest } = base as Record<string, unknown>;
        return json(rest, `${field} missing`);
      }),
    );
  }
  return fc.oneof(...variants);
}

/** What the OTLP receiver is sent: protobuf or JSON, compressed or not, broken in every way. */
const otlpBody = fc.oneof(
  fc.uint8Array({ maxLength: 500 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/x-protobuf', gzip: false, what: 'random protobuf' })),
  fc.uint8Array({ maxLength: 500 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/x-protobuf', gzip: true, what: 'gzip of random protobuf' })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/json', gzip: 'broken' as const, what: 'broken gzip' })),
  hostileRaw.map((raw) => ({ payload: Buffer.from(raw), contentType: 'application/json', gzip: false, what: 'raw json' })),
  hostileValue.map((value) => ({ payload: Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [value] }] }] })), contentType: 'application/json', gzip: false, what: 'hostile span' })),
  hostileValue.map((value) => ({ payload: Buffer.from(JSON.stringify({ resourceSpans: value })), contentType: 'application/json', gzip: true, what: 'hostile resourceSpans, gzip' })),
);

export function requestArbitrary(operation: Operation, known: KnownIds, caller: Caller): fc.Arbitrary<FuzzRequest> {
  // Read when each request is made: a caller signed in again (keepCallerAlive) is used from then on.
  const who: fc.Arbitrary<{ headers: Record<string, string>; what: string }> = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).map(() => ({ headers: { ...caller.session }, what: 'session' })) },
    { weight: 3, arbitrary: fc.constant(null).map(() => ({ headers: { ...caller.apiKey }, what: 'api key' })) },
    fc.constant(null).map(() => ({ headers: { cookie: caller.session.cookie ?? '' }, what: 'session without origin' })),
    fc.constant({ headers: { authorization: 'Bearer csk_not-a-real-key' }, what: 'bad key' }),
    fc.constant({ headers: {}, what: 'nobody' }),
  );
  const isOtlp = operation.path.startsWith('/otlp');
  const body = isOtlp
    ? otlpBody.map(({ payload, contentType, gzip, what }) => ({
      payload: gzip === true ? zlib.gzipSync(payload) : payload, contentType, what,
      encoding: gzip === false ? undefined : 'gzip',
    }))
    : operation.method === 'GET' || operation.method === 'DELETE'
      ? fc.oneof(fc.constant({ payload: undefined, contentType: '', what: 'no body', encoding: undefined }), bodyArbitrary(operation, known).map((b) => ({ ...b, encoding: undefined })))
      : bodyArbitrary(operation, known).map((b) => ({ ...b, encoding: undefined }));
  return fc.tuple(pathArbitrary(operation, known), queryArbitrary(operation.parameters, known), body, who).map(([path, query, b, caller]) => ({
    method: operation.method,
    url: `${path.path}${query}`,
    headers: { ...caller.headers, ...(b.contentType ? { 'content-type': b.contentType } : {}), ...(b.encoding ? { 'content-encoding': b.encoding } : {}) },
    ...(b.payload === undefined ? {} : { payload: b.payload }),
    what: `${caller.what}; ${path.broken ?? ''} ${query.slice(0, 60)}; ${b.what}`,
  }));
}
