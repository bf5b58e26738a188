// A real SMTP server on 127.0.0.1 (smtp-server), keeping every message it accepts, parsed.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail {
  /** RCPT TO of the envelope. */
  recipients: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedMail[];
  /** How many RCPT TO commands the server has seen, refused ones included. */
  rcptCount(): number;
  /** Resolves with the first accepted mail for `address`; the test's timeout is the bound. */
  waitFor(address: string): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  /** Returns an error to refuse this RCPT TO (its 4xx/5xx code in `responseCode`), or null to accept. */
  refuseRcpt?: (address: SMTPServerAddress, count: number) => (Error & { responseCode?: number }) | null;
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters: Array<{ address: string; resolve: (mail: ReceivedMail) => void }> = [];
  let rcpts = 0;
  const server = new SMTPServer({
    authOptional: true,
    // The built-in certificate would make nodemailer's opportunistic STARTTLS fail verification.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      rcpts += 1;
      callback(options.refuseRcpt?.(address, rcpts) ?? null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((parsed) => {
          const mail = { recipients: session.envelope.rcptTo.map((r) => r.address), raw, parsed };
          received.push(mail);
          for (const waiter of [...waiters]) {
            if (mail.recipients.includes(waiter.address)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(mail);
            }
          }
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    rcptCount: () => rcpts,
    waitFor: (address) => {
      const found = received.find((mail) => mail.recipients.includes(address));
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ address, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(resolve)),
  };
}
