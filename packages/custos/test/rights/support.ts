// Rights tests: an application with a clock the test moves, people with data of every kind, and
// reading an export archive back.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { expect } from 'vitest';
import type { Clock } from '../../src/core/clock.ts';
import { EXPORTS_DIR_NAME } from '../../src/rights/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { asBrowser, call, createKey, signUp, type Person } from '../support/people.ts';

/** A clock that runs with real time, plus however far the test moved it. */
export class MovableClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

export async function startRightsApp(clock: MovableClock, config: Parameters<typeof startTestApp>[0] extends infer O ? O extends { config?: infer C } ? C : never : never = {}): Promise<TestApp> {
  return startTestApp({ infra: { clock, jobPollingIntervalSeconds: 0.5 }, config });
}


/** A value no code would write by accident: its presence anywhere is the planted one's. */
export function canary(label: string): string {
  return `canary-${label}-${crypto.randomBytes(6).toString('hex')}`;
}

/** An OTLP/JSON request of one span whose name and attribute carry `text`. */
export function otlpSpan(text: string): unknown {
  const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'rights-test' } }] },
      scopeSpans: [{ spans: [{ traceId: hex(16), spanId: hex(8), name: text, kind: 1, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000001000000000', attributes: [{ key: 'prompt', value: { stringValue: text } }] }] }],
    }],
  };
}

/** Writes a conversation with messages into the workspace the headers act in; returns its id. */
export async function writeConversation(t: TestApp, headers: Record<string, string>, title: string, contents: string[]): Promise<string> {
  const created = await call(t, 'POST', '/v1/conversations', headers, { title });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const appended = await call(t, 'POST', `/v1/conversations/${id}/messages`, headers, { messages: contents.map((content) => ({ role: 'user', content })) });
  expect(appended.statusCode, appended.body).toBe(201);
  return id;
}

export async function ingestSpan(t: TestApp, key: string, text: string): Promise<void> {
  const res = await t.app.http.inject({ method: 'POST', url: '/otlp/v1/traces', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(otlpSpan(text)) });
  expect(res.statusCode, res.body).toBe(200);
}

/** The files of one export in a data dir (its archive, its attempts' part files), sorted. */
export function exportFilesOf(dataDir: string, exportId: string): string[] {
  const dir = path.join(dataDir, EXPORTS_DIR_NAME);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.startsWith(exportId)).sort() : [];
}

/** Polls an export until it leaves queued and running. */
export async function waitForExport(t: TestApp, person: Person, id: string, timeoutMs = 30_000): Promise<{ status: string; downloadUrl: string | null; progress: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await call(t, 'GET', `/v1/me/exports/${id}`, asBrowser(t, person.cookie))).json();
    if (!['queued', 'running'].includes(view.status) || Date.now() > deadline) return view;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every entry of a ZIP, decompressed (test archives are small). */
export async function unzip(archive: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(archive, { lazyEntries: true });
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          files.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return files;
}

export interface Manifest {
  schemaVersion: number;
  categories: Array<{ category: string; file: string; rows: number }>;
  files: Array<{ path: string; bytes: number; sha256: string }>;
}

/** Checks the manifest against the files (every file listed, sizes and SHA-256 equal); returns it. */
export function checkManifest(files: Map<string, Buffer>): Manifest {
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
  expect(manifest.schemaVersion).toBe(1);
  const listed = manifest.files.map((f) => f.path).sort();
  expect(listed).toEqual([...files.keys()].filter((name) => name !== 'manifest.json').sort());
  for (const file of manifest.files) {
    const bytes = files.get(file.path)!;
    expect({ path: file.path, bytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') }).toEqual(file);
  }
  for (const category of manifest.categories) {
    const lines = files.get(category.file)!.toString('utf8').split('\n').filter(Boolean);
    expect({ category: category.category, rows: lines.length }).toEqual({ category: category.category, rows: category.rows });
  }
  return manifest;
}

export { asBrowser, call, createKey, signUp };
