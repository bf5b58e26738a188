// The privacy policy as a list of sections, built from the policy document and the data registry:
// one model, two renderings (html.ts, markdown.ts). Plain language, the short version first; each
// statement that `custos verify` checks names the claim it rests on (`claims`), so that the page
// can say when it was last verified.
import { CATEGORIES, TABLES, type Category } from '../../db/registry.ts';
import { parseRetention, type Policy, type PolicyCategory } from '../schema.ts';

export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
  /** The verify claims (verify/claims.ts ids) the section's statements rest on. */
  claims: string[];
}

export interface RenderContext {
  policy: Policy;
  /** The published version rendered; null for a draft (the file, before `custos policy publish`). */
  version: { n: number; effectiveAt: Date; publishedAt: Date } | null;
  publicUrl: URL;
}

const paragraph = (text: string): Block => ({ kind: 'paragraph', text });
/** The categories of what erasure keeps (unreadable or pseudonymised): their retention runs on after the account. */
const OUTLIVES_ERASURE = new Set<Category>(TABLES.filter((t) => t.keptAtErasure).map((t) => t.category));
const list = (items: string[]): Block => ({ kind: 'list', items });
const day = (date: Date) => date.toISOString().slice(0, 10);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Short names of the categories, for sentences ("we keep your account, conversations, …"). */
export const CATEGORY_NAMES: Record<Category, string> = {
  account: 'your account', sessions: 'your sign-in sessions', sign_in_tokens: 'one-time sign-in tokens', workspaces: 'workspaces and memberships',
  api_keys: 'API keys', consents: 'your acceptance of this policy', audit: 'the audit trail', conversations: 'conversations', traces: 'traces',
  credentials: 'keys to your providers', workflow_logs: 'the record of agents\' actions', requests: 'your requests about your data', exports: 'your exports',
  mail: 'mail waiting to be sent', encryption_keys: 'encryption keys', operations: 'operational records',
};
// The registry's descriptions name the promises they keep (P-DAT-3); the public text does not.
const categoryWhat = (c: PolicyCategory) => c.description ?? CATEGORIES[c.id].replace(/\s*\(P-[A-Z]+-\d+\)/g, '');

/** A category as the policy describes it (GET /v1/me/data uses the same words as /privacy). */
export function describeCategory(policy: Policy, id: Category): { description: string; purposes: string[]; retention: string } | undefined {
  const category = policy.categories.find((c) => c.id === id);
  if (!category) return undefined;
  return { description: categoryWhat(category), purposes: category.purposes, retention: retentionText(category.retention, OUTLIVES_ERASURE.has(id)) };
}

/** How long a category is kept, in words; `outlivesErasure` for what erasure keeps (the audit trail, the register). */
export function retentionText(retention: string, outlivesErasure = false): string {
  const parsed = parseRetention(retention);
  if (parsed.kind === 'days') return `${plural(parsed.days, 'day')}, then deleted${outlivesErasure ? '' : ' (sooner if you delete it or your account)'}`;
  if (parsed.afterClosureDays === 0) return 'while your account exists; deleted with it';
  return `while your account exists, and at most ${plural(parsed.afterClosureDays, 'day')} after it is closed`;
}

const LEGAL_BASIS: Record<PolicyCategory['legalBasis'], string> = {
  contract: 'to provide the service you signed up for (contract)',
  consent: 'your consent, which you may withdraw at any time',
  legitimate_interests: 'our legitimate interest in running a secure service',
  legal_obligation: 'a legal obligation',
};

function summary(ctx: RenderContext): Section {
  const { policy } = ctx;
  const sealed = TABLES.some((t) => Object.keys(t.sealed).length > 0);
  return {
    id: 'in-short', title: 'In short', claims: ['rls', 'sealed', 'cookie', 'public-pages', 'overdue'],
    blocks: [list([
      `We keep what ${policy.product.name} needs to work: ${policy.categories.filter((c) => !['operations', 'encryption_keys', 'mail'].includes(c.id)).map((c) => CATEGORY_NAMES[c.id]).join(', ')}.`,
      ...(sealed ? ['What you write and upload is encrypted before it is stored, under keys of your workspace alone; the database itself keeps each workspace apart from every other.'] : []),
      policy.statements.sellsData ? 'We may sell or share your data: see "Sale and training" below.' : 'We never sell your data.',
      policy.statements.trainsOnCustomerData ? 'We may use your data to train models: see "Sale and training" below.' : 'We do not train models on your data.',
      policy.cookies.every((c) => c.essential) ? `We set ${plural(policy.cookies.length, 'cookie')}, to keep you signed in, and nothing that tracks you.` : 'We set the cookie that keeps you signed in; any other only with your consent.',
      `You can see, export and erase your data at any time; we answer every request within ${plural(policy.requests.dueDays, 'day')}.`,
      policy.notice.materialChangeDays > 0 ? `We mail you ${plural(policy.notice.materialChangeDays, 'day')} before any material change takes effect.` : 'We mail you when this policy changes materially.',
    ])],
  };
}

