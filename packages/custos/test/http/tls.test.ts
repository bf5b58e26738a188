import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { selfSignedCertificate, type SelfSigned } from '../support/tls.ts';

let cert: SelfSigned;
let direct: TestApp;
let proxied: TestApp;
let port: number;

beforeAll(async () => {
  cert = selfSignedCertificate();
  direct = await startTestApp({ config: { tls: { certFile: cert.certFile, keyFile: cert.keyFile }, publicUrl: new URL('https://localhost') } });
  await direct.app.http.listen({ port: 0, host: '127.0.0.1' });
  port = (direct.app.http.server.address() as AddressInfo).port;
  proxied = await startTestApp({ config: { publicUrl: new URL('https://custos.example'), trustProxy: true } });
});
afterAll(async () => {
  await direct?.close();
  await proxied?.close();
  cert?.remove();
});

function get(path: string, options: https.RequestOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, ca: cert.cert, servername: 'localhost', agent: false, ...options }, (res) => {
      const protocol = (res.socket as tls.TLSSocket).getProtocol() ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, protocol }));
    });
    req.on('error', reject);
  });
}

describe(`TLS on ${ENGINE}`, () => {
  it('P-ENC-2: custos serves HTTPS itself with TLS 1.3 and sends HSTS', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.protocol).toBe('TLSv1.3');
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  });

  it('P-ENC-2: a client limited to TLS 1.2 is refused', async () => {
    await expect(get('/healthz', { maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol|version|alert/i);
  });

  it('P-ENC-2: behind a proxy, a request that arrived over plain HTTP is sent to HTTPS or refused', async () => {
    const http = proxied.app.http;
    const redirected = await http.inject({ url: '/docs?x=1', headers: { 'x-forwarded-proto': 'http' } });
    expect(redirected.statusCode).toBe(308);
    expect(redirected.headers.location).toBe('https://custos.example/docs?x=1');
    // A path that looks like another host stays on the public origin.
    const sneaky = await http.inject({ url: '//evil.example/x', headers: { 'x-forwarded-proto': 'http' } });
    expect(sneaky.statusCode).toBe(308);
    expect(new URL(sneaky.headers.location as string).host).toBe('custos.example');
    const refused = await http.inject({ method: 'POST', url: '/v1/anything', headers: { 'x-forwarded-proto': 'http' }, payload: {} });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('https_required');
    const secure = await http.inject({ url: '/docs', headers: { 'x-forwarded-proto': 'https' } });
    expect(secure.statusCode).toBe(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    // Health probes come from inside the network, over plain HTTP.
    expect((await http.inject({ url: '/healthz', headers: { 'x-forwarded-proto': 'http' } })).statusCode).toBe(200);
  });
});
