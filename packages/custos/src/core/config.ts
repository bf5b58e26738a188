// Configuration comes from the environment (and CLI flags layered on top by the CLI), parsed once
// with zod so that a typo fails at start-up with a clear message instead of at first use.
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = './.custos';

const trustProxySchema = z
  .string()
  .trim()
  .transform((value): boolean | number | string[] => {
    if (value === '' || value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    return value.split(',').map((part) => part.trim()).filter(Boolean);
  });

const envSchema = z.object({
  DATABASE_URL: z.url().optional(),
  DATABASE_RUNTIME_URL: z.url().optional(),
  CUSTOS_RUNTIME_PASSWORD: z.string().min(16).optional(),
  CUSTOS_DATA_DIR: z.string().min(1).optional(),
  CUSTOS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CUSTOS_HOST: z.string().min(1).optional(),
  CUSTOS_PUBLIC_URL: z.url().optional(),
  CUSTOS_TRUST_PROXY: trustProxySchema.optional(),
  CUSTOS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  CUSTOS_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
  CUSTOS_DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  CUSTOS_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).optional(),
  // custos.policy.yaml elsewhere than the data dir.
  CUSTOS_POLICY: z.string().min(1).optional(),
  CUSTOS_POLICY_VERSION: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  CUSTOS_REQUIRE_EMAIL_VERIFICATION: z.enum(['true', 'false']).optional(),
  CUSTOS_SESSION_IDLE_SECONDS: z.coerce.number().int().min(60).optional(),
  CUSTOS_SESSION_ABSOLUTE_SECONDS: z.coerce.number().int().min(60).optional(),
  // An empty variable counts as unset, as an unset one would in a shell `REDIS_URL=` line.
  REDIS_URL: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.url({ protocol: /^rediss?$/, hostname: /./ }).optional(),
  ),
  CUSTOS_ACTION_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 60 * 60).optional(),
  CUSTOS_ACTION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).optional(),
  // Ranges an operator lets actions reach although they are not public (an internal API).
  CUSTOS_EGRESS_ALLOW: z.string().transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .refine((ranges) => ranges.every((range) => ipaddr.isValidCIDR(range)), 'CIDR ranges, comma-separated').optional(),
  CUSTOS_EGRESS_CA_FILE: z.string().min(1).optional(),
  CUSTOS_PROVIDERS_FILE: z.string().min(1).optional(),
  // P-RIG-2: how long an export's download link works (never more than 7 days).
  CUSTOS_EXPORT_LINK_HOURS: z.coerce.number().positive().max(7 * 24).optional(),
  // P-RET-2: the grace period before an erasure runs; at most 25 days, so that with backups' own
  // expiry everything is gone within 30.
  CUSTOS_ERASURE_GRACE_DAYS: z.coerce.number().min(0).max(25).optional(),
  // P-RIG-7: how long a request may take to be answered.
  CUSTOS_REQUEST_DUE_DAYS: z.coerce.number().int().min(1).max(30).optional(),
  CUSTOS_MAIL_TRANSPORT: z.enum(['mailbox', 'smtp']).optional(),
  CUSTOS_SMTP_URL: z.url({ protocol: /^smtps?$/, hostname: /./ }).optional(),
  // One address, optionally with a display name; no line breaks (it becomes a header).
  CUSTOS_MAIL_FROM: z.string().trim().max(320)
    .regex(/^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/).optional(),
});

export const DEFAULT_MAIL_FROM = 'custos <no-reply@localhost>';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface Config {
  dataDir: string;
  /** Absent: the embedded engine (PGlite) in `<dataDir>/pgdata`. */
  databaseUrl: string | undefined;
  /** Absent: `databaseUrl` with the user swapped for custos_runtime. */
  databaseRuntimeUrl: string | undefined;
  runtimePassword: string | undefined;
  port: number;
  host: string;
  publicUrl: URL;
  trustProxy: boolean | number | string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  dbAcquireTimeoutMs: number;
  dbPoolSize: number;
  tls: TlsFiles | undefined;
  /** custos.policy.yaml: CUSTOS_POLICY or --policy; unset: the data dir's, or the built-in default. */
  policyFile: string | undefined;
  /**
   * Pins the policy version people accept (CUSTOS_POLICY_VERSION), for an operator who numbers
   * versions outside custos; unset, it is the published version in force (src/policy/versions.ts).
   */
  policyVersion: string | undefined;
  requireEmailVerification: boolean;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  /** Shared rate-limit counters for several servers; absent: counters in Postgres. */
  redisUrl: string | undefined;
  mail: MailConfig;
  vault: VaultConfig;
  rights: RightsOverrides;
}

/** How requests about personal data are answered (src/rights). */
export interface RightsConfig {
  exportTtlSeconds: number;
  erasureGraceSeconds: number;
  requestDueDays: number;
}

/** What the environment sets of RightsConfig; the rest comes from the policy (requests.*). */
export type RightsOverrides = Pick<RightsConfig, 'exportTtlSeconds'> & Partial<Pick<RightsConfig, 'erasureGraceSeconds' | 'requestDueDays'>>;