function who(ctx: RenderContext): Section {
  const { operator, product } = ctx.policy;
  return {
    id: 'who-we-are', title: 'Who we are', claims: [],
    blocks: [
      paragraph(`${product.name}${product.url ? ` (${product.url})` : ''} is run by ${operator.name}${operator.address ? `, ${operator.address}` : ''}, which is responsible for your data.`),
      list([
        `Privacy questions and requests: ${operator.privacyEmail}`,
        `Security reports: ${operator.securityEmail}`,
        ...(operator.dpo ? [`Our data protection officer: ${operator.dpo.name}, ${operator.dpo.email}`] : []),
        ...(operator.website ? [`Website: ${operator.website}`] : []),
      ]),
    ],
  };
}

function collected(ctx: RenderContext): Section {
  return {
    id: 'what-we-collect', title: 'What we collect, why, and for how long', claims: ['retention', 'registry'],
    blocks: [
      paragraph('Signing up needs an email address and nothing else; a name is optional. This is everything we keep, by kind:'),
      { kind: 'table', head: ['What', 'Why', 'On what basis', 'How long'], rows: ctx.policy.categories.map((c) => [categoryWhat(c), c.purposes.join('; '), LEGAL_BASIS[c.legalBasis], retentionText(c.retention, OUTLIVES_ERASURE.has(c.id))]) },
      paragraph(`When your account is closed, everything of it is deleted within ${plural(ctx.policy.closure.deleteWithinDays, 'day')}. What the audit trail and the register of requests keep after that holds ids and times only: the personal details in them can no longer be read.`),
    ],
  };
}

function processors(ctx: RenderContext): Section {
  const { subprocessors } = ctx.policy;
  return {
    id: 'subprocessors', title: 'Who processes your data for us', claims: ['subprocessors'],
    blocks: subprocessors.length === 0
      ? [paragraph('No one: your data stays on infrastructure we run ourselves and goes to no other company.')]
      : [
        paragraph('These companies process your data for us, under contracts that bind them to this policy:'),
        { kind: 'table', head: ['Who', 'For what', 'Where', 'What they receive'], rows: subprocessors.map((s) => [s.name, s.purpose, s.location, s.data.join('; ')]) },
        paragraph(`We announce a new subprocessor ${plural(ctx.policy.notice.materialChangeDays, 'day')} before it starts (${new URL('/subprocessors', ctx.publicUrl).toString()}).`),
      ],
  };
}

function security(ctx: RenderContext): Section {
  return {
    id: 'security', title: 'How we protect it', claims: ['rls', 'runtime-login', 'sealed', 'no-secrets-in-clear', 'hashes', 'audit', 'logs', 'tls'],
    blocks: [list([
      'Each workspace is kept apart by the database itself (row-level security): no query can reach another workspace\'s rows.',
      'What you write, upload and connect is encrypted (AES-256-GCM) before it is stored, under keys of its own workspace, which are themselves encrypted under a master key kept apart from the database. Erasing a workspace destroys its keys: every copy, backups included, becomes unreadable.',
      'Passwords are stored only as scrypt hashes; API keys and session tokens only as SHA-256 hashes.',
      'Keys to your model providers and cloud accounts are opened only for the call that needs them, and never logged or shown.',
      'Every change is written to an audit trail that cannot be edited without it showing.',
      `Our logs hold no content and no secrets, and are kept at most ${plural(ctx.policy.logs.keepDays, 'day')}. Backups expire within ${plural(ctx.policy.backups.expireWithinDays, 'day')} of a deletion.`,
      'Everything travels over TLS.',
    ])],
  };
}

