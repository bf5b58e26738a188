// The outbox: a mail is written in the transaction of the change it tells about (a sign-up, a
// password reset request), together with the job that sends it, so that it is sent if and only if
// that change commits, and the worker is woken once it has. The row holds what the mail must say
// (recipient and variables) sealed under an instance key; the job holds the row's id only. The row
// is deleted once the mail is delivered.
import type { Generated, Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { hkdf } from '../crypto/aead.ts';
import { open, seal, type Keystore, type SealContext } from '../crypto/index.ts';
import { transaction } from '../db/transaction.ts';
import { defineJob, type JobContract } from '../jobs/contracts.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { MailError, parseMailVars, type MailTemplateName, type MailVars } from './templates.ts';

export interface MailOutboxTable {
  id: string;
  template: string;
  sealed: Buffer;
  attempts: Generated<number>;
  created_at: Generated<Date>;
}

export type MailTables = {
  mail_outbox: MailOutboxTable;
};

export type MailSendPayload = { outboxId: string };

/** Sends one outbox row. Retried with jittered backoff from 5 s: the last try comes 20-40 minutes after the first. */
export const MAIL_SEND: JobContract<MailSendPayload> = defineJob({
  name: 'mail.send',
  payload: z.object({ outboxId: z.uuid() }),
  retryLimit: 8,
  retryDelaySeconds: 5,
  // Longer than nodemailer's own SMTP timeouts (10 min on a silent socket), so an attempt still
  // talking to the server is not counted as failed and sent a second time.
  expireInSeconds: 15 * 60,
});

/** A mail to queue: one of the templates, with that template's variables. */
export type MailRequest = { [T in MailTemplateName]: { template: T; to: string; vars: MailVars<T> } }[MailTemplateName];

/** What the sealed column holds. The template is inside too, so a row relabelled in the database is refused. */
export const sealedMailSchema = z.object({
  template: z.string(),
  to: z.email(),
  vars: z.record(z.string(), z.unknown()),
});
export type SealedMail = z.infer<typeof sealedMailSchema>;

// Mail is not any workspace's: it is sealed in the instance's name (the nil tenant).
const INSTANCE_TENANT = '00000000-0000-0000-0000-000000000000';

export function outboxSealContext(id: string): SealContext {
  return { tenantId: INSTANCE_TENANT, table: 'mail_outbox', column: 'sealed', rowId: id };
}

// One instance secret for all mail: rows live minutes, not years, so there is nothing to shred
// per person; version 0 in the envelope says "not a tenant data key".
export async function mailKey(keystore: Pick<Keystore, 'secret'>): Promise<Buffer> {
  return hkdf(await keystore.secret('instance:mail'), Buffer.alloc(0), 'custos/v1/mail');
}

export async function openSealedMail(keystore: Pick<Keystore, 'secret'>, id: string, sealed: Buffer): Promise<SealedMail> {
  const key = await mailKey(keystore);
  const plaintext = await open((version) => {
    if (version !== 0) throw new AppError('sealed_data_invalid', 'an outbox row names a key version mail does not use');
    return key;
  }, outboxSealContext(id), sealed);
  return sealedMailSchema.parse(JSON.parse(plaintext.toString('utf8')));
}

const recipient = z.email().max(254);

export interface OutboxDeps {
  keystore: Pick<Keystore, 'secret'>;
  queue: Pick<JobQueue, 'enqueue'>;
  /** The job contract the queue declared for mail (MAIL_SEND, or one with other retry timings). */
  job?: JobContract<MailSendPayload>;
}

export class Outbox {
  readonly #keystore: Pick<Keystore, 'secret'>;
  readonly #queue: Pick<JobQueue, 'enqueue'>;
  readonly #job: JobContract<MailSendPayload>;

  constructor(deps: OutboxDeps) {
    this.#keystore = deps.keystore;
    this.#queue = deps.queue;
    this.#job = deps.job ?? MAIL_SEND;
  }

  /**
   * Queues a mail in `executor`: a transaction (from transaction() or withTenant(), so that the
   * worker is woken after the commit) to send it only if that commits, or the database itself to
   * send it at once. Refuses an unknown template, bad variables or a bad address before anything
   * is written. Returns the outbox id.
   */
  async queue(executor: Kysely<MailTables> | Transaction<MailTables>, mail: MailRequest): Promise<string> {
    const vars = parseMailVars(mail.template, mail.vars);
    if (!recipient.safeParse(mail.to).success) throw new MailError('invalid_recipient', `mail ${mail.template}: the recipient is not an email address`);
    const content: SealedMail = { template: mail.template, to: mail.to, vars };
    // The row and its job are two writes: outside a transaction, open one so neither exists alone.
    return executor.isTransaction ? this.#write(executor, content) : transaction(executor, (trx) => this.#write(trx, content));
  }

  async #write(trx: Kysely<MailTables>, content: SealedMail): Promise<string> {
    const id = newId();
    const sealed = seal({ version: 0, key: await mailKey(this.#keystore) }, outboxSealContext(id), Buffer.from(JSON.stringify(content)));
    await trx.insertInto('mail_outbox').values({ id, template: content.template, sealed }).execute();
    await this.#queue.enqueue(trx, this.#job, { outboxId: id });
    return id;
  }
}
