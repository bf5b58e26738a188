// Rights on a large account (P-RIG-2, P-RIG-3): one person holding 100,000 messages (100
// conversations of 1,000 in their personal workspace, appended through the data services, sealed as
// in production). Measured: the export's build (rows read page by page in tenant transactions,
// opened, written as NDJSON into the zip, the zip sealed into the file), the download of the
// archive opened as it streams, the process's peak RSS meanwhile, and the erasure of the account.
// On a database server the export is built in a process of its own (src/export-process.ts): both
// that builder's peak RSS (which it reports, and the server logs) and the server's are given.
// Baseline, same run: pg_dump of the same two tables (data only, plain format) from the same
// database, the tool an operator would otherwise reach for. Needs DATABASE_URL (pg_dump needs a server).
// The account is filled by a child process (this file run on its own), so that the RSS measured
// here is a server's with an export running, not what filling 100,000 messages left resident.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import yauzl from 'yauzl';
import { createApp, type App } from '../packages/custos/src/app.ts';
import { loadConfig } from '../packages/custos/src/core/config.ts';
import { newId } from '../packages/custos/src/core/ids.ts';
import type { MessageInput } from '../packages/custos/src/data/index.ts';
import type { Principal } from '../packages/custos/src/core/principal.ts';
import { EXPORTS_DIR_NAME } from '../packages/custos/src/rights/index.ts';
import { benchApp } from './bench-app.ts';
import type { Measurement } from './measure.ts';
import { report } from './measure.ts';

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100);
const PER_CONVERSATION = Number(process.env.BENCH_MESSAGES_PER_CONVERSATION ?? 1000);
/** Conversations filled at once during the setup (one append of PER_CONVERSATION messages each). */
const SETUP_LANES = 4;
const SAMPLE_EVERY_MS = 50;
const MB = 1e6;
const MIB = 1024 * 1024;

