// custos verify on a deployment holding 100,000 messages (100 conversations of 1,000, appended
// through the data services, sealed as in production), on either engine. Target: under 10 s.
// Timed: runVerify in the server's process (median of 3), and `custos verify` end to end as an
// operator runs it (the CLI: start, migrations checked, every claim, the probe erased), once.
// Baseline, same run: one read of every message's sealed content in its tenant transaction
// (select sum(octet_length(content))), the least any check that looks at the data could cost.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { createApp } from '../packages/custos/src/app.ts';
import { withTenant } from '../packages/custos/src/db/tenant.ts';
import { runVerify } from '../packages/custos/src/verify/index.ts';
import { benchApp } from './bench-app.ts';
import { fillAccount } from './export.ts';

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100);
const TARGET_MS = 10_000;
const CLI = path.join(import.meta.dirname, '..', 'packages', 'custos', 'src', 'cli', 'main.ts');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchVerify(): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const bench = await benchApp((config, infra) => createApp(config, infra), { ownTablesOnly: true });
  const { app, principal } = bench;
  try {
    const filling = performance.now();
    await fillAccount(app, principal, CONVERSATIONS);
    const messages = await withTenant(app.database.db, principal.workspaceId, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from messages`.execute(trx)).rows[0]!.n);
    out(`\nverify: ${messages} messages on ${bench.engine} (filled in ${((performance.now() - filling) / 1000).toFixed(1)} s)`);

    const scans: number[] = [];
    const runs: number[] = [];
    let failed: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      let started = performance.now();
      await withTenant(app.database.db, principal.workspaceId, (trx) => sql`select sum(octet_length(content)) from messages`.execute(trx));
      scans.push(performance.now() - started);
      started = performance.now();
      const report = await runVerify(app, { record: false });
      runs.push(performance.now() - started);
      failed = report.rows.filter((row) => row.result === 'fail').map((row) => row.id);
    }
    const scan = median(scans);
    const verify = median(runs);
    out(`  baseline, one read of every message's content: ${scan.toFixed(0)} ms (median of 3)`);
    out(`  runVerify in the server's process:             ${verify.toFixed(0)} ms (median of 3; ${(verify / scan).toFixed(1)}x the baseline)${failed.length ? `; failing rows: ${failed.join(', ')}` : '; every claim holds'}`);

    // The CLI as an operator runs it: the embedded engine needs the server stopped first.
    await app.close();
    const env = { ...process.env, CUSTOS_DATA_DIR: app.config.dataDir, CUSTOS_LOG_LEVEL: 'silent', ...(app.config.databaseUrl ? { DATABASE_URL: app.config.databaseUrl } : {}) };
    const started = performance.now();
    let exit = 0;
    try {
      execFileSync(process.execPath, [CLI, 'verify', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      exit = (err as { status?: number }).status ?? 1;
    }
    const cli = performance.now() - started;
    out(`  custos verify, end to end (CLI):                ${cli.toFixed(0)} ms (exit ${exit}; ${(cli / scan).toFixed(1)}x the baseline)`);
    out(`  target < ${TARGET_MS / 1000} s: ${cli < TARGET_MS ? 'MET' : 'NOT MET'}`);
  } finally {
    await bench.close();
  }
}
