// The egress guard against real local HTTPS servers: what it refuses must fail before a
// connection, what it allows must arrive exactly as sent, and no failure may echo a secret.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { inspect } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardedLookup, RefusedAddressError } from '../../src/vault/address-policy.ts';
import { EgressError, parseAllowedRanges, refusedReason, sendOutbound, type EgressPolicy, type OutboundRequest } from '../../src/vault/egress.ts';
import { selfSignedCertificate, type SelfSigned } from '../support/tls.ts';

interface Recorded { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }
interface Recorder { port: number; requests: Recorded[]; connections: number; close(): Promise<void> }
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const CANARY = 'sk-canary-123';
let cert: SelfSigned;
const open: Recorder[] = [];

async function recorder(handler: Handler = (_req, res) => res.end('ok')): Promise<Recorder> {
  const requests: Recorded[] = [];
  const server = https.createServer({ cert: cert.cert, key: fs.readFileSync(cert.keyFile) });
  const rec: Recorder = { port: 0, requests, connections: 0, close: async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  } };
  server.on('connection', () => { rec.connections += 1; });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.port = (server.address() as net.AddressInfo).port;
  open.push(rec);
  return rec;
}

const policy = (over: Partial<EgressPolicy> = {}): EgressPolicy => ({ allowedRanges: ['127.0.0.1/32'], extraCa: cert.cert, timeoutMs: 5000, maxResponseBytes: 1 << 20, ...over });
const get = (url: string, headers: Record<string, string> = {}): OutboundRequest => ({ method: 'GET', url: new URL(url), headers });

async function failure(promise: Promise<unknown>): Promise<EgressError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EgressError);
  return err as EgressError;
}

beforeAll(() => { cert = selfSignedCertificate(); });
afterAll(() => cert.remove());
afterEach(async () => { await Promise.all(open.splice(0).map((r) => r.close())); });

