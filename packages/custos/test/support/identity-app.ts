// The real application with a real SMTP server as its mail transport, for identity tests.
import type { Config } from '../../src/core/config.ts';
import type { Infrastructure } from '../../src/app.ts';
import { startTestApp, type TestApp } from './app.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from './smtp.ts';

export interface IdentityTestApp extends TestApp {
  smtp: TestSmtpServer;
  /** The first mail to `address` whose subject contains `subject`, waiting for it if need be. */
  mailTo(address: string, subject: string): Promise<ReceivedMail>;
}

export function firstLink(mail: ReceivedMail): URL {
  const match = /https?:\/\/[^\s<>"]+/.exec(mail.parsed.text ?? '');
  if (!match) throw new Error('the mail holds no link');
  return new URL(match[0]);
}

export async function startIdentityApp(options: { config?: Partial<Config>; infra?: Infrastructure } = {}): Promise<IdentityTestApp> {
  const smtp = await startSmtpServer();
  const t = await startTestApp({
    config: { mail: { transport: 'smtp', smtpUrl: smtp.url, from: 'custos <no-reply@custos.test>' }, ...options.config },
    infra: { mailRetry: { delaySeconds: 1 }, jobPollingIntervalSeconds: 1, ...options.infra },
  });
  return {
    ...t,
    smtp,
    mailTo: async (address, subject) => {
      for (;;) {
        const found = smtp.received.find((m) => m.recipients.includes(address) && (m.parsed.subject ?? '').includes(subject));
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: async () => {
      await t.close();
      await smtp.close();
    },
  };
}
