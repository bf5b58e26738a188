// custos audit verify: recomputes every chain (or one workspace's) and names the first broken link.
import type { Kysely } from 'kysely';
import { INSTANCE_CHAIN, chainsOf, verifyChain, type AuditTables } from '../audit/index.ts';
import { createLogger } from '../core/log.ts';
import { isUuid } from '../core/ids.ts';
import { openDatabase } from '../db/connect.ts';
import { openKeys } from '../keys.ts';
import { configFromFlags, fail, type CommonFlags } from './config-from-flags.ts';

export async function auditVerifyCommand(flags: CommonFlags & { workspace?: string }): Promise<void> {
  let broken = false;
  try {
    if (flags.workspace !== undefined && !isUuid(flags.workspace)) throw new Error('--workspace takes a workspace id (a uuid)');
    const config = configFromFlags(flags);
    const keys = openKeys(config, createLogger({ level: 'warn' }));
    // The owner reads every chain; verification only reads.
    const owner = await openDatabase(config, 'owner');
    try {
      const db = owner.db as unknown as Kysely<AuditTables>;
      const chains = flags.workspace ? [flags.workspace] : await chainsOf(db);
      const macKey = await keys.audit.macKey();
      for (const chain of chains) {
        const report = await verifyChain(db, chain, macKey);
        const name = chain === INSTANCE_CHAIN ? 'instance' : `workspace ${chain}`;
        process.stdout.write(report.problem ? `${name}: BROKEN at ${report.problem}\n` : `${name}: ok (${report.entries} entries)\n`);
        broken ||= report.problem !== null;
      }
      if (chains.length === 0) process.stdout.write('no audit entries yet\n');
    } finally {
      await owner.close();
    }
  } catch (err) {
    fail(err);
  }
  if (broken) process.exit(1);
}
