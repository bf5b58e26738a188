// Where a rendered mail goes: an SMTP server (production), or the local mailbox, a folder of .eml
// files in the data dir (the embedded default: one command runs custos with nothing to set up, and
// a developer opens the mail in any mail client). Both build the message with nodemailer, so the
// mailbox holds the same MIME that SMTP would carry.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type { MailConfig } from '../core/config.ts';

export interface OutgoingMail {
  /** The outbox id: the Message-ID is made from it, so a resent duplicate can be recognised. */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  send(message: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

export const MAILBOX_DIR_NAME = 'mailbox';

function messageOptions(message: OutgoingMail): SendMailOptions {
  const domain = /@([^@<>\s]+)>?\s*$/.exec(message.from)?.[1] ?? 'localhost';
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: `<${message.id}@${domain}>`,
    // The content is ours, but nothing in a mail should ever make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export class SmtpTransport implements MailTransport {
  readonly #transporter: Transporter;

  constructor(url: string) {
    // nodemailer reads host, port, TLS (smtps:) and credentials from the URL; its logger is off
    // by default, so no SMTP dialogue (which names the recipient) reaches any log.
    this.#transporter = createTransport(url);
  }

  async send(message: OutgoingMail): Promise<void> {
    await this.#transporter.sendMail(messageOptions(message));
  }

  async close(): Promise<void> {
    this.#transporter.close();
  }
}

export class MailboxTransport implements MailTransport {
  readonly #dir: string;
  // Builds the complete RFC 822 message in memory (CRLF line ends, as on the wire) without sending it.
  readonly #composer = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  #dirReady: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  get dir(): string {
    return this.#dir;
  }

  async send(message: OutgoingMail): Promise<void> {
    const info = await this.#composer.sendMail(messageOptions(message));
    if (!Buffer.isBuffer(info.message)) throw new Error('the mail composer did not return a buffer');
    await (this.#dirReady ??= this.#prepareDir());
    // Colons are left out of the time: they are not allowed in Windows file names.
    const name = `${new Date().toISOString().replace(/:/g, '-')}-${message.id}.eml`;
    // Written under a hidden temporary name and renamed: a reader of the folder never sees half a mail.
    const temp = path.join(this.#dir, `.${name}.${crypto.randomBytes(4).toString('hex')}.tmp`);
    const file = await fs.open(temp, 'wx', 0o600);
    try {
      await file.writeFile(info.message);
      await file.sync();
    } catch (err) {
      await file.close();
      await fs.rm(temp, { force: true });
      throw err;
    }
    await file.close();
    await fs.rename(temp, path.join(this.#dir, name));
  }

  async close(): Promise<void> {}

  async #prepareDir(): Promise<void> {
    try {
      await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
      // The folder holds addresses and links in clear: owner only, whatever the umask or an older mode.
      await fs.chmod(this.#dir, 0o700);
    } catch (err) {
      this.#dirReady = undefined; // try again at the next mail
      throw err;
    }
  }
}

export function transportFor(config: MailConfig, dataDir: string): MailTransport {
  if (config.transport === 'smtp') {
    if (!config.smtpUrl) throw new Error('the smtp mail transport needs CUSTOS_SMTP_URL');
    return new SmtpTransport(config.smtpUrl);
  }
  return new MailboxTransport(path.join(dataDir, MAILBOX_DIR_NAME));
}
