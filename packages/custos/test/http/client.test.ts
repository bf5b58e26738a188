// The SDK against the real server over HTTP: what the dashboard and integrators will use.
import type { AddressInfo } from 'node:net';
import { CustosApiError, CustosClient } from '@custos/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';

let t: TestApp;
let baseUrl: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
});
afterAll(async () => t?.close());

describe(`@custos/client on ${ENGINE}`, () => {
  it('reads health and readiness', async () => {
    const client = new CustosClient({ baseUrl });
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toEqual({ status: 'ready', checks: { database: 'ok', keys: 'ok', migrations: 'ok', isolation: 'ok' } });
  });

  it('turns error bodies into CustosApiError with the stable code and the request id', async () => {
    const client = new CustosClient({ baseUrl, apiKey: 'not-a-real-key' });
    const err = await client.request('GET', '/v1/anything').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustosApiError);
    expect(err).toMatchObject({ status: 404, code: 'not_found' });
    expect((err as CustosApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