// Chat-like text of a few hundred bytes, distinct from message to message (a seeded generator, so
// that every run holds the same account): prose compresses as real conversations do, which random
// bytes would not.
const WORDS = ('the a of to and in that is for it with as on be this by are or from at which can an have not your you we will use if when '
  + 'model request response token tokens context window prompt answer question function call tool result error retry timeout latency '
  + 'database query index table row column migration schema transaction lock deploy service container cluster region replica backup '
  + 'customer invoice payment refund subscription plan account user team workspace project report summary draft review approve '
  + 'please thanks could would should might first then next finally because however although therefore example instead already '
  + 'python typescript json yaml http header body status cache queue worker job schedule cron log metric trace span alert').split(' ');

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function prose(random: () => number, bytes: number): string {
  let text = '';
  while (text.length < bytes) {
    const length = 6 + Math.floor(random() * 14);
    const words = Array.from({ length }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
    if (random() < 0.2) words.push(String(Math.floor(random() * 100_000)));
    text += `${words.join(' ')}${random() < 0.15 ? '?' : '.'} `;
  }
  return text.trimEnd();
}

function conversationMessages(conversation: number): MessageInput[] {
  const random = generator(conversation + 1);
  return Array.from({ length: PER_CONVERSATION }, (_, i): MessageInput => {
    const text = prose(random, 150 + Math.floor(random() * 600));
    if (i % 2 === 0) return { role: 'user', content: text };
    // One answer in ten carries a tool call, as structured content.
    const content = i % 20 === 1
      ? [{ type: 'text', text }, { type: 'tool_call', id: `call_${i}`, name: 'search_docs', arguments: { query: prose(random, 40), limit: 5 } }]
      : text;
    return { role: 'assistant', content, model: 'gpt-5', inputTokens: 200 + Math.floor(random() * 4000), outputTokens: 50 + Math.floor(random() * 800) };
  });
}

interface MemoryPeak {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

/** Samples the process's memory every SAMPLE_EVERY_MS until stopped; keeps the peaks. */
function sampleMemory(): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Discards what it is given and counts the bytes: /dev/null with a tally. */
function countingSink(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sink.bytes += chunk.length;
      callback();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

/** The pg_dump of the server's major version: the one on PATH, or /usr/lib/postgresql/<major>/bin's. */
function pgDumpFor(serverMajor: number): string {
  const versionOf = (bin: string) => {
    try {
      return Number(/(\d+)\./.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1]);
    } catch {
      return undefined;
    }
  };
  if (versionOf('pg_dump') === serverMajor) return 'pg_dump';
  const packaged = `/usr/lib/postgresql/${serverMajor}/bin/pg_dump`;
  if (fs.existsSync(packaged)) return packaged;
  throw new Error(`no pg_dump of major version ${serverMajor} (PATH has ${versionOf('pg_dump') ?? 'none'})`);
}

function run(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited with ${code}: ${stderr}`))));
  });
}

/** The manifest.json of a zip file. */
function manifestOf(file: string): Promise<{ categories: Array<{ category: string; rows: number }>; files: Array<{ path: string; bytes: number }> }> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('error', reject);
      zip.on('end', () => reject(new Error('no manifest.json in the archive')));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== 'manifest.json') return zip.readEntry();
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          let text = '';
          stream.on('data', (chunk) => (text += chunk));
          stream.on('end', () => {
            zip.close();
            resolve(JSON.parse(text));
          });
        });
      });
      zip.readEntry();
    });
  });
}

const mb = (bytes: number) => (bytes / MB).toFixed(1);
const mib = (bytes: number) => (bytes / MIB).toFixed(0);
const secs = (ms: number) => (ms / 1000).toFixed(2);
const rate = (name: string, rows: number, ms: number): Measurement => ({ name, opsPerSecond: rows / (ms / 1000), microsPerOp: (ms * 1000) / rows });

export async function benchExport(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    process.stdout.write('\nexport: skipped (needs DATABASE_URL: the baseline is pg_dump against a server)\n');
    return;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // The server's log, kept to read the builder's report from ('export built').
  const logged: string[] = [];
  const bench = await benchApp((config, infra) => createApp({ ...config, logLevel: 'info' }, { ...infra, logDestination: { write: (line: string) => void logged.push(line) } }));
  const { app } = bench;
  const admin = new pg.Client({ connectionString: app.config.databaseUrl });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-bench-export-'));
  try {
    await admin.connect();
    const { personId, workspaceId } = bench.principal;
    const setupStarted = performance.now();
    const filled = await fillInChild({ databaseUrl: app.config.databaseUrl!, dataDir: app.config.dataDir, personId, workspaceId });
    const setupMs = performance.now() - setupStarted;
    // Both sides read settled tables: hint bits set and statistics fresh, whoever reads first.
    await admin.query('VACUUM (ANALYZE) messages, conversations');
    const { rows: [held] } = await admin.query<{ messages: number; conversations: number; content: string; table: string }>(`
      select (select count(*)::int from messages) as messages, (select count(*)::int from conversations) as conversations,
             (select sum(octet_length(content))::bigint from messages) as content,
             pg_total_relation_size('messages') + pg_total_relation_size('conversations') as table`);
    const tableRows = held!.messages + held!.conversations;
    out(`\nexport and erasure on ${app.database.engine}: one person, ${held!.conversations} conversations, ${held!.messages} messages`);
    out(`setup (app.data in a child process, sealed): ${secs(setupMs)} s with the child's start, ${secs(filled.ms)} s filling, `
      + `${Math.round(held!.messages / (filled.ms / 1000))} messages/s; `
      + `sealed content ${mb(Number(held!.content))} MB, tables with indexes ${mb(Number(held!.table))} MB`);

    // Baseline: pg_dump of the same tables, data only, plain format, into a file.
    const { rows: [server] } = await admin.query<{ major: number }>(`select (current_setting('server_version_num')::int / 10000) as major`);
    const pgDump = pgDumpFor(server!.major);
    const dumpFile = path.join(scratch, 'dump.sql');
    const dumpStarted = performance.now();
    await run(pgDump, ['--data-only', '--format=plain', '-t', 'messages', '-t', 'conversations', '-f', dumpFile, '--dbname', app.config.databaseUrl!]);
    const dumpMs = performance.now() - dumpStarted;
    const dumpBytes = fs.statSync(dumpFile).size;
    fs.rmSync(dumpFile);

    // custos: the export built, then downloaded (opened as it streams) to nowhere.
    const requested = await app.rights.exports.request(personId, 'operator', { enqueue: false });
    const before = process.memoryUsage();
    const runSampler = sampleMemory();
    const runStarted = performance.now();
    if (!(await app.rights.exports.run(requested.id))) throw new Error('the export was not built here (claimed by another worker?)');
    const runMs = performance.now() - runStarted;
    const runPeak = runSampler.stop();
    const sealedBytes = fs.statSync(path.join(app.config.dataDir, EXPORTS_DIR_NAME, requested.id)).size;

    const downloadSampler = sampleMemory();
    const downloadStarted = performance.now();
    const { stream } = await app.rights.exports.download(personId, requested.id);
    const sink = countingSink();
    await pipeline(stream, sink);
    const downloadMs = performance.now() - downloadStarted;
    const downloadPeak = downloadSampler.stop();
    const zipBytes = sink.bytes;
    const builtLine = logged.map((line) => JSON.parse(line) as { msg: string; exportId?: string; peakRssMiB?: number })
      .find((line) => line.msg === 'export built' && line.exportId === requested.id);
    const builderPeak = builtLine?.peakRssMiB === undefined ? undefined : builtLine.peakRssMiB * MIB;
    // The target is the build's: the peak of the process that built the archive (the builder's own
    // on a database server, the server's on the embedded engine). The server's own figures follow.
    const buildPeak = builderPeak ?? runPeak.rss;

    // Not timed: the archive holds what the account holds.
    const zipFile = path.join(scratch, 'export.zip');
    await pipeline((await app.rights.exports.download(personId, requested.id)).stream, fs.createWriteStream(zipFile));
    const manifest = await manifestOf(zipFile);
    fs.rmSync(zipFile);
    const exported = manifest.categories.find((c) => c.category === 'conversations')?.rows ?? 0;
    const ndjsonBytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);

    const custosMbps = zipBytes / MB / (runMs / 1000);
    const dumpMbps = dumpBytes / MB / (dumpMs / 1000);
    report(`export of ${tableRows} rows (messages and conversations) on ${app.database.engine}`, rate('pg_dump --data-only -t messages -t conversations', tableRows, dumpMs), [
      rate('custos export run() (read, open, NDJSON, zip, seal, file)', tableRows, runMs),
    ]);
    out(`pg_dump: ${secs(dumpMs)} s, ${mb(dumpBytes)} MB of SQL (bytea in hex), ${dumpMbps.toFixed(1)} MB/s`);
    out(`custos export run(): ${secs(runMs)} s; archive ${mb(zipBytes)} MB zip (${mb(ndjsonBytes)} MB uncompressed), sealed file ${mb(sealedBytes)} MB; `
      + `${custosMbps.toFixed(1)} MB/s of zip (${(ndjsonBytes / MB / (runMs / 1000)).toFixed(1)} MB/s of uncompressed NDJSON); manifest counts ${exported} conversation rows`);
    out(`custos download (opened as it streams, to nowhere): ${secs(downloadMs)} s, ${(zipBytes / MB / (downloadMs / 1000)).toFixed(1)} MB/s`);
    out(`MB/s: pg_dump ${dumpMbps.toFixed(1)}, custos ${custosMbps.toFixed(1)}, ratio ${(custosMbps / dumpMbps).toFixed(2)} (target >= 0.3); `
      + `rows/s ratio ${(dumpMs / runMs).toFixed(2)}`);
    out(`RSS of the build: ${builderPeak === undefined ? 'in the server\'s process' : 'in its own process'}, peak ${mib(buildPeak)} MiB `
      + `(target < 256 MiB${buildPeak < 256 * MIB ? ', met' : ', NOT met'}); the server: ${mib(before.rss)} MiB before, peak ${mib(runPeak.rss)} MiB during run(), `
      + `${mib(downloadPeak.rss)} MiB while it streams the download (V8 frees dead Buffers after about 64 MiB of them)`);
    out(`  the server's JS heap used ${mib(before.heapUsed)} MiB before, peak ${mib(runPeak.heapUsed)} MiB; Buffers ${mib(before.arrayBuffers)} MiB before, `
      + `peak ${mib(runPeak.arrayBuffers)} MiB (garbage included: sampled, not collected)`);
    if (exported !== tableRows) out(`odd: the archive holds ${exported} conversation rows, the tables ${tableRows}`);

    // The erasure of the same account: requested to run at once, then run.
    const eraseStarted = performance.now();
    const erasure = await app.rights.erasures.request(personId, 'operator', { now: true });
    const requestMs = performance.now() - eraseStarted;
    const runEraseStarted = performance.now();
    if (!(await app.rights.erasures.run(erasure.id))) throw new Error('the erasure did not run');
    const eraseMs = performance.now() - runEraseStarted;
    const { rows: [left] } = await admin.query<{ rows: number; person: number }>(`
      select (select count(*)::int from messages) + (select count(*)::int from conversations) as rows,
             (select count(*)::int from people where id = $1) as person`, [personId]);
    out(`erasure: request ${secs(requestMs)} s, run ${secs(eraseMs)} s, ${Math.round(tableRows / (eraseMs / 1000))} rows/s; `
      + `${left!.rows} message and conversation rows and ${left!.person} account rows left`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    await admin.end().catch(() => undefined);
    await bench.close();
  }
}

