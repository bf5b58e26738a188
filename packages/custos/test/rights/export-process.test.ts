// On a database server each export attempt is built in a process of its own (src/export-process.ts):
// the archive is the same complete one, a builder that dies or loses its claim fails only its
// attempt, and what the server hears of a failure is an error code, never content (P-RIG-2).
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processExportBuilder } from '../../src/export-process.ts';
import { ExportFiles, type BuildJob } from '../../src/rights/index.ts';
import type { TestApp } from '../support/app.ts';
import { ENGINE } from '../support/database.ts';
import { asBrowser, checkManifest, exportFilesOf, createKey, otlpSpan, MovableClock, signUp, startRightsApp, unzip, writeConversation } from './support.ts';
import type { Person } from '../support/people.ts';

const CONVERSATIONS = 8;
const PER_CONVERSATION = 1000;
let t: TestApp;
let person: Person;
const planted: string[] = [];

beforeAll(async () => {
  if (ENGINE !== 'postgres') return;
  t = await startRightsApp(new MovableClock());
  person = await signUp(t);
  // Enough pages (one per 1,000 rows) that a builder can be stopped between two of them.
  for (let c = 0; c < CONVERSATIONS; c += 1) {
    const contents = Array.from({ length: PER_CONVERSATION }, (_, i) => `planted-${c}-${i} ${'words '.repeat(40)}`);
    planted.push(contents[0]!);
    await writeConversation(t, asBrowser(t, person.cookie), `chat ${c}`, contents);
  }
}, 120_000);
afterAll(async () => {
  await t?.close();
});

function builders(pids: number[]) {
  return processExportBuilder(t.config, { started: (_job, pid) => pids.push(pid) });
}

function builder(pids: number[]) {
  return builders(pids).build;
}

