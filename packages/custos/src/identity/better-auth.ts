// Better Auth, configured for custos: email and password (scrypt), one strict session cookie whose
// token is stored only as a hash, uuid ids, the organization plugin as the workspace store and the
// api-key plugin for workspace keys. Its tables are global (no tenant_id) and it reaches them
// through custos's runtime pool, so it has DML rights only. See docs/identity.md.
import { apiKey } from '@better-auth/api-key';
import { kyselyAdapter } from '@better-auth/kysely-adapter';
import type { BetterAuthOptions } from 'better-auth';
import { betterAuth } from 'better-auth';
import { organization } from 'better-auth/plugins/organization';
import type { Kysely } from 'kysely';
import type { IdentityTables } from './tables.ts';
import type { Logger } from '../core/log.ts';
import { withSessionStorage } from './session-storage.ts';
import { accessControl, ROLES } from './roles.ts';

export const AUTH_BASE_PATH = '/api/auth';
export const SESSION_COOKIE = 'custos_session';
export const API_KEY_PREFIX = 'csk_';

export interface IdentitySettings {
  publicUrl: URL;
  /** Sign-in is refused until the address is verified (a policy switch). */
  requireEmailVerification: boolean;
  /** A session unused for this long ends (sliding). */
  sessionIdleSeconds: number;
  /** No session lives longer than this, used or not. */
  sessionAbsoluteSeconds: number;
}

/** What Better Auth calls back into: mail and the work that follows its own writes. */
export interface AuthCallbacks {
  sendVerificationEmail(user: { id: string; email: string }, url: string): Promise<void>;
  sendResetPassword(user: { id: string; email: string }, url: string): Promise<void>;
  personCreated(user: { id: string; email: string; name: string }): Promise<void>;
  sessionCreated(session: { id: string; userId: string }, path: string | undefined): Promise<void>;
  sessionEnded(session: { id: string; userId: string }, path: string | undefined): Promise<void>;
  /** After a reset: whoever knew the old password may have made keys; they go with the sessions. */
  passwordReset(user: { id: string }): Promise<void>;
}

// Better Auth's own log lines may quote an address ("Sign-up attempt for existing email: …").
const EMAIL = /[^\s@<>"']+@[^\s@<>"']+/g;
const LONG_TOKEN = /[A-Za-z0-9_\-.]{24,}/g;
function scrub(message: string): string {
  return message.replace(EMAIL, '[address]').replace(LONG_TOKEN, '[token]').slice(0, 200);
}

/** Options shared by the running server and the schema generator (which adds its own database). */
export function authOptions(settings: IdentitySettings, secret: string): Omit<BetterAuthOptions, 'database'> {
  const https = settings.publicUrl.protocol === 'https:';
  return {
    appName: 'custos',
    baseURL: settings.publicUrl.origin,
    basePath: AUTH_BASE_PATH,
    secret,
    trustedOrigins: [settings.publicUrl.origin],
    telemetry: { enabled: false },
    // custos rate-limits by itself (src/ratelimit), with HMAC'd keys, on Postgres or Redis.
    rateLimit: { enabled: false },
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: settings.requireEmailVerification,
      autoSignIn: true,
      minPasswordLength: 10,
      maxPasswordLength: 256,
      revokeSessionsOnPasswordReset: true,
      resetPasswordTokenExpiresIn: 60 * 60,
    },
    user: {
      modelName: 'people',
      changeEmail: { enabled: true },
    },
    session: {
      modelName: 'sessions',
      expiresIn: settings.sessionIdleSeconds,
      // Slide the idle expiry at most once an hour: each slide is a write.
      updateAge: Math.min(60 * 60, Math.floor(settings.sessionIdleSeconds / 2)),
      // A second cookie holding session data; custos keeps exactly one cookie.
      cookieCache: { enabled: false },
    },
    account: { modelName: 'accounts' },
    verification: { modelName: 'verifications', storeIdentifier: 'hashed' },
    advanced: {
      database: { generateId: 'uuid' },
      useSecureCookies: https,
      cookies: {
        session_token: { name: SESSION_COOKIE, attributes: { httpOnly: true, sameSite: 'strict', secure: https, path: '/' } },
      },
      defaultCookieAttributes: { httpOnly: true, sameSite: 'strict', secure: https, path: '/' },
      // Sessions keep no IP address in clear; the audit trail seals it under the person's secret.
      ipAddress: { disableIpTracking: true },
    },
    plugins: [
      organization({
        ac: accessControl,
        roles: ROLES,
        creatorRole: 'owner',
        teams: { enabled: false },
        schema: {
          organization: {
            modelName: 'workspaces',
            additionalFields: { personal: { type: 'boolean', required: true, defaultValue: false, input: false } },
          },
          member: { modelName: 'memberships' },
          invitation: { modelName: 'invitations' },
        },
      }),
      apiKey({
        defaultPrefix: API_KEY_PREFIX,
        references: 'organization',
        enableMetadata: true,
        // The plugin's default (10 requests a day per key) is not ours: src/ratelimit limits keys.
        rateLimit: { enabled: false },
        schema: { apikey: { modelName: 'api_keys' } },
      }),
    ],
  };
}

export interface AuthDeps {
  db: Kysely<IdentityTables>;
  settings: IdentitySettings;
  secret: string;
  callbacks: AuthCallbacks;
  log: Logger;
}

export function createBetterAuth(deps: AuthDeps) {
  const { callbacks, log } = deps;
  const base = authOptions(deps.settings, deps.secret);
  // No transactions inside Better Auth: the embedded engine's pool has one connection, and the
  // callbacks below query through the same pool while Better Auth's request is still running.
  const adapter = kyselyAdapter(deps.db, { type: 'postgres', transaction: false });
  return betterAuth({
    ...base,
    database: (options: BetterAuthOptions) => withSessionStorage(adapter(options), { maxAgeSeconds: deps.settings.sessionAbsoluteSeconds }),
    // Errors that are not Better Auth's own refusals are thrown to custos's error handler instead
    // of being printed whole to stderr (a database error can quote an address).
    onAPIError: { throw: true },
    logger: {
      level: 'warn',
      log: (level, message) => log[level === 'error' ? 'error' : 'warn']({ source: 'better-auth', message: scrub(String(message)) }, 'auth library message'),
    },
    emailAndPassword: {
      ...base.emailAndPassword!,
      enabled: true,
      sendResetPassword: ({ user, url }) => callbacks.sendResetPassword(user, url),
      onPasswordReset: ({ user }) => callbacks.passwordReset(user),
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: false,
      expiresIn: 24 * 60 * 60,
      sendVerificationEmail: ({ user, url }) => callbacks.sendVerificationEmail(user, url),
    },
    databaseHooks: {
      user: { create: { after: (user) => callbacks.personCreated(user) } },
      session: {
        create: { after: (session, ctx) => callbacks.sessionCreated(session, ctx?.path) },
        delete: { after: (session, ctx) => callbacks.sessionEnded(session, ctx?.path) },
      },
    },
  });
}

export type BetterAuthInstance = ReturnType<typeof createBetterAuth>;
