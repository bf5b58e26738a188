// custos export | erase | requests: an operator answering a person's request from the command line.
// Each runs the real application (without listening), so a request made here is recorded,
// audited and carried out exactly as one made over the API; with a database server it works beside
// running servers, with the embedded one the data dir's lock asks for the server to stop first.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { LEASE_SECONDS } from '../rights/index.ts';
import type { CommonFlags } from './config-from-flags.ts';
import { withApp } from './with-app.ts';
import { personIdByEmail } from '../identity/index.ts';

export async function exportCommand(flags: CommonFlags & { user: string; out: string }): Promise<void> {
  await withApp(flags, async (app) => {
    const personId = await personIdByEmail(app.identity.db, flags.user);
    const requested = await app.rights.exports.request(personId, 'operator', { enqueue: false });
    const bar = new cliProgress.SingleBar({ format: 'exporting [{bar}] {percentage}%', stream: process.stderr }, cliProgress.Presets.shades_classic);
    bar.start(100, 0);
    const built = await app.rights.exports.run(requested.id, (progress) => bar.update(Math.floor(progress * 100)));
    // Taken up by a server's worker meanwhile: wait for it.
    while (!built) {
      const view = await app.rights.exports.get(personId, requested.id);
      if (view.status === 'ready') break;
      if (view.status === 'failed' || view.status === 'expired') throw new Error(`the export ${view.status}`);
      bar.update(Math.floor(view.progress * 100));
      await sleep(1000);
    }
    bar.update(100);
    bar.stop();
    const { stream } = await app.rights.exports.download(personId, requested.id);
    await pipeline(stream, fs.createWriteStream(flags.out, { mode: 0o600 }));
    const view = await app.rights.exports.get(personId, requested.id);
    process.stdout.write(`exported person ${personId} to ${flags.out} (export ${view.id}; its stored copy expires ${view.expiresAt?.toISOString()})\n`);
  });
}

export async function eraseCommand(flags: CommonFlags & { user: string; now?: boolean }): Promise<void> {
  await withApp(flags, async (app) => {
    const personId = await personIdByEmail(app.identity.db, flags.user);
    const erasure = await app.rights.erasures.request(personId, 'operator', { now: flags.now });
    if (!flags.now) {
      process.stdout.write(`erasure ${erasure.id} of person ${personId} scheduled for ${erasure.eraseAfter.toISOString()}; sessions, API keys and credentials are gone already\n`);
      return;
    }
    // An earlier run that was killed holds its lease a little longer: wait it out, then resume.
    const deadline = Date.now() + (LEASE_SECONDS + 10) * 1000;
    while (!(await app.rights.erasures.run(erasure.id))) {
      const state = await app.rights.erasures.get(erasure.id);
      if (state.status === 'completed') break;
      if (Date.now() > deadline) throw new Error('another process is running this erasure; it will finish it');
      await sleep(1000);
    }
    // The receipt waits in the outbox; give this process's mail worker a moment to send it.
    for (let i = 0; i < 20; i += 1) {
      if ((await app.mail.unsent()) === 0) break;
      await sleep(500);
    }
    process.stdout.write(`erased person ${personId} (erasure ${erasure.id})\n`);
  });
}

export async function requestsCommand(flags: CommonFlags & { overdue?: boolean; json?: boolean }): Promise<void> {
  await withApp(flags, async (app) => {
    const items = await app.rights.requests.list({ overdue: flags.overdue, limit: 1000 });
    if (flags.json) return void process.stdout.write(JSON.stringify(items, null, 2) + '\n');
    if (items.length === 0) return void process.stdout.write(flags.overdue ? 'no overdue requests\n' : 'no requests\n');
    for (const r of items) {
      const answered = r.completedAt ? `${r.status} ${r.completedAt.toISOString()}` : r.overdue ? 'OVERDUE' : 'open';
      process.stdout.write(`${r.receivedAt.toISOString()}  ${r.kind.padEnd(10)} ${r.source.padEnd(8)} due ${r.dueAt.toISOString()}  ${answered.padEnd(34)} ${r.personId}  ${r.id}\n`);
    }
    if (flags.overdue) process.exitCode = 1;
  });
}
