// The only mail custos sends (P-COM-1: transactional only): each kind is a template here with a
// schema for its variables, and nothing else can be rendered, so nothing else can be sent. Which
// address a kind goes to is the caller's part: email_change_confirm to the new address (it holds the
// link that proves it), email_change_notice to the old one (a warning only, no link to follow).
import { z } from 'zod';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export type MailErrorCode = 'unknown_template' | 'invalid_vars' | 'invalid_recipient' | 'mismatched_template';

/** A mail refused before it is written or sent. Messages name templates and fields, never values. */
export class MailError extends Error {
  readonly code: MailErrorCode;

  constructor(code: MailErrorCode, message: string) {
    super(message);
    this.name = 'MailError';
    this.code = code;
  }
}

// Links are built by the caller from CUSTOS_PUBLIC_URL; only http(s), so no `javascript:` href.
const link = z.url({ protocol: /^https?$/ }).max(2048);

// Five replacements: the whole of what a text node or a quoted attribute needs; a template engine
// would be a larger dependency than the templates it renders.
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Body {
  paragraphs: string[];
  action?: { label: string; url: string };
  footer: string;
}

function compose(subject: string, body: Body): RenderedMail {
  const text = [
    ...body.paragraphs,
    ...(body.action ? [`${body.action.label}:\n${body.action.url}`] : []),
    body.footer,
  ].join('\n\n');
  const action = body.action
    ? `<p><a href="${escapeHtml(body.action.url)}">${escapeHtml(body.action.label)}</a></p>\n` +
      `<p style="color:#555;font-size:13px">Or paste this link into your browser:<br>${escapeHtml(body.action.url)}</p>\n`
    : '';
  const html =
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family:sans-serif;line-height:1.5;max-width:560px">\n` +
    body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>\n`).join('') +
    action +
    `<p style="color:#555;font-size:13px">${escapeHtml(body.footer)}</p>\n</body></html>\n`;
  return { subject, text: `${text}\n`, html };
}

const AUTOMATED = 'This is an automated message about your account. You get no other kind of mail from us, so there is nothing to unsubscribe from.';

interface Template<S extends z.ZodType> {
  vars: S;
  render(vars: z.output<S>): RenderedMail;
}

function template<S extends z.ZodType>(vars: S, render: (vars: z.output<S>) => RenderedMail): Template<S> {
  return { vars, render };
}

export const MAIL_TEMPLATES = {
  verify_email: template(z.strictObject({ url: link }), ({ url }) =>
    compose('Confirm your email address', {
      paragraphs: ['Please confirm that this is your email address.', 'If you did not create an account, ignore this mail.'],
      action: { label: 'Confirm your email address', url },
      footer: AUTOMATED,
    })),
  password_reset: template(z.strictObject({ url: link }), ({ url }) =>
    compose('Reset your password', {
      paragraphs: ['Someone asked to reset the password of your account.', 'If it was not you, ignore this mail: your password stays as it is.'],
      action: { label: 'Choose a new password', url },
      footer: AUTOMATED,
    })),
  email_change_confirm: template(z.strictObject({ url: link, newEmail: z.email().max(254) }), ({ url, newEmail }) =>
    compose('Confirm your new email address', {
      paragraphs: [`Please confirm that ${newEmail} is the new email address of your account.`, 'If you did not ask for this change, ignore this mail.'],
      action: { label: 'Confirm the new address', url },
      footer: AUTOMATED,
    })),
  // Sent to the old address: no link and no new address, only the warning.
  email_change_notice: template(z.strictObject({}), () =>
    compose('Your email address is being changed', {
      paragraphs: [
        'Someone asked to change the email address of your account away from this one.',
        'If it was you, there is nothing to do. If it was not, sign in and change your password now.',
      ],
      footer: AUTOMATED,
    })),
  signin_notice: template(z.strictObject({ at: z.iso.datetime({ offset: true }), userAgent: z.string().max(512).optional() }), ({ at, userAgent }) =>
    compose('New sign-in to your account', {
      paragraphs: [
        `Someone signed in to your account on ${new Date(at).toUTCString()}${userAgent ? ` from ${userAgent}` : ''}.`,
        'If it was you, there is nothing to do. If it was not, change your password now.',
      ],
      footer: AUTOMATED,
    })),
  export_ready: template(z.strictObject({ url: link, expiresAt: z.iso.datetime({ offset: true }) }), ({ url, expiresAt }) =>
    compose('Your data export is ready', {
      paragraphs: [
        'The archive of your data you asked for is ready. Sign in to download it.',
        `The link works until ${new Date(expiresAt).toUTCString()}; the archive is deleted then.`,
      ],
      action: { label: 'Download your data', url },
      footer: AUTOMATED,
    })),
  erasure_scheduled: template(z.strictObject({ at: z.iso.datetime({ offset: true }) }), ({ at }) =>
    compose('Your account will be erased', {
      paragraphs: [
        'You asked us to erase your account. Your sessions, API keys and provider credentials are already gone.',
        `Everything else is erased on ${new Date(at).toUTCString()}. Until then you can change your mind: sign in and cancel the erasure.`,
      ],
      footer: AUTOMATED,
    })),
  // P-COM-2, P-COM-3: a material change of the privacy policy, announced before it takes effect.
  policy_changed: template(z.strictObject({
    version: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    effectiveAt: z.iso.datetime({ offset: true }),
    changes: z.array(z.string().max(500)).min(1).max(100),
    url: link,
  }), ({ version, effectiveAt, changes, url }) =>
    compose('Our privacy policy is changing', {
      paragraphs: [
        `Version ${version} of our privacy policy takes effect on ${new Date(effectiveAt).toUTCString()}. What changes:`,
        ...changes.map((change) => `• ${change}`),
        'From that date you will be asked to accept it the next time you sign in. Until then the current version applies.',
      ],
      action: { label: 'Read the new policy', url },
      footer: AUTOMATED,
    })),
  // The last mail to the address: sent as the address itself is deleted.
  erasure_completed: template(z.strictObject({ at: z.iso.datetime({ offset: true }) }), ({ at }) =>
    compose('Your account has been erased', {
      paragraphs: [
        `Your account and the data it held were erased on ${new Date(at).toUTCString()}.`,
        'Backups that still hold encrypted copies can no longer be read: the keys to them were destroyed. This is the last mail you get from us.',
      ],
      footer: AUTOMATED,
    })),
} as const;

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;
export type MailVars<T extends MailTemplateName> = z.input<(typeof MAIL_TEMPLATES)[T]['vars']>;

export const MAIL_TEMPLATE_NAMES = Object.keys(MAIL_TEMPLATES) as MailTemplateName[];

export function isMailTemplateName(value: unknown): value is MailTemplateName {
  return typeof value === 'string' && Object.hasOwn(MAIL_TEMPLATES, value);
}

/** The template's variables, checked; throws MailError naming the fields at fault (not their values). */
export function parseMailVars(name: string, vars: unknown): Record<string, unknown> {
  if (!isMailTemplateName(name)) throw new MailError('unknown_template', `no mail template is called ${JSON.stringify(name.slice(0, 64))}`);
  const parsed = MAIL_TEMPLATES[name].vars.safeParse(vars);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(vars)'))];
    throw new MailError('invalid_vars', `mail ${name}: invalid ${fields.join(', ')}`);
  }
  return parsed.data as Record<string, unknown>;
}

export function renderMail(name: string, vars: unknown): RenderedMail {
  const parsed = parseMailVars(name, vars);
  return (MAIL_TEMPLATES[name as MailTemplateName].render as (vars: Record<string, unknown>) => RenderedMail)(parsed);
}
