// custos audit verify: recomputes every chain (or one workspace's) and names the first broken link.
import { isUuid } from '../core/ids.ts';
import { verifyAudit } from '../operator.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

export async function auditVerifyCommand(flags: CommonFlags & { workspace?: string }): Promise<void> {
  let broken = false;
  try {
    if (flags.workspace !== undefined && !isUuid(flags.workspace)) throw new Error('--workspace takes a workspace id (a uuid)');
    const reports = await verifyAudit(configFromFlags(flags), flags.workspace);
    for (const { chain, instance, report } of reports) {
      const name = instance ? 'instance' : `workspace ${chain}`;
      process.stdout.write(report.problem ? `${name}: BROKEN at ${report.problem}\n` : `${name}: ok (${report.entries} entries)\n`);
      broken ||= report.problem !== null;
    }
    if (reports.length === 0) process.stdout.write('no audit entries yet\n');
  } catch (err) {
    fail(err);
  }
  if (broken) process.exit(1);
}
