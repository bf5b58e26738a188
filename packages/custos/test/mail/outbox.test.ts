import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.ts';
import { transaction } from '../../src/db/transaction.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { openKeys, type Keys } from '../../src/keys.ts';
import { DEFAULT_MAIL_FROM, type MailConfig } from '../../src/core/config.ts';
import { MailError, createMail, type Mail, type MailRequest, type MailTables } from '../../src/mail/index.ts';
import { ENGINE, useMigratedRuntime } from '../support/database.ts';
import { LogCapture } from '../support/log-capture.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

const handle = useMigratedRuntime();
const logs = new LogCapture();
const log = createLogger({ level: 'info', destination: logs });
let keys: Keys;
let smtp: TestSmtpServer;
let running: { queue: JobQueue; mail: Mail } | undefined;
// Every address and link a test puts in a mail: none may reach a log line or a job row.
const planted: string[] = [];

beforeAll(async () => {
  keys = openKeys(handle.testDb.config, log);
  smtp = await startSmtpServer();
});
afterEach(async () => {
  await running?.queue.stop(2000);
  await running?.mail.close();
  running = undefined;
});
afterAll(async () => {
  await smtp?.close();
});

/**
 * A queue with the mail handler on it. One at a time: workers of the same queue name would share
 * the jobs. Retries are a second apart here (the first start of a queue name fixes its timings).
 */
async function startMail(config: Partial<MailConfig>, options: { pollingIntervalSeconds?: number; handle?: boolean } = {}): Promise<Mail> {
  const queue = new JobQueue({ database: handle.runtime, log, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 60 });
  const mail = createMail({
    database: handle.runtime,
    keystore: keys.keystore,
    queue,
    log,
    dataDir: handle.testDb.config.dataDir,
    config: { transport: 'mailbox', smtpUrl: undefined, from: DEFAULT_MAIL_FROM, ...config },
    retry: { delaySeconds: 1 },
  });
  if (options.handle === false) queue.declare(mail.job);
  else mail.register();
  // A process that only declares mail.send (no worker) enqueues inside a transaction from the
  // start: JobQueue.start() leaves pg-boss's queue cache filled, so that never waits on the pool.
  await queue.start();
  running = { queue, mail };
  return mail;
}

function address(): string {
  const value = `person-${crypto.randomBytes(4).toString('hex')}@example.com`;
  planted.push(value);
  return value;
}

function link(): string {
  const token = crypto.randomBytes(16).toString('hex');
  planted.push(token);
  return `http://localhost:8787/v1/auth/verify-email?token=${token}`;
}

async function outboxRows(id?: string): Promise<number> {
  const { rows } = id
    ? await handle.runtime.pool.query<{ n: number }>('select count(*)::int as n from mail_outbox where id = $1', [id])
    : await handle.runtime.pool.query<{ n: number }>('select count(*)::int as n from mail_outbox');
  return rows[0]!.n;
}

