// The mail service as the composition root builds it: the outbox that producers write to, the
// transport chosen by configuration, and the mail.send handler that joins them.
import type { Logger } from '../core/log.ts';
import type { Keystore } from '../crypto/index.ts';
import type { Database } from '../db/connect.ts';
import type { JobContract } from '../jobs/contracts.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { MailConfig } from '../core/config.ts';
import { deliverMail, type DeliveryOptions, type DeliveryOutcome } from './delivery.ts';
import { MAIL_SEND, Outbox, type MailSendPayload, type MailTables } from './outbox.ts';
import { transportFor, type MailTransport } from './transports.ts';

export interface MailDeps {
  database: Pick<Database, 'db'>;
  keystore: Pick<Keystore, 'secret'>;
  queue: Pick<JobQueue, 'enqueue' | 'handle'>;
  log: Logger;
  /** The mailbox transport writes to `<dataDir>/mailbox`. */
  dataDir: string;
  config: MailConfig;
  /**
   * Overrides MAIL_SEND's retry timings. pg-boss keeps the timings a queue was first created with,
   * so this takes effect on a database where mail.send does not exist yet.
   */
  retry?: { limit?: number; delaySeconds?: number };
}

export interface Mail {
  readonly outbox: Outbox;
  readonly transport: MailTransport;
  /** The mail.send contract as declared by register(). */
  readonly job: JobContract<MailSendPayload>;
  /** Sends one outbox row now: what the job handler runs. */
  deliver(outboxId: string, options?: DeliveryOptions): Promise<DeliveryOutcome>;
  /** How many mails wait in the outbox (a delivered mail's row is gone). */
  unsent(): Promise<number>;
  /** Declares mail.send and handles it on this server; call before the queue starts. */
  register(queue?: Pick<JobQueue, 'handle'>): void;
  close(): Promise<void>;
}

export function createMail(deps: MailDeps): Mail {
  const job: JobContract<MailSendPayload> = {
    ...MAIL_SEND,
    retryLimit: deps.retry?.limit ?? MAIL_SEND.retryLimit,
    retryDelaySeconds: deps.retry?.delaySeconds ?? MAIL_SEND.retryDelaySeconds,
  };
  const transport = transportFor(deps.config, deps.dataDir);
  const outbox = new Outbox({ keystore: deps.keystore, queue: deps.queue, job });
  const delivery = {
    db: deps.database.db.$extendTables<MailTables>(),
    keystore: deps.keystore,
    transport,
    from: deps.config.from,
    log: deps.log,
  };
  const deliver = (outboxId: string, options?: DeliveryOptions) => deliverMail(delivery, outboxId, options);
  return {
    outbox,
    transport,
    job,
    deliver,
    unsent: async () => Number((await delivery.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    register: (queue = deps.queue) => {
      queue.handle(job, (payload, info) => deliver(payload.outboxId, { finalAttempt: info.retryCount >= (job.retryLimit ?? 0) }).then(() => undefined));
    },
    close: () => transport.close(),
  };
}