function cookies(ctx: RenderContext): Section {
  const analytics = { none: 'We use no page analytics.', cookie_free: 'Our page analytics are aggregate counts, without cookies and without personal data.', consent_cookies: 'Page analytics use a cookie only if you agree to it, and you can change that at any time from every page.' }[ctx.policy.statements.analytics];
  return {
    id: 'cookies', title: 'Cookies', claims: ['cookie', 'public-pages'],
    blocks: [
      { kind: 'table', head: ['Cookie', 'What it does', 'Needs consent', 'Lifetime and attributes'], rows: ctx.policy.cookies.map((c) => [c.name, c.purpose, c.essential ? 'no: it is essential' : 'yes', `up to ${plural(c.maxAgeDays, 'day')}; ${[c.httpOnly ? 'HttpOnly' : '', c.secure ? 'Secure' : '', `SameSite=${c.sameSite}`].filter(Boolean).join(', ')}`]) },
      paragraph(`No advertising or tracking cookies, no third-party analytics, no fingerprinting. The public pages, this one included, set no cookie at all; preferences such as the theme stay in your browser's local storage. ${analytics}`),
    ],
  };
}

function rights(ctx: RenderContext): Section {
  const { requests, operator } = ctx.policy;
  return {
    id: 'your-rights', title: 'Your rights, and how to use them', claims: ['overdue'],
    blocks: [
      list([
        'See what we hold about you: your account page lists it, by kind, with counts and dates (the API: GET /v1/me/data).',
        'Take it with you: ask for an export and download every piece of it in a machine-readable archive (POST /v1/me/exports).',
        `Erase it: ask from your account (POST /v1/me/erasure). Your sessions and keys end at once; the rest is erased after ${plural(requests.erasureGraceDays, 'day')}, during which signing in again cancels it.`,
        `Correct it, restrict or object to its use, or withdraw a consent: write to ${operator.privacyEmail}.`,
        'Complain to your data protection authority, if you think we got something wrong.',
      ]),
      paragraph(`We answer every request within ${plural(requests.dueDays, 'day')}, and keep a register that proves it.`),
    ],
  };
}

function saleAndTraining(ctx: RenderContext): Section {
  const { statements, subprocessors } = ctx.policy;
  const providers = subprocessors.filter((s) => s.kind === 'model_provider');
  return {
    id: 'sale-and-training', title: 'Sale, training and mail', claims: [],
    blocks: [list([
      statements.sellsData ? 'We may sell or share your data with third parties for money.' : 'We do not sell your data, or share it for money or advertising.',
      statements.trainsOnCustomerData ? 'We may use your data to train models.' : 'We do not use your data to train models.',
      ...providers.map((p) => `${p.name} ${p.noTraining ? 'is asked, with every request, not to retain your data or train on it' : 'receives what a request needs'}.`),
      statements.marketingEmail ? 'We may send you news about the product; every such mail lets you opt out.' : 'We send you transactional mail only: verification, sign-in codes, password resets, security and service notices. No marketing.',
    ])],
  };
}

function children(ctx: RenderContext): Section {
  return { id: 'children', title: 'Children', claims: [], blocks: [paragraph(`${ctx.policy.product.name} is not for anyone under ${ctx.policy.minimumAge}; we do not knowingly keep their data.`)] };
}

function transfers(ctx: RenderContext): Section {
  const { transfers: t } = ctx.policy;
  return {
    id: 'transfers', title: 'International transfers', claims: [],
    blocks: [paragraph(t.outsideEea
      ? `Some of your data is processed outside the European Economic Area, under these safeguards: ${t.safeguards.join('; ') || 'none stated'}.`
      : 'Your data is processed within the European Economic Area only.')],
  };
}

function changes(ctx: RenderContext): Section {
  const days = ctx.policy.notice.materialChangeDays;
  return {
    id: 'changes', title: 'Changes to this policy', claims: [],
    blocks: [paragraph(`${versionLine(ctx)} ${days > 0 ? `A material change (what we collect, why, for how long, who processes it, which cookies we set) is mailed to every account at least ${plural(days, 'day')} before it takes effect` : 'A material change is mailed to every account before it takes effect'}; from then you are asked to accept it at your next sign-in. Every version is kept at ${new URL('/privacy/versions', ctx.publicUrl).toString()}.`)],
  };
}

/** Which version this is, in a sentence. */
export function versionLine(ctx: RenderContext): string {
  const { version } = ctx;
  if (!version) return 'This is a draft, not published yet.';
  return version.effectiveAt.getTime() > Date.now()
    ? `This is version ${version.n}, published on ${day(version.publishedAt)}, which takes effect on ${day(version.effectiveAt)}.`
    : `This is version ${version.n}, in force since ${day(version.effectiveAt)}.`;
}

export function sectionsOf(ctx: RenderContext): Section[] {
  return [summary(ctx), who(ctx), collected(ctx), processors(ctx), security(ctx), cookies(ctx), rights(ctx), saleAndTraining(ctx), children(ctx), transfers(ctx), changes(ctx)];
}
