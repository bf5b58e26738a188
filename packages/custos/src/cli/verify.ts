// custos verify: the running system checked against its policy, claim by claim; exit 1 if any fails.
import { formatReport, runVerify } from '../verify/index.ts';
import type { CommonFlags } from './config-from-flags.ts';
import { withApp } from './with-app.ts';

export async function verifyCommand(flags: CommonFlags & { json?: boolean; url?: string; log?: string[] }): Promise<void> {
  await withApp(flags, async (app) => {
    const report = await runVerify(app, { ...(flags.url ? { url: new URL(flags.url) } : {}), logFiles: flags.log ?? [] });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    if (!report.ok) process.exitCode = 1;
  }, { migrate: false });
}
