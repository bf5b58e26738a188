// The handler of mail.send: opens one outbox row, renders it, hands it to the transport and deletes
// the row. Delivery is at least once (a crash between the send and the delete sends it again; the
// Message-ID, made from the outbox id, lets a mail client fold the copies). Log lines carry the
// outbox id, the template and the outcome: never the address, the link or the error's message
// (an SMTP server's refusal quotes the address), which the logger's error serializer drops.
import { sql, type Kysely } from 'kysely';
import { ZodError } from 'zod';
import { isAppError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Keystore } from '../crypto/index.ts';
import { openSealedMail, type MailTables } from './outbox.ts';
import { MailError, isMailTemplateName, renderMail } from './templates.ts';
import type { MailTransport, OutgoingMail } from './transports.ts';

export interface DeliveryDeps {
  db: Kysely<MailTables>;
  keystore: Pick<Keystore, 'secret'>;
  transport: MailTransport;
  from: string;
  log: Logger;
}

export interface DeliveryOptions {
  /** The job's last try: a failure now gives the mail up, and its row (address and link) goes. */
  finalAttempt?: boolean;
}

/** gone: the row was already delivered (a repeated job); dropped: the row can never be sent. */
export type DeliveryOutcome = 'sent' | 'gone' | 'dropped';

// Failures that no retry can cure: a row that fails its integrity check, or whose content is not
// a mail any template renders.
function isPermanent(err: unknown): boolean {
  return (isAppError(err) && err.code === 'sealed_data_invalid') || err instanceof MailError || err instanceof ZodError || err instanceof SyntaxError;
}

export async function deliverMail(deps: DeliveryDeps, outboxId: string, options: DeliveryOptions = {}): Promise<DeliveryOutcome> {
  const { db, log } = deps;
  // Counting the attempt and reading the row in one statement; no row: already delivered.
  const row = await db.updateTable('mail_outbox').set({ attempts: sql`attempts + 1` }).where('id', '=', outboxId)
    .returning(['template', 'sealed', 'attempts']).executeTakeFirst();
  if (!row) {
    log.info({ outboxId, outcome: 'gone' }, 'mail already delivered');
    return 'gone';
  }
  const fields = { outboxId, template: isMailTemplateName(row.template) ? row.template : 'unknown', attempt: row.attempts };
  const remove = () => db.deleteFrom('mail_outbox').where('id', '=', outboxId).execute();

  let message: OutgoingMail;
  try {
    const mail = await openSealedMail(deps.keystore, outboxId, row.sealed);
    if (mail.template !== row.template) throw new MailError('mismatched_template', 'an outbox row names another template than the one sealed in it');
    message = { id: outboxId, from: deps.from, to: mail.to, ...renderMail(mail.template, mail.vars) };
  } catch (err) {
    if (!isPermanent(err)) throw err;
    await remove();
    log.error({ ...fields, outcome: 'dropped', err }, 'mail dropped: its outbox row cannot be opened or rendered');
    return 'dropped';
  }

  // RFC 6761: names under .invalid never resolve, and software is to treat them so. Nothing is
  // handed to a relay that would only bounce it (custos verify's probe account lives there).
  if (/\.invalid$/i.test(message.to.split('@').pop() ?? '')) {
    await remove();
    log.info({ ...fields, outcome: 'not_sent' }, 'mail to a reserved .invalid address not sent');
    return 'dropped';
  }

  try {
    await deps.transport.send(message);
  } catch (err) {
    if (options.finalAttempt) {
      await remove();
      log.error({ ...fields, outcome: 'abandoned', err }, 'mail abandoned after its last attempt');
    } else {
      log.warn({ ...fields, outcome: 'retry', err }, 'mail not sent; it will be retried');
    }
    throw err;
  }
  await remove();
  log.info({ ...fields, outcome: 'sent' }, 'mail sent');
  return 'sent';
}