/** An attempt of an export of its own (a builder needs no exports row: the claim is the server's). */
function job(attempt: number, personId = person.personId): BuildJob {
  return { exportId: crypto.randomUUID(), attempt, personId, createdAt: new Date() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  return !alive(pid);
}

const partsOf = (exportId: string) => exportFilesOf(t.config.dataDir, exportId);

describe.runIf(ENGINE === 'postgres')('exports built in a process of their own', () => {
  it('P-RIG-2: the server builds an export in another process, which reports its progress and peak memory; the archive is complete', async () => {
    const requested = await t.app.rights.exports.request(person.personId, 'api', { enqueue: false });
    const progress: number[] = [];
    expect(await t.app.rights.exports.run(requested.id, (p) => progress.push(p))).toBe(true);
    const logged = t.logs.records().filter((r) => r.exportId === requested.id);
    const started = logged.find((r) => r.msg === 'export builder started')!;
    const built = logged.find((r) => r.msg === 'export built')!;
    expect(started.pid).not.toBe(process.pid);
    expect(built).toMatchObject({ pid: started.pid, attempt: 1 });
    expect(built.peakRssMiB).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThanOrEqual(CONVERSATIONS);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const { stream } = await t.app.rights.exports.download(person.personId, requested.id);
    const files = await unzip(await buffer(stream as NodeJS.ReadableStream));
    const manifest = checkManifest(files);
    expect(manifest.categories.find((c) => c.category === 'conversations')?.rows).toBe(CONVERSATIONS * (PER_CONVERSATION + 1));
    const text = files.get('data/conversations.ndjson')!.toString('utf8');
    for (const content of planted) expect(text).toContain(content);
  }, 60_000);

  it('P-RIG-2: a builder killed mid-build fails its attempt only; the next attempt builds the archive and removes what the killed one left', async () => {
    const pids: number[] = [];
    const first = job(1);
    let reports = 0;
    const killed = builder(pids)(first, () => {
      if (reports++ === 0) process.kill(pids[0]!, 'SIGKILL');
    }, () => true);
    await expect(killed).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('SIGKILL') });
    expect(partsOf(first.exportId)).toEqual([`${first.exportId}.1.part`]);

    await builder(pids)({ ...first, attempt: 2 }, () => undefined, () => true);
    expect(partsOf(first.exportId)).toEqual([`${first.exportId}.2.part`]);
    const files = new ExportFiles(t.config.dataDir, t.app.keys.keystore);
    expect(files.commit(first.exportId, 2, () => true)).toBeGreaterThan(0);
    const manifest = checkManifest(await unzip(await buffer(await files.read(first.exportId, person.personId))));
    expect(manifest.categories.find((c) => c.category === 'conversations')?.rows).toBe(CONVERSATIONS * (PER_CONVERSATION + 1));
    expect(pids).toHaveLength(2);
    expect(await gone(pids[1]!)).toBe(true);
  }, 60_000);

  it('P-RIG-2: an attempt whose builder died leaves no part file behind, and the next attempt completes the export', async () => {
    const other = await signUp(t);
    for (let c = 0; c < 3; c += 1) await writeConversation(t, asBrowser(t, other.cookie), `chat ${c}`, Array.from({ length: 1000 }, (_, i) => `line ${i} ${'words '.repeat(40)}`));
    const requested = await t.app.rights.exports.request(other.personId, 'api', { enqueue: false });
    // Killed as soon as it reports its first page.
    const running = t.app.rights.exports.run(requested.id, () => {
      const started = t.logs.records().find((r) => r.msg === 'export builder started' && r.exportId === requested.id);
      if (started && alive(started.pid as number)) process.kill(started.pid as number, 'SIGKILL');
    });
    await expect(running).rejects.toMatchObject({ code: 'internal' });
    expect(partsOf(requested.id)).toEqual([]);
    expect(await t.app.rights.exports.run(requested.id)).toBe(true);
    expect(partsOf(requested.id)).toEqual([requested.id]);
  }, 60_000);

  it('P-RIG-2: a builder whose server lost the claim is stopped, and the attempt fails as taken over', async () => {
    const pids: number[] = [];
    let held = true;
    const lost = builder(pids)(job(1), () => (held = false), () => held);
    await expect(lost).rejects.toMatchObject({ code: 'conflict' });
    expect(await gone(pids[0]!)).toBe(true);
  }, 60_000);

  it('P-RIG-2: a closing server stops the builders still running; their attempts fail', async () => {
    const pids: number[] = [];
    const server = builders(pids);
    let stopped = false;
    const building = server.build(job(1), () => {
      if (!stopped) server.stop();
      stopped = true;
    }, () => true);
    await expect(building).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('SIGKILL') });
    expect(await gone(pids[0]!)).toBe(true);
  }, 60_000);

  it('P-RIG-2: an account of values at the size limits (4 MB messages, a span of 8 MB) is built within the builder’s bounded heap', async () => {
    const heavy = await signUp(t);
    const browser = asBrowser(t, heavy.cookie);
    // A message's content may hold 1,000,000 characters: as emoji, 4 bytes each in UTF-8 (the
    // padding cut to the length may halve the last pair: made whole, or the server refuses it).
    for (let c = 0; c < 2; c += 1) await writeConversation(t, browser, `large ${c}`, Array.from({ length: 6 }, (_, i) => `${c}-${i}`.padEnd(1_000_000, '\u{1F600}').toWellFormed()));
    const { key } = await createKey(t.app.http, browser);
    const span = await t.app.http.inject({ method: 'POST', url: '/otlp/v1/traces', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(otlpSpan('s'.repeat(4_000_000))) });
    expect(span.statusCode, span.body).toBe(200);

    const attempt = job(1, heavy.personId);
    await builder([])(attempt, () => undefined, () => true);
    const files = new ExportFiles(t.config.dataDir, t.app.keys.keystore);
    files.commit(attempt.exportId, 1, () => true);
    const manifest = checkManifest(await unzip(await buffer(await files.read(attempt.exportId, heavy.personId))));
    expect(manifest.categories.find((c) => c.category === 'conversations')?.rows).toBe(2 * 7);
    expect(manifest.categories.find((c) => c.category === 'traces')?.rows).toBe(2); // the trace and its span
  }, 120_000);

  it('P-RIG-2: a builder’s failure reaches the server as its error code and message, and the builder exits', async () => {
    const pids: number[] = [];
    const unknownPerson = job(1, crypto.randomUUID());
    await expect(builder(pids)(unknownPerson, () => undefined, () => true)).rejects.toMatchObject({ code: 'not_found', message: 'the person of this export is gone' });
    expect(await gone(pids[0]!)).toBe(true);
    expect(partsOf(unknownPerson.exportId)).toEqual([]);
  }, 60_000);
});
