import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { headerAuthenticator, registerTestRoutes, TEST_PRINCIPAL_HEADER } from '../support/test-routes.ts';

let t: TestApp;
const RW = { [TEST_PRINCIPAL_HEADER]: 'api_key:read,write' };

beforeAll(async () => {
  t = await startTestApp({ infra: { authenticate: headerAuthenticator }, config: { bodyLimitBytes: 2048 }, routes: (http) => registerTestRoutes(http) });
});
afterAll(async () => t?.close());

const inject = (options: InjectOptions): Promise<LightMyRequestResponse> => t.app.http.inject(options);

describe(`HTTP conventions on ${ENGINE}`, () => {
  it('GET /healthz and /readyz answer without credentials; readyz checks database, migrations and isolation', async () => {
    expect((await inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', keys: 'ok', migrations: 'ok', isolation: 'ok', requests: 'ok' } });
  });

  it('authentication runs before validation: no credentials is 401 whatever the body', async () => {
    for (const payload of ['{not json', JSON.stringify({ name: 42 }), 'x'.repeat(4096)]) {
      const res = await inject({ method: 'POST', url: '/v1/echo', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'unauthenticated', message: 'sign in or send an API key' } });
    }
  });

  it('a GET needs the read scope and a write the write scope', async () => {
    const readOnly = { [TEST_PRINCIPAL_HEADER]: 'api_key:read' };
    expect((await inject({ method: 'POST', url: '/v1/echo', headers: readOnly, payload: { name: 'a' } })).json().error.code).toBe('forbidden');
    expect((await inject({ url: '/v1/things/9b2c0f5e-8a47-4c3e-9d7a-0e6f1b2a3c4d', headers: { [TEST_PRINCIPAL_HEADER]: 'api_key:write' } })).statusCode).toBe(403);
    expect((await inject({ url: '/v1/things/9b2c0f5e-8a47-4c3e-9d7a-0e6f1b2a3c4d', headers: readOnly })).statusCode).toBe(200);
  });

  it('a cookie session must write from the custos origin; an API key has no Origin check', async () => {
    const session = { [TEST_PRINCIPAL_HEADER]: 'session:read,write' };
    const evil = await inject({ method: 'POST', url: '/v1/echo', headers: { ...session, origin: 'https://evil.example' }, payload: { name: 'a' } });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error.code).toBe('origin_mismatch');
    const none = await inject({ method: 'POST', url: '/v1/echo', headers: session, payload: { name: 'a' } });
    expect(none.json().error.code).toBe('origin_mismatch');
    const same = await inject({ method: 'POST', url: '/v1/echo', headers: { ...session, origin: t.config.publicUrl.origin }, payload: { name: 'a' } });
    expect(same.statusCode).toBe(201);
    const key = await inject({ method: 'POST', url: '/v1/echo', headers: { ...RW, origin: 'https://evil.example' }, payload: { name: 'a' } });
    expect(key.statusCode).toBe(201);
  });

  it('create answers 201 with the id at the top level', async () => {
    const res = await inject({ method: 'POST', url: '/v1/echo', headers: RW, payload: { name: 'a' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: 'echo', name: 'a' });
  });

  it('a body that fails the schema is a 400 naming the fields, not the values', async () => {
    const res = await inject({ method: 'POST', url: '/v1/echo', headers: RW, payload: { name: '', count: 'sekrit-value', extra: 1 } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('invalid_request');
    const paths = body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.count']));
    expect(res.body).not.toContain('sekrit-value');
    const params = await inject({ url: '/v1/things/not-a-uuid', headers: RW });
    expect(params.statusCode).toBe(400);
    expect(params.json().error.details[0].path).toBe('params.id');
  });

  it('malformed JSON, a wrong media type and an oversized body get their own 4xx codes', async () => {
    const bad = await inject({ method: 'POST', url: '/v1/echo', headers: { ...RW, 'content-type': 'application/json' }, payload: '{"name":' });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'invalid_json']);
    const media = await inject({ method: 'POST', url: '/v1/echo', headers: { ...RW, 'content-type': 'application/xml' }, payload: '<a/>' });
    expect([media.statusCode, media.json().error.code]).toEqual([415, 'unsupported_media_type']);
    const big = await inject({ method: 'POST', url: '/v1/echo', headers: { ...RW, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(4000) }) });
    expect([big.statusCode, big.json().error.code]).toEqual([413, 'payload_too_large']);
  });

  it('an unknown route is a 404 in the error shape; so is an unknown route with credentials', async () => {
    for (const headers of [{}, RW]) {
      const res = await inject({ url: '/v1/nothing-here', headers });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'not_found', message: 'no such resource' } });
    }
  });

  it('a text/plain body is an unsupported media type, not a string to validate', async () => {
    const res = await inject({ method: 'POST', url: '/v1/echo', headers: { ...RW, 'content-type': 'text/plain' }, payload: 'hello' });
    expect([res.statusCode, res.json().error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('a malformed URL is a 400 in the error shape that does not echo the path', async () => {
    const res = await inject({ url: '/v1/things/%zzsecret-in-path', headers: RW });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.body).not.toContain('secret-in-path');
  });

  it('throwing something that is not an Error is still a 500 in the error shape', async () => {
    const res = await inject({ url: '/v1/throws-null', headers: RW });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('internal');
  });

  it('an unexpected failure is a 500 with a fixed message: no stack, no SQL, no data', async () => {
    const res = await inject({ url: '/v1/boom', headers: RW });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('internal');
    expect(res.body).not.toMatch(/secret@example\.com|duplicate key|at .*\.ts/);
    const logged = t.logs.text();
    expect(logged).toContain('"code":"internal"');
    expect(logged).not.toContain('secret@example.com');
  });

  it('responses carry the security headers and a request id', async () => {
    const res = await inject({ url: '/healthz' });
    expect(res.headers['content-security-policy']).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined(); // plain-HTTP development server
    expect(res.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const given = await inject({ url: '/healthz', headers: { 'x-request-id': 'trace-1234abcd' } });
    expect(given.headers['request-id']).toBe('trace-1234abcd');
    const hostile = await inject({ url: '/healthz', headers: { 'x-request-id': 'evil\nline {"level":60}' } });
    expect(hostile.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the OpenAPI document is served at /docs', async () => {
    const res = await inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/v1/echo']));
  });

  it('P-LOG-1: one log line per request with id, method, route pattern, status and duration', async () => {
    const before = t.logs.lines.length;
    await inject({ url: '/v1/things/9b2c0f5e-8a47-4c3e-9d7a-0e6f1b2a3c4d?q=x', headers: RW });
    const lines = t.logs.records().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', method: 'GET', route: '/v1/things/:id', status: 200 });
    expect(typeof lines[0]!.reqId).toBe('string');
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(JSON.stringify(lines[0])).not.toContain('9b2c0f5e');
  });
});
