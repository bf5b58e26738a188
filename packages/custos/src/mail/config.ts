// Mail configuration from the environment: where transactional mail goes (a local mailbox folder by
// default, SMTP in production) and whom it comes from. Kept apart from core/config.ts so that it can
// be merged there as one small schema.
import { z } from 'zod';
import { ConfigError } from '../core/config.ts';

export const DEFAULT_MAIL_FROM = 'custos <no-reply@localhost>';

export type MailTransportKind = 'mailbox' | 'smtp';

export interface MailConfig {
  transport: MailTransportKind;
  /** smtp:// or smtps://, credentials included; set when transport is 'smtp'. */
  smtpUrl: string | undefined;
  /** The From header: `name <address>` or a bare address. */
  from: string;
}

const smtpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
});

// One address, optionally with a display name; no line breaks (it becomes a header).
const fromAddress = z
  .string()
  .trim()
  .max(320)
  .regex(/^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/);

/** The mail variables of the environment, for merging into the server's env schema. */
export const mailEnvSchema = z.object({
  CUSTOS_MAIL_TRANSPORT: z.enum(['mailbox', 'smtp']).optional(),
  CUSTOS_SMTP_URL: smtpUrl.optional(),
  CUSTOS_MAIL_FROM: fromAddress.optional(),
});

export function loadMailConfig(env: NodeJS.ProcessEnv = process.env): MailConfig {
  const parsed = mailEnvSchema.safeParse(env);
  if (!parsed.success) {
    // Name the variables, never echo their values: an SMTP URL carries a password.
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))];
    throw new ConfigError(`invalid configuration in ${names.join(', ')}`);
  }
  const e = parsed.data;
  const transport = e.CUSTOS_MAIL_TRANSPORT ?? (e.CUSTOS_SMTP_URL ? 'smtp' : 'mailbox');
  if (transport === 'smtp' && !e.CUSTOS_SMTP_URL) {
    throw new ConfigError('CUSTOS_MAIL_TRANSPORT is smtp but CUSTOS_SMTP_URL is not set');
  }
  return { transport, smtpUrl: transport === 'smtp' ? e.CUSTOS_SMTP_URL : undefined, from: e.CUSTOS_MAIL_FROM ?? DEFAULT_MAIL_FROM };
}
