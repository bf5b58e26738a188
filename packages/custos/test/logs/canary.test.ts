import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Canaries, sweepRoutes } from '../support/canary.ts';
import { ENGINE } from '../support/database.ts';
import { headerAuthenticator, registerTestRoutes, TEST_PRINCIPAL_HEADER } from '../support/test-routes.ts';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ infra: { authenticate: headerAuthenticator }, routes: (http) => registerTestRoutes(http) });
});
afterAll(async () => t?.close());

describe(`log and error-body canaries on ${ENGINE}`, () => {
  it('P-LOG-1: secrets and content sent through every route reach no log line and no response', async () => {
    const canaries = new Canaries();
    const sweep = await sweepRoutes(t.app.http, canaries, [
      { [TEST_PRINCIPAL_HEADER]: 'api_key:read,write' },
      { [TEST_PRINCIPAL_HEADER]: 'session:read,write', origin: t.config.publicUrl.origin },
    ]);
    // The sweep reached every documented route, with and without credentials, and the failure
    // paths: 401, 400, 404, 500.
    expect(sweep.requests).toBeGreaterThan(20);
    const statuses = new Set(sweep.bodies.map((body) => body.slice(0, 3)));
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['200', '400', '401', '500']));
    expect(canaries.size).toBeGreaterThan(100);
    const leaks = canaries.leaks({ 'the log': t.logs.text(), ...Object.fromEntries(sweep.bodies.map((body, i) => [`response ${i}`, body])) });
    expect(leaks).toEqual([]);
    // And the log did record the requests: one line each, so the scan read something real.
    expect(t.logs.records().filter((r) => r.msg === 'request').length).toBeGreaterThanOrEqual(sweep.requests);
  });

  it('P-LOG-1: the canary scan does find a planted string (the detector works)', () => {
    const canaries = new Canaries();
    const value = canaries.plant('probe');
    expect(canaries.leaks({ line: `{"msg":"x","v":"${value}"}` })).toEqual(['probe leaked into line']);
  });
});
