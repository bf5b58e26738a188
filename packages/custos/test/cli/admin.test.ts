// custos admin grant|revoke EMAIL, run as a real process against the data dir.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { asOwner, ENGINE } from '../support/database.ts';
import { signUp, type Person } from '../support/people.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
let t: TestApp;
let person: Person;

beforeAll(async () => {
  t = await startTestApp();
  person = await signUp(t);
  // The embedded engine admits one process: the CLI runs with the server stopped.
  await t.app.close();
});
afterAll(async () => t?.testDatabase.drop());

function cli(...args: string[]) {
  const env = { ...process.env, CUSTOS_RUNTIME_PASSWORD: t.config.runtimePassword, ...(t.config.databaseUrl ? { DATABASE_URL: t.config.databaseUrl } : {}) };
  return spawnSync(process.execPath, [MAIN, ...args, '--data-dir', t.config.dataDir], { env, encoding: 'utf8' });
}

const admins = () => asOwner(t.config, async (owner) => (await owner.pool.query<{ person_id: string }>('select person_id from instance_admins')).rows.map((r) => r.person_id));

describe(`custos admin on ${ENGINE}`, () => {
  it('grants and revokes instance administration by email address, audited', async () => {
    const granted = cli('admin', 'grant', person.email.toUpperCase());
    expect(granted.stderr).toBe('');
    expect([granted.status, granted.stdout]).toEqual([0, `granted instance admin to person ${person.personId}\n`]);
    expect(await admins()).toEqual([person.personId]);
    const unknown = cli('admin', 'grant', 'nobody@example.test');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('custos: no account has that email address\n');
    const revoked = cli('admin', 'revoke', person.email);
    expect(revoked.status).toBe(0);
    expect(await admins()).toEqual([]);
    const actions = await asOwner(t.config, async (owner) => {
      const client = await owner.pool.connect();
      try {
        await client.query('begin');
        await client.query(`set local custos.tenant_id = '00000000-0000-0000-0000-000000000000'`);
        return (await client.query(`select action, target_id from audit_entries where action like 'admin.%' order by seq`)).rows as Array<{ action: string; target_id: string }>;
      } finally {
        await client.query('rollback');
        client.release();
      }
    });
    expect(actions).toEqual([{ action: 'admin.granted', target_id: person.personId }, { action: 'admin.revoked', target_id: person.personId }]);
  });
});