describe('sendOutbound', () => {
  it('delivers an allowed request exactly as sent and returns the response', async () => {
    const server = await recorder((_req, res) => { res.setHeader('x-reply', 'yes'); res.statusCode = 201; res.end('created'); });
    const body = Buffer.from('{"to":"someone"}');
    const res = await sendOutbound({ method: 'POST', url: new URL(`https://127.0.0.1:${server.port}/v1/send?x=1`), headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' }, body }, policy());
    expect(res).toMatchObject({ status: 201, truncated: false, remoteAddress: '127.0.0.1' });
    expect(res.body.toString()).toBe('created');
    expect(res.headers['x-reply']).toBe('yes');
    expect(res.timings.firstByteMs).toBeGreaterThanOrEqual(0);
    expect(res.timings.totalMs).toBeGreaterThanOrEqual(res.timings.firstByteMs ?? 0);
    const [got] = server.requests;
    expect(got).toMatchObject({ method: 'POST', url: '/v1/send?x=1', body });
    expect(got?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t0ken', 'content-length': String(body.length) });
    expect(got?.headers['accept-encoding']).toBeUndefined();
  });

  it('resolves a DNS name through the guarded lookup, with SNI and name verification', async () => {
    const server = await recorder();
    const res = await sendOutbound(get(`https://localhost:${server.port}/`), policy());
    expect(res.status).toBe(200);
    expect(res.remoteAddress).toBe('127.0.0.1');
  });

  it('refuses loopback without an allowed range, and the server sees nothing', async () => {
    const server = await recorder();
    for (const host of ['127.0.0.1', 'localhost']) {
      const err = await failure(sendOutbound(get(`https://${host}:${server.port}/`), policy({ allowedRanges: [] })));
      expect(err.code).toBe('address_refused');
      expect(err.detail).toBe('loopback');
      expect(err.message).toBe('the provider address is not allowed (loopback)');
    }
    expect(server.connections).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it('refuses internal IP literals before connecting', async () => {
    const server = await recorder();
    const cases: Array<[string, string]> = [
      ['10.0.0.1', 'private'], ['169.254.169.254', 'linkLocal'], ['[::1]', 'loopback'], ['0.0.0.0', 'unspecified'],
      [`[::ffff:127.0.0.1]:${server.port}`, 'loopback'], [`2130706433:${server.port}`, 'loopback'], ['100.64.0.1', 'carrierGradeNat'],
      ['255.255.255.255', 'broadcast'], ['224.0.0.1', 'multicast'], ['[64:ff9b::a00:1]', 'rfc6052'],
    ];
    for (const [host, reason] of cases) {
      const started = performance.now();
      const err = await failure(sendOutbound(get(`https://${host}/`), policy({ allowedRanges: [], timeoutMs: 10_000 })));
      expect([host, err.code, err.detail]).toEqual([host, 'address_refused', reason]);
      expect(performance.now() - started).toBeLessThan(100);
    }
    expect(server.connections).toBe(0);
  });

  it('refuses anything but https, and URLs with credentials', async () => {
    for (const url of ['http://127.0.0.1/', 'ftp://example.com/', 'file:///etc/passwd', 'https://user:pass@example.com/', 'https://user@example.com/']) {
      expect((await failure(sendOutbound(get(url), policy()))).code).toBe('invalid_url');
    }
  });

  it('returns a redirect as it is, without following it', async () => {
    const target = await recorder();
    const origin = await recorder((_req, res) => { res.writeHead(302, { location: `https://127.0.0.1:${target.port}/landing` }).end(); });
    const res = await sendOutbound(get(`https://127.0.0.1:${origin.port}/start`), policy());
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`https://127.0.0.1:${target.port}/landing`);
    expect(target.connections).toBe(0);
  });

  it('times out on a server that never answers, and honours the caller\'s signal', async () => {
    const server = await recorder(() => undefined);
    const started = performance.now();
    expect((await failure(sendOutbound(get(`https://127.0.0.1:${server.port}/`), policy({ timeoutMs: 300 })))).code).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(2000);
    // The deadline covers the body too: headers and one chunk, then silence.
    const drip = await recorder((_req, res) => { res.writeHead(200); res.write('first'); });
    expect((await failure(sendOutbound(get(`https://127.0.0.1:${drip.port}/`), policy({ timeoutMs: 300 })))).code).toBe('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failure(sendOutbound(get(`https://127.0.0.1:${server.port}/`), policy(), controller.signal))).code).toBe('aborted');
  });

  it('cuts a large response at maxResponseBytes', async () => {
    const big = Buffer.alloc(2 << 20, 'abcdefgh');
    const server = await recorder((_req, res) => res.end(big));
    const res = await sendOutbound(get(`https://127.0.0.1:${server.port}/`), policy({ maxResponseBytes: 64 << 10 }));
    expect(res.truncated).toBe(true);
    expect(res.body.length).toBe(64 << 10);
    expect(res.body.equals(big.subarray(0, 64 << 10))).toBe(true);
  });

  it('refuses a certificate it does not trust', async () => {
    const server = await recorder();
    const err = await failure(sendOutbound(get(`https://127.0.0.1:${server.port}/`), policy({ extraCa: undefined })));
    expect(err.code).toBe('tls');
    expect(server.requests).toEqual([]);
  });

  it('reports a closed port as a network error', async () => {
    const server = await recorder();
    const { port } = server;
    await server.close();
    open.length = 0;
    const err = await failure(sendOutbound(get(`https://127.0.0.1:${port}/`), policy()));
    expect([err.code, err.detail]).toEqual(['network', 'ECONNREFUSED']);
  });

  it('strips framing headers and leaves compression alone', async () => {
    const gz = zlib.gzipSync('compressed');
    const server = await recorder((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gz));
    const res = await sendOutbound({
      method: 'PUT', url: new URL(`https://127.0.0.1:${server.port}/`), body: Buffer.from('hello'),
      headers: { Host: 'evil.example', 'Content-Length': '999', 'Transfer-Encoding': 'chunked', Connection: 'keep-alive', 'Accept-Encoding': 'gzip' },
    }, policy());
    expect(res.body.equals(gz)).toBe(true);
    const headers = server.requests[0]?.headers;
    expect(headers).toMatchObject({ host: `127.0.0.1:${server.port}`, 'content-length': '5', connection: 'close', 'accept-encoding': 'gzip' });
    expect(headers?.['transfer-encoding']).toBeUndefined();
    expect(server.requests[0]?.body.toString()).toBe('hello');
  });

  it('ignores proxy environment variables', async () => {
    const server = await recorder();
    let proxied = 0;
    const proxy = http.createServer((_req, res) => { proxied += 1; res.end(); }).on('connect', (_req, socket: net.Socket) => { proxied += 1; socket.destroy(); });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    // The plain https.get is the control: it shows the child really has a proxy configured.
    const script = `import https from 'node:https';
      import { sendOutbound } from ${JSON.stringify(new URL('../../src/vault/egress.ts', import.meta.url).href)};
      await new Promise((done) => https.get(process.argv[1], done).on('error', done));
      const r = await sendOutbound({ method: 'GET', url: new URL(process.argv[1]), headers: {} }, { allowedRanges: ['127.0.0.1/32'], extraCa: process.env.CA, timeoutMs: 5000, maxResponseBytes: 1024 });
      console.log(r.status);`;
    const env = { ...process.env, NODE_USE_ENV_PROXY: '1', HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, NO_PROXY: '', CA: cert.cert };
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, ['--input-type=module', '-e', script, `https://127.0.0.1:${server.port}/`], { env }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    proxy.close();
    expect(out.trim()).toBe('200');
    expect(proxied).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('never puts the path, query, header values or body into an error', async () => {
    const server = await recorder(() => undefined);
    const headers = { authorization: `Bearer ${CANARY}` };
    const path = `/v1/${CANARY}?key=${CANARY}`;
    const attempts: Array<Promise<unknown>> = [
      sendOutbound(get(`http://127.0.0.1${path}`, headers), policy()),
      sendOutbound(get(`https://u:${CANARY}@127.0.0.1${path}`, headers), policy()),
      sendOutbound(get(`https://10.0.0.1${path}`, headers), policy()),
      sendOutbound(get(`https://localhost:${server.port}${path}`, headers), policy({ allowedRanges: [] })),
      sendOutbound(get(`https://127.0.0.1:${server.port}${path}`, headers), policy({ timeoutMs: 200 })),
      sendOutbound(get(`https://127.0.0.1:${server.port}${path}`, headers), policy({ extraCa: undefined })),
      sendOutbound(get(`https://127.0.0.1:1${path}`, headers), policy()),
      sendOutbound(get(`https://127.0.0.1:${server.port}${path}`, { 'x-key': `${CANARY}\r\nx-evil: 1` }), policy()),
      sendOutbound({ ...get(`https://127.0.0.1:${server.port}${path}`, headers), method: 'POST', body: Buffer.from(CANARY) }, policy({ timeoutMs: 200 })),
    ];
    const codes: string[] = [];
    // Each is settled into its error at once, so none lies rejected and unobserved meanwhile.
    for (const err of await Promise.all(attempts.map(failure))) {
      codes.push(err.code);
      expect(err.cause).toBeUndefined();
      for (const text of [err.message, String(err.stack), inspect(err), JSON.stringify(err)]) expect(text).not.toContain(CANARY);
    }
    expect(codes).toEqual(['invalid_url', 'invalid_url', 'address_refused', 'address_refused', 'timeout', 'tls', 'network', 'invalid_request', 'timeout']);
  });
});

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'], ['100.64.0.1', 'carrierGradeNat'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['fc00::1', 'uniqueLocal'], ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'], ['ff02::1', 'multicast'], ['2002:7f00:0001::', '6to4'], ['64:ff9b::7f00:1', 'rfc6052'], ['2001:0:4136:e378::1', 'teredo'],
    ['8.8.8.8', null], ['2606:4700:4700::1111', null], ['::ffff:8.8.8.8', null], ['not-an-ip', 'invalid'], ['0x7f.1', 'invalid'],
  ])('%s → %s', (ip, reason) => {
    expect(refusedReason(ip, { allowedRanges: [] })).toBe(reason);
  });

  it('lets an operator allow ranges, v4, v6 and v4-mapped', () => {
    const allowedRanges = ['10.0.0.0/8', 'fd00::/8', '::ffff:192.168.0.0/112'];
    expect(refusedReason('10.9.9.9', { allowedRanges })).toBeNull();
    expect(refusedReason('::ffff:10.9.9.9', { allowedRanges })).toBeNull();
    expect(refusedReason('fd00::5', { allowedRanges })).toBeNull();
    expect(refusedReason('192.168.3.4', { allowedRanges })).toBeNull();
    expect(refusedReason('11.0.0.1', { allowedRanges })).toBeNull();
    expect(refusedReason('127.0.0.1', { allowedRanges })).toBe('loopback');
    expect(refusedReason('fc00::5', { allowedRanges })).toBe('uniqueLocal');
  });

  it('names a bad range when parsing the policy', () => {
    expect(() => parseAllowedRanges(['10.0.0.0/8', '10.0.0.0/33'])).toThrow('"10.0.0.0/33"');
    expect(() => parseAllowedRanges(['localhost'])).toThrow('"localhost"');
  });

  it('the lookup refuses a name if any of its addresses is refused, in both calling forms', async () => {
    const allowed = parseAllowedRanges([]);
    const fake = (addresses: Array<{ address: string; family: number }>) => guardedLookup(allowed, (_h, _o, cb) => cb(null, addresses));
    const call = (lookup: net.LookupFunction, all: boolean) => new Promise<unknown[]>((resolve) => lookup('provider.example', { all }, (...args) => resolve(args)));
    const mixed = fake([{ address: '8.8.8.8', family: 4 }, { address: '10.0.0.1', family: 4 }]);
    for (const all of [true, false]) {
      const [err] = await call(mixed, all);
      expect(err).toBeInstanceOf(RefusedAddressError);
      expect((err as RefusedAddressError).reason).toBe('private');
    }
    const good = fake([{ address: '8.8.8.8', family: 4 }, { address: '2606:4700:4700::1111', family: 6 }]);
    expect(await call(good, true)).toEqual([null, [{ address: '8.8.8.8', family: 4 }, { address: '2606:4700:4700::1111', family: 6 }]]);
    expect(await call(good, false)).toEqual([null, '8.8.8.8', 4]);
  });
});
