// A worker that lost its claim (its lease lapsed and another took the work) can no longer write:
// its renewals stop holding, and its archive is not renamed into place (P-RIG-2).
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportFiles } from '../../src/rights/export-files.ts';
import { LEASE_SECONDS } from '../../src/rights/jobs.ts';
import { keepLease } from '../../src/rights/lease.ts';
import { EXPORTS_DIR_NAME } from '../../src/rights/index.ts';
import type { TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { exportFilesOf, MovableClock, signUp, startRightsApp } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startRightsApp(new MovableClock());
});
afterAll(async () => {
  await t?.close();
});

describe(`claims on rights work on ${ENGINE}`, () => {
  it('P-RIG-2: a claim whose number was taken over stops holding at its next renewal', async () => {
    const person = await signUp(t);
    const requested = await t.app.rights.exports.request(person.personId, 'api', { enqueue: false });
    const db = t.app.database.db;
    await sql`update exports set attempts = 1, status = 'running', lease_until = now() + interval '20 seconds' where id = ${requested.id}`.execute(db);
    const mine = keepLease(db as never, 'exports', 'id', requested.id, 1);
    const theirs = keepLease(db as never, 'exports', 'id', requested.id, 2);
    try {
      // Another worker claims it (attempt 2) after this one's lease lapsed.
      await sql`update exports set attempts = 2, lease_until = now() + interval '20 seconds' where id = ${requested.id}`.execute(db);
      await new Promise((resolve) => setTimeout(resolve, (LEASE_SECONDS * 1000) / 3 + 500));
      expect(mine.held()).toBe(false);
      expect(theirs.held()).toBe(true);
    } finally {
      mine.release();
      theirs.release();
    }
  }, 20_000);

  it('P-RIG-2: an export whose last attempt was killed fails, and what its attempts left on disk goes with it', async () => {
    const person = await signUp(t);
    const requested = await t.app.rights.exports.request(person.personId, 'api', { enqueue: false });
    const dir = path.join(t.config.dataDir, EXPORTS_DIR_NAME);
    fs.mkdirSync(dir, { recursive: true });
    // The third (last) attempt was killed mid-write: its part file stays, its lease has lapsed.
    fs.writeFileSync(path.join(dir, `${requested.id}.3.part`), 'sealed bytes of a person');
    await sql`update exports set attempts = 3, status = 'running', lease_until = now() - interval '1 second' where id = ${requested.id}`.execute(t.app.database.db);
    await t.app.rights.exports.resumeAbandoned();
    expect((await t.app.rights.exports.get(person.personId, requested.id)).status).toBe('failed');
    expect(exportFilesOf(t.config.dataDir, requested.id)).toEqual([]);
  });

  it('P-RIG-2: an archive written by a claim that no longer holds is not put in place', async () => {
    const files = new ExportFiles(t.config.dataDir, t.app.keys.keystore);
    const person = await signUp(t);
    const id = crypto.randomUUID();
    await files.writePart(id, 1, person.personId, Readable.from([Buffer.from('zip bytes')]));
    expect(() => files.commit(id, 1, () => false)).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(files.exists(id)).toBe(false);
    expect(exportFilesOf(t.config.dataDir, id)).toEqual([]);
    await files.writePart(id, 2, person.personId, Readable.from([Buffer.from('zip bytes')]));
    expect(files.commit(id, 2, () => true)).toBeGreaterThan(0);
    expect(files.exists(id)).toBe(true);
  });
});