/** `conversations` conversations of PER_CONVERSATION messages each, appended through the data services, SETUP_LANES at a time. */
export async function fillAccount(app: App, principal: Principal, conversations: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < conversations) {
      const n = next++;
      const { value: conversation } = await app.data.conversations.create(principal, { title: `Conversation ${n + 1}: ${prose(generator(1000 + n), 30)}` });
      await app.data.messages.append(principal, conversation.id, conversationMessages(n));
    }
  };
  await Promise.all(Array.from({ length: SETUP_LANES }, lane));
}

interface FillJob {
  databaseUrl: string;
  dataDir: string;
  personId: string;
  workspaceId: string;
}

/** Runs this file as a child process that fills the account; resolves with how long the filling took. */
function fillInChild(job: FillJob): Promise<{ ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename], {
      env: { ...process.env, BENCH_EXPORT_FILL: JSON.stringify(job) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`the filling process exited with ${code}`))));
  });
}

/** The child: the same instance (database and data dir), the conversations appended through app.data. */
async function fill(job: FillJob): Promise<void> {
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: job.databaseUrl }, { dataDir: job.dataDir }), logLevel: 'silent' as const };
  const app = await createApp(config, { logDestination: { write: () => undefined } });
  try {
    const principal: Principal = {
      kind: 'session', workspaceId: job.workspaceId, personId: job.personId, role: 'owner', scopes: new Set(['read', 'write']), credentialId: newId(), termsAccepted: true, client: {},
    };
    const started = performance.now();
    await fillAccount(app, principal, CONVERSATIONS);
    process.stdout.write(JSON.stringify({ ms: performance.now() - started }));
  } finally {
    await app.close();
  }
}

if (import.meta.main && process.env.BENCH_EXPORT_FILL) await fill(JSON.parse(process.env.BENCH_EXPORT_FILL) as FillJob);
