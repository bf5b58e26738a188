import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MAIL_FROM, loadConfig } from '../../src/core/config.ts';

// The mail variables as the server reads them (core/config.ts, the one parser of the environment).
const loadMailConfig = (env: NodeJS.ProcessEnv) => loadConfig(env).mail;

describe('mail configuration', () => {
  it('defaults to the local mailbox and a no-reply sender', () => {
    expect(loadMailConfig({})).toEqual({ transport: 'mailbox', smtpUrl: undefined, from: DEFAULT_MAIL_FROM });
  });

  it('an SMTP URL selects SMTP unless the transport says otherwise', () => {
    const smtpUrl = 'smtps://user:pass@mail.example:465';
    expect(loadMailConfig({ CUSTOS_SMTP_URL: smtpUrl, CUSTOS_MAIL_FROM: 'Acme <no-reply@acme.example>' }))
      .toEqual({ transport: 'smtp', smtpUrl, from: 'Acme <no-reply@acme.example>' });
    expect(loadMailConfig({ CUSTOS_SMTP_URL: smtpUrl, CUSTOS_MAIL_TRANSPORT: 'mailbox' }).transport).toBe('mailbox');
  });

  it('a bad value is named without being echoed', () => {
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ CUSTOS_SMTP_URL: 'http://user:hunter2secret@mail.example' }, 'CUSTOS_SMTP_URL'],
      [{ CUSTOS_MAIL_TRANSPORT: 'smtp' }, 'CUSTOS_SMTP_URL'],
      [{ CUSTOS_MAIL_TRANSPORT: 'sendgrid-hunter2secret' }, 'CUSTOS_MAIL_TRANSPORT'],
      [{ CUSTOS_MAIL_FROM: 'a@b.example\r\nBcc: hunter2secret@x.example' }, 'CUSTOS_MAIL_FROM'],
    ];
    for (const [env, name] of cases) {
      let err: unknown;
      try {
        loadMailConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(name);
      expect((err as Error).message).not.toContain('hunter2secret');
    }
  });
});