/** How agents' actions run (src/vault): how long a proposal waits, how long a call may take, where it may go. */
export interface VaultConfig {
  actionTtlSeconds: number;
  actionTimeoutSeconds: number;
  /** CIDR ranges that actions may reach although they are private, loopback or link-local. */
  egressAllow: string[];
  /** A PEM file of certificate authorities trusted besides Node's own (an internal CA). */
  egressCaFile: string | undefined;
  /** A JSON file of providers the operator adds to the built-in ones (docs/vault.md). */
  providersFile: string | undefined;
}

/** Where transactional mail goes (a local mailbox folder by default, SMTP in production) and whom it comes from. */
export interface MailConfig {
  transport: 'mailbox' | 'smtp';
  /** smtp:// or smtps://, credentials included; set when transport is 'smtp'. */
  smtpUrl: string | undefined;
  /** The From header: `name <address>` or a bare address. */
  from: string;
}

/** What the CLI may override; flags win over the environment. */
export interface ConfigOverrides {
  dataDir?: string;
  port?: number;
  host?: string;
  tls?: TlsFiles;
  policyFile?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    // Name the variables, never echo their values: a DATABASE_URL carries a password.
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))];
    throw new ConfigError(`invalid configuration in ${names.join(', ')}`);
  }
  const e = parsed.data;
  const mailTransport = e.CUSTOS_MAIL_TRANSPORT ?? (e.CUSTOS_SMTP_URL ? 'smtp' : 'mailbox');
  if (mailTransport === 'smtp' && !e.CUSTOS_SMTP_URL) throw new ConfigError('invalid configuration in CUSTOS_SMTP_URL: the smtp transport needs it');
  // An erasure is a request too: its grace period must end before the request is due (checked
  // again against the policy's values, which these override: src/policy/runtime.ts).
  if (e.CUSTOS_ERASURE_GRACE_DAYS !== undefined && e.CUSTOS_REQUEST_DUE_DAYS !== undefined && e.CUSTOS_ERASURE_GRACE_DAYS >= e.CUSTOS_REQUEST_DUE_DAYS) {
    throw new ConfigError('invalid configuration in CUSTOS_ERASURE_GRACE_DAYS: it must be shorter than CUSTOS_REQUEST_DUE_DAYS');
  }
  const port = overrides.port ?? e.CUSTOS_PORT ?? DEFAULT_PORT;
  const tls = overrides.tls;
  const scheme = tls ? 'https' : 'http';
  const publicUrl = new URL(e.CUSTOS_PUBLIC_URL ?? `${scheme}://localhost:${port}`);
  return {
    dataDir: path.resolve(overrides.dataDir ?? e.CUSTOS_DATA_DIR ?? DEFAULT_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databaseRuntimeUrl: e.DATABASE_RUNTIME_URL,
    runtimePassword: e.CUSTOS_RUNTIME_PASSWORD,
    port,
    host: overrides.host ?? e.CUSTOS_HOST ?? '127.0.0.1',
    publicUrl,
    trustProxy: e.CUSTOS_TRUST_PROXY ?? false,
    logLevel: e.CUSTOS_LOG_LEVEL ?? 'info',
    bodyLimitBytes: e.CUSTOS_BODY_LIMIT ?? 1024 * 1024,
    dbAcquireTimeoutMs: e.CUSTOS_DB_ACQUIRE_TIMEOUT_MS ?? 5000,
    dbPoolSize: e.CUSTOS_DB_POOL_SIZE ?? 10,
    tls,
    policyFile: overrides.policyFile ?? e.CUSTOS_POLICY,
    policyVersion: e.CUSTOS_POLICY_VERSION,
    requireEmailVerification: e.CUSTOS_REQUIRE_EMAIL_VERIFICATION === 'true',
    sessionIdleSeconds: e.CUSTOS_SESSION_IDLE_SECONDS ?? 7 * 24 * 60 * 60,
    sessionAbsoluteSeconds: e.CUSTOS_SESSION_ABSOLUTE_SECONDS ?? 30 * 24 * 60 * 60,
    redisUrl: e.REDIS_URL,
    mail: {
      transport: mailTransport,
      smtpUrl: mailTransport === 'smtp' ? e.CUSTOS_SMTP_URL : undefined,
      from: e.CUSTOS_MAIL_FROM ?? DEFAULT_MAIL_FROM,
    },
    vault: {
      actionTtlSeconds: e.CUSTOS_ACTION_TTL_SECONDS ?? 24 * 60 * 60,
      actionTimeoutSeconds: e.CUSTOS_ACTION_TIMEOUT_SECONDS ?? 30,
      egressAllow: e.CUSTOS_EGRESS_ALLOW ?? [],
      egressCaFile: e.CUSTOS_EGRESS_CA_FILE,
      providersFile: e.CUSTOS_PROVIDERS_FILE,
    },
    rights: {
      exportTtlSeconds: Math.round((e.CUSTOS_EXPORT_LINK_HOURS ?? 24) * 3600),
      ...(e.CUSTOS_ERASURE_GRACE_DAYS === undefined ? {} : { erasureGraceSeconds: Math.round(e.CUSTOS_ERASURE_GRACE_DAYS * 86_400) }),
      ...(e.CUSTOS_REQUEST_DUE_DAYS === undefined ? {} : { requestDueDays: e.CUSTOS_REQUEST_DUE_DAYS }),
    },
  };
}
