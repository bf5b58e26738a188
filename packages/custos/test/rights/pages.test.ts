// The export reads rows in pages bounded in bytes as well as rows, so that an account of large
// messages holds no more in memory at a time than one of small ones (P-RIG-2: memory stays flat).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_BYTES, readRows } from '../../src/rights/rows.ts';
import { scopeOf, selectionsOf } from '../../src/rights/scope.ts';
import { TABLES } from '../../src/db/registry.ts';
import type { TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { MovableClock, asBrowser, call, signUp, startRightsApp } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startRightsApp(new MovableClock());
});
afterAll(async () => {
  await t?.close();
});

describe(`export pages on ${ENGINE}`, () => {
  it('P-RIG-2: a page of large messages stops at about 4 MiB, one of small ones at 1,000 rows; every row comes once, in order, without the page’s own columns', async () => {
    const person = await signUp(t);
    const browser = asBrowser(t, person.cookie);
    const big = (await call(t, 'POST', '/v1/conversations', browser, { title: 'big' })).json().id as string;
    const large = 'L'.repeat(700 * 1024);
    for (let i = 0; i < 24; i += 1) expect((await call(t, 'POST', `/v1/conversations/${big}/messages`, browser, { role: 'user', content: `${i}:${large}` })).statusCode).toBe(201);
    // Small ones in a workspace of their own (another selection), so that their pages hold no large one.
    const workspace = (await call(t, 'POST', '/v1/workspaces', browser, { name: 'Small' })).json().id as string;
    const inSmall = asBrowser(t, person.cookie, { 'custos-workspace': workspace });
    const small = (await call(t, 'POST', '/v1/conversations', inSmall, { title: 'small' })).json().id as string;
    for (let i = 0; i < 3; i += 1) {
      await call(t, 'POST', `/v1/conversations/${small}/messages`, inSmall, { messages: Array.from({ length: 1000 }, (_, j) => ({ role: 'user', content: `s${i}-${j}` })) });
    }

    const scope = await scopeOf(t.app.database.db as never, person.personId, person.email);
    const messages = selectionsOf(scope, TABLES.filter((entry) => entry.table === 'messages'));
    const deps = { db: t.app.database.db as never, sealer: t.app.keys.sealer, keystore: t.app.keys.keystore };
    const pages: Array<{ rows: number; bytes: number }> = [];
    const seen: string[] = [];
    for (const selection of messages) {
      for await (const page of readRows(deps, selection, person.personId)) {
        pages.push({ rows: page.length, bytes: page.reduce((sum, row) => sum + JSON.stringify(row).length, 0) });
        for (const row of page) seen.push(`${row.tenant_id}:${row.id}`);
        expect(Object.keys(page[0]!).filter((column) => column.startsWith('custos_'))).toEqual([]);
      }
    }
    expect(seen).toHaveLength(3024);
    expect(new Set(seen).size).toBe(3024);
    for (const tenant of [person.personalWorkspaceId, workspace]) {
      const ofTenant = seen.filter((key) => key.startsWith(tenant));
      expect(ofTenant).toEqual([...ofTenant].sort());
    }
    // No page holds more than PAGE_BYTES and one row.
    for (const page of pages) expect(page.bytes).toBeLessThan(PAGE_BYTES + 800 * 1024);
    // Some page before the last was cut by its bytes, not its rows.
    expect(pages.slice(0, -1).some((page) => page.rows < 1000)).toBe(true);
    expect(Math.max(...pages.map((page) => page.rows))).toBe(1000);
  }, 60_000);
});
