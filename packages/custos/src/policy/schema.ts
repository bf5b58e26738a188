// custos.policy.yaml: what the operator promises, declared once. The runtime configures itself from
// it, the privacy policy is rendered from it, and `custos verify` checks the live system against
// it. `custos policy schema` prints this schema as JSON Schema (for editors and CI).
import { z } from 'zod';
import { CATEGORIES, type Category } from '../db/registry.ts';

const text = (max: number) => z.string().trim().min(1).max(max).refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
const email = z.email().max(254);

/**
 * How long a category's data is kept: `account` (while the account exists; erasure deletes it),
 * `account + 30d` (up to 30 days past the account's closure, never longer than `closure` allows), or
 * `90d` (purged 90 days after it was written, and at erasure if sooner).
 */
export const RETENTION = /^(?:account|account \+ ([1-9]\d{0,3})d|([1-9]\d{0,3})d)$/;
export type Retention = { kind: 'account'; afterClosureDays: number } | { kind: 'days'; days: number };

export function parseRetention(value: string): Retention {
  const match = RETENTION.exec(value);
  if (!match) throw new Error(`not a retention: ${value}`);
  if (match[2] !== undefined) return { kind: 'days', days: Number(match[2]) };
  return { kind: 'account', afterClosureDays: match[1] === undefined ? 0 : Number(match[1]) };
}

export const LEGAL_BASES = ['contract', 'consent', 'legitimate_interests', 'legal_obligation'] as const;
export const SIGN_IN_METHODS = ['password', 'email_code', 'magic_link', 'oidc'] as const;
export const PRODUCT_KINDS = ['contract_testing', 'trace_analysis', 'chat_assistant', 'task_execution', 'ops_agent', 'other'] as const;
export const SUBPROCESSOR_KINDS = ['hosting', 'database', 'mail', 'storage', 'model_provider', 'identity_provider', 'cloud_provider', 'other'] as const;

const categorySchema = z.object({
  id: z.enum(Object.keys(CATEGORIES) as [Category, ...Category[]]),
  /** What the category holds, in the policy's words (default: the data registry's). */
  description: text(500).optional(),
  purposes: z.array(text(300)).min(1),
  legalBasis: z.enum(LEGAL_BASES),
  retention: z.string().regex(RETENTION, 'account, account + Nd, or Nd'),
  /** The data-registry tables it covers (default: those the registry files under this id). */
  tables: z.array(z.string().min(1)).optional(),
  /** The blob kinds it covers (default: those the registry files under this id). */
  blobs: z.array(z.string().min(1)).optional(),
}).strict();

const cookieSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  purpose: text(300),
  /** Essential cookies need no consent; any other is set only after the person agrees (P-COO-3). */
  essential: z.boolean(),
  httpOnly: z.boolean(),
  /** Sent over HTTPS only (where the public URL is https). */
  secure: z.boolean(),
  sameSite: z.enum(['Strict', 'Lax', 'None']),
  /** How long it lives at most. */
  maxAgeDays: z.number().int().min(0).max(400),
}).strict();

const subprocessorSchema = z.object({
  name: text(200),
  kind: z.enum(SUBPROCESSOR_KINDS),
  purpose: text(300),
  location: text(200),
  /** What of a person's data it receives. */
  data: z.array(text(200)).min(1),
  /** The host custos reaches it at (an SMTP server, an API): verify matches what is configured. */
  hosts: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]{1,253}$/, 'a lower-case host name')).default([]),
  /** For a model provider: that it is asked not to retain or train on the data (P-FLO-3). */
  noTraining: z.boolean().optional(),
}).strict();

export const policySchema = z.object({
  /** The version of this file's format. */
  format: z.literal(1),
  product: z.object({
    name: text(200),
    kind: z.enum(PRODUCT_KINDS).default('other'),
    url: z.url().optional(),
  }).strict(),
  operator: z.object({
    name: text(200),
    address: text(500).optional(),
    website: z.url().optional(),
    privacyEmail: email,
    securityEmail: email,
    /** The data protection officer (P-PAP-4), where there is one. */
    dpo: z.object({ name: text(200), email }).strict().optional(),
  }).strict(),
  categories: z.array(categorySchema).min(1),
  signIn: z.object({ methods: z.array(z.enum(SIGN_IN_METHODS)).min(1) }).strict(),
  cookies: z.array(cookieSchema),
  subprocessors: z.array(subprocessorSchema),
  /** P-COM-2, P-COM-3: how long before a material change takes effect it is announced. */
  notice: z.object({ materialChangeDays: z.number().int().min(0).max(365) }).strict(),
  /** P-RIG-7, P-RET-2: answering requests, and the wait before an erasure runs. */
  requests: z.object({
    dueDays: z.number().int().min(1).max(30),
    erasureGraceDays: z.number().min(0).max(25),
  }).strict(),
  /** P-RET-2: everything of a closed account is gone within this many days. */
  closure: z.object({ deleteWithinDays: z.number().int().min(0).max(90) }).strict(),
  /** P-RET-5: backups outlive a deletion by at most this many days (the operator's to keep). */
  backups: z.object({ expireWithinDays: z.number().int().min(0).max(365) }).strict(),
  /** P-RET-4: server logs are kept at most this many days (the operator's to keep). */
  logs: z.object({ keepDays: z.number().int().min(1).max(3650) }).strict(),
  /** P-PAP-2. */
  minimumAge: z.number().int().min(13).max(21),
  /** P-PAP-3. */
  transfers: z.object({
    outsideEea: z.boolean(),
    safeguards: z.array(text(300)).default([]),
  }).strict(),
  /** P-PAP-1, P-COM-1, P-COM-4. */
  statements: z.object({
    sellsData: z.boolean(),
    trainsOnCustomerData: z.boolean(),
    /** custos sends transactional mail only; a product that sends more says so here. */
    marketingEmail: z.boolean(),
    /** Page analytics: none, aggregate and cookie-free, or with a consent cookie. */
    analytics: z.enum(['none', 'cookie_free', 'consent_cookies']),
  }).strict(),
}).strict();

export type PolicyInput = z.input<typeof policySchema>;
export type Policy = z.output<typeof policySchema>;
export type PolicyCategory = Policy['categories'][number];
export type PolicyCookie = Policy['cookies'][number];
export type Subprocessor = Policy['subprocessors'][number];

/** The schema as JSON Schema, for `custos policy schema`. */
export function policyJsonSchema(): unknown {
  return z.toJSONSchema(policySchema, { io: 'input' });
}
