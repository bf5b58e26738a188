import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { headerAuthenticator, registerTestRoutes, TEST_PRINCIPAL_HEADER } from '../support/test-routes.ts';

let t: TestApp;
let entered!: () => void;
let release!: () => void;
const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
const handlerReleased = new Promise<void>((resolve) => (release = resolve));

beforeAll(async () => {
  t = await startTestApp({
    infra: { authenticate: headerAuthenticator },
    routes: (server) => registerTestRoutes(server, { slow: async () => { entered(); await handlerReleased; } }),
  });
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  release();
  await t?.testDatabase.drop();
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { [TEST_PRINCIPAL_HEADER]: 'api_key:read' } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe(`graceful shutdown on ${ENGINE}`, () => {
  it('in-flight requests finish, new connections are refused, then the database closes', async () => {
    const port = (t.app.http.server.address() as AddressInfo).port;
    const inFlight = get(port, '/v1/slow');
    await handlerEntered;
    let closed = false;
    const closing = t.app.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false); // waiting for the request in flight
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
    release();
    expect(await inFlight).toEqual({ status: 200, body: '{"done":true}' });
    await closing;
    expect(closed).toBe(true);
    await expect(t.app.database.pool.query('select 1')).rejects.toThrow();
  });
});