async function mailJobs(): Promise<number> {
  const { rows } = await handle.runtime.pool.query<{ n: number }>(`select count(*)::int as n from custos_jobs.job where name = 'mail.send'`);
  return rows[0]!.n;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe(`mail outbox on ${ENGINE}`, () => {
  it('P-COM-1: a mail queued in a committed transaction is delivered over SMTP; until then the row is sealed, afterwards it is gone', async () => {
    const mail = await startMail({ transport: 'smtp', smtpUrl: smtp.url });
    const to = address();
    const url = link();
    let stored: { template: string; sealed: Buffer } | undefined;
    let jobData: unknown[] = [];
    const id = await transaction(handle.runtime.db.$extendTables<MailTables>(), async (trx) => {
      const outboxId = await mail.outbox.queue(trx, { template: 'verify_email', to, vars: { url } });
      // Read before delivery: the worker cannot run before this transaction commits.
      stored = (await sql<{ template: string; sealed: Buffer }>`select template, sealed from mail_outbox where id = ${outboxId}`.execute(trx)).rows[0];
      jobData = (await sql<{ data: unknown }>`select data from custos_jobs.job where name = 'mail.send' and data->>'outboxId' = ${outboxId}`.execute(trx)).rows.map((r) => r.data);
      return outboxId;
    });

    expect(stored?.template).toBe('verify_email');
    const sealed = Buffer.from(stored!.sealed);
    for (const clear of [to, url, url.split('token=')[1]!, 'example.com']) expect(sealed.includes(clear)).toBe(false);
    expect(jobData).toEqual([{ outboxId: id }]);

    const received = await smtp.waitFor(to);
    expect(received.recipients).toEqual([to]);
    expect(received.parsed.subject).toBe('Confirm your email address');
    expect(received.parsed.from?.value).toEqual([{ name: 'custos', address: 'no-reply@localhost' }]);
    expect(received.parsed.messageId).toBe(`<${id}@localhost>`);
    expect(received.parsed.text).toContain(url);
    expect(received.parsed.html).toContain(`href="${url}"`);
    await eventually(async () => (await outboxRows(id)) === 0);
  }, 20_000);

  it('P-COM-1: a mail queued in a transaction that rolls back is never sent and leaves no row', async () => {
    const mail = await startMail({ transport: 'smtp', smtpUrl: smtp.url }, { pollingIntervalSeconds: 0.5 });
    const to = address();
    const before = { rows: await outboxRows(), jobs: await mailJobs() };
    let id: string | undefined;
    await expect(transaction(handle.runtime.db.$extendTables<MailTables>(), async (trx) => {
      id = await mail.outbox.queue(trx, { template: 'password_reset', to, vars: { url: link() } });
      throw new Error('the reset request failed');
    })).rejects.toThrow('the reset request failed');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await outboxRows()).toBe(before.rows);
    expect(await mailJobs()).toBe(before.jobs);
    // Three polls' worth of time for anything that might have been sent after all.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(smtp.received.filter((m) => m.recipients.includes(to))).toEqual([]);
  }, 20_000);

  it('P-COM-1: the default mailbox transport writes a complete .eml under <dataDir>/mailbox within a second of the commit', async () => {
    // A 60 s idle poll: only the wake-up after commit can deliver it in time.
    const mail = await startMail({ transport: 'mailbox' });
    const dir = path.join(handle.testDb.config.dataDir, 'mailbox');
    const to = address();
    const url = link();
    const id = await transaction(handle.runtime.db.$extendTables<MailTables>(), (trx) =>
      mail.outbox.queue(trx, { template: 'email_change_confirm', to, vars: { url, newEmail: to } }));
    const committed = Date.now();
    let file: string | undefined;
    await eventually(async () => {
      file = fs.existsSync(dir) ? fs.readdirSync(dir).find((name) => name.endsWith(`-${id}.eml`)) : undefined;
      return file !== undefined;
    }, 1000);
    expect(Date.now() - committed).toBeLessThan(1000);
    expect(file).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-[0-9a-f-]{36}\.eml$/);
    const full = path.join(dir, file!);
    if (process.platform !== 'win32') {
      expect(fs.statSync(full).mode & 0o777).toBe(0o600);
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    }
    const raw = fs.readFileSync(full);
    expect(raw.includes('\r\n')).toBe(true);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Confirm your new email address');
    expect(parsed.headers.get('to')).toMatchObject({ value: [{ address: to }] });
    expect(parsed.text).toContain(url);
    expect(parsed.html).toContain(`href="${url}"`);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await eventually(async () => (await outboxRows(id)) === 0);
  });

  it('P-COM-1: a server that refuses the first attempt gets the mail on a retry', async () => {
    const to = address();
    const flaky = await startSmtpServer({
      // The refusal quotes the address, as real servers do: it must reach neither logs nor job rows.
      refuseRcpt: (rcpt, count) => (count === 1 ? Object.assign(new Error(`mailbox ${rcpt.address} is busy, try later`), { responseCode: 451 }) : null),
    });
    try {
      const mail = await startMail({ transport: 'smtp', smtpUrl: flaky.url }, { pollingIntervalSeconds: 0.5 });
      const id = await mail.outbox.queue(handle.runtime.db.$extendTables<MailTables>(), { template: 'signin_notice', to, vars: { at: new Date().toISOString(), userAgent: 'Firefox <on> Linux' } });
      const received = await flaky.waitFor(to);
      expect(flaky.rcptCount()).toBe(2);
      expect(received.parsed.subject).toBe('New sign-in to your account');
      expect(received.parsed.html).toContain('Firefox &#60;on&#62; Linux');
      await eventually(async () => (await outboxRows(id)) === 0);
      const lines = logs.records().filter((r) => r.outboxId === id);
      expect(lines.map((r) => [r.outcome, r.attempt])).toEqual([['retry', 1], ['sent', 2]]);
    } finally {
      await flaky.close();
    }
  }, 30_000);

  it('P-COM-1: only the known templates with valid variables and a valid address are queued; a refusal writes nothing', async () => {
    const mail = await startMail({ transport: 'mailbox' });
    const before = { rows: await outboxRows(), jobs: await mailJobs() };
    const to = address();
    const refused: Array<[unknown, string]> = [
      [{ template: 'newsletter', to, vars: { url: link() } }, 'unknown_template'],
      [{ template: 'toString', to, vars: {} }, 'unknown_template'],
      [{ template: 'verify_email', to, vars: {} }, 'invalid_vars'],
      [{ template: 'verify_email', to, vars: { url: 'javascript:alert(1)' } }, 'invalid_vars'],
      [{ template: 'password_reset', to, vars: { url: link(), promo: 'Buy now' } }, 'invalid_vars'],
      [{ template: 'email_change_notice', to, vars: { newEmail: address() } }, 'invalid_vars'],
      [{ template: 'signin_notice', to, vars: { at: 'yesterday' } }, 'invalid_vars'],
      [{ template: 'verify_email', to: 'not an address', vars: { url: link() } }, 'invalid_recipient'],
      [{ template: 'verify_email', to: `${to}\r\nBcc: someone@example.com`, vars: { url: link() } }, 'invalid_recipient'],
    ];
    for (const [request, code] of refused) {
      const err = await transaction(handle.runtime.db.$extendTables<MailTables>(), (trx) => mail.outbox.queue(trx, request as MailRequest)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MailError);
      expect((err as MailError).code).toBe(code);
      for (const value of planted) expect((err as MailError).message).not.toContain(value);
    }
    expect(await outboxRows()).toBe(before.rows);
    expect(await mailJobs()).toBe(before.jobs);
  });

  it('a mail whose last attempt fails is given up and its row deleted; a repeated job finds nothing to send', async () => {
    const to = address();
    const refusing = await startSmtpServer({ refuseRcpt: (rcpt) => Object.assign(new Error(`no such user ${rcpt.address}`), { responseCode: 550 }) });
    try {
      // The job is declared but not handled here: the test runs the handler itself.
      const mail = await startMail({ transport: 'smtp', smtpUrl: refusing.url }, { handle: false });
      const id = await mail.outbox.queue(handle.runtime.db.$extendTables<MailTables>(), { template: 'email_change_notice', to, vars: {} });
      await expect(mail.deliver(id, { finalAttempt: true })).rejects.toThrow();
      expect(await outboxRows(id)).toBe(0);
      expect(await mail.deliver(id)).toBe('gone');
      const lines = logs.records().filter((r) => r.outboxId === id);
      expect(lines.map((r) => r.outcome)).toEqual(['abandoned', 'gone']);
    } finally {
      await refusing.close();
    }
  });

  it('a row relabelled with another template in the database is dropped, not sent', async () => {
    const mail = await startMail({ transport: 'smtp', smtpUrl: smtp.url }, { handle: false });
    const to = address();
    const id = await mail.outbox.queue(handle.runtime.db.$extendTables<MailTables>(), { template: 'password_reset', to, vars: { url: link() } });
    await handle.runtime.pool.query(`update mail_outbox set template = 'verify_email' where id = $1`, [id]);
    expect(await mail.deliver(id)).toBe('dropped');
    expect(await outboxRows(id)).toBe(0);
    expect(smtp.received.filter((m) => m.recipients.includes(to))).toEqual([]);
  });

  it('P-COM-1: no log line and no job row holds an address or a link that was mailed', async () => {
    expect(planted.length).toBeGreaterThan(10);
    const { rows } = await handle.runtime.pool.query<{ data: string; output: string | null }>(
      `select data::text as data, output::text as output from custos_jobs.job where name = 'mail.send'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    const stored = rows.map((r) => `${r.data} ${r.output ?? ''}`).join('\n');
    const logged = logs.text();
    expect(logged).toContain('"outcome":"sent"');
    for (const value of planted) {
      expect(logged).not.toContain(value);
      expect(stored).not.toContain(value);
    }
    expect(logged).not.toContain('example.com');
    expect(stored).not.toContain('example.com');
  });

  it('the outbox table is global and the runtime may only read and write its rows', async () => {
    const { rows } = await handle.runtime.pool.query<{ privilege: string }>(
      `select privilege_type as privilege from information_schema.role_table_grants
        where table_name = 'mail_outbox' and grantee = 'custos_runtime' order by 1`,
    );
    expect(rows.map((r) => r.privilege)).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    const columns = await handle.runtime.pool.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'mail_outbox' order by ordinal_position`,
    );
    expect(columns.rows.map((r) => r.column_name)).toEqual(['id', 'template', 'sealed', 'attempts', 'created_at']);
  });
});
