// Better Auth's endpoints, mounted under /api/auth one by one: only those custos offers, each with
// a schema (so it is validated, documented at /docs and swept by the canary test) and its rate
// limits. The bridge hands Better Auth a Fetch Request and passes back what it answers, minus what
// custos never sends: session tokens in JSON bodies and any cookie but the one session cookie.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_STATUS, errorBody, type ErrorCode } from '../../core/errors.ts';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import {
  AUTH_BASE_PATH, SESSION_COOKIE, accountSubject, ipSubject, runWithRequestContext, type BetterAuthInstance, type RateRules,
} from '../../identity/index.ts';
import { enforceRateLimit, type RateLimiter, type RateRule } from '../../ratelimit/index.ts';
import { clearText } from '../schemas.ts';

export interface AuthRouteDeps {
  auth: BetterAuthInstance;
  /** The person a session cookie belongs to, and when they signed in; null if none. */
  sessionOf: (cookieHeader: string) => Promise<{ personId: string; email: string; signedInAt: Date } | null>;
  /** The person's name, sealed apart from Better Auth's tables ('' when none). */
  nameOf: (personId: string) => Promise<string>;
  limiter: RateLimiter;
  publicOrigin: string;
  rules: RateRules;
}

const email = z.email().max(254);
const password = z.string().min(1).max(256);
const callbackURL = z.string().max(2048).regex(/^\/(?!\/)/, 'a path on this site').optional();
const ok = z.object({ status: z.boolean() });

// Better Auth's error codes (identifiers, never values) → custos's.
const ERROR_CODES: Record<string, ErrorCode> = {
  INVALID_EMAIL_OR_PASSWORD: 'invalid_credentials',
  INVALID_PASSWORD: 'invalid_credentials',
  CREDENTIAL_ACCOUNT_NOT_FOUND: 'invalid_credentials',
  EMAIL_NOT_VERIFIED: 'email_not_verified',
  INVALID_TOKEN: 'invalid_token',
  TOKEN_EXPIRED: 'invalid_token',
  SESSION_EXPIRED: 'recent_sign_in_required',
  SESSION_NOT_FRESH: 'recent_sign_in_required',
  PASSWORD_TOO_SHORT: 'invalid_request',
  PASSWORD_TOO_LONG: 'invalid_request',
  INVALID_EMAIL: 'invalid_request',
};

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'internal';
  return 'invalid_request';
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  invalid_credentials: 'the email address or password is wrong',
  email_not_verified: 'verify your email address first: a new link has been sent',
  invalid_token: 'this link is invalid or has expired',
  recent_sign_in_required: 'sign in again to do this',
};

function stripTokens(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'token') continue;
    out[key] = stripTokens(inner);
  }
  return out;
}

/** How recent a sign-in must be for changes that would hand the account to someone else. */
export const RECENT_SIGN_IN_SECONDS = 15 * 60;

// Mail-sending answers take at least this long, whether or not the address has an account (which
// means writing an outbox row), so that timing says no more than the body does.
const MAIL_ANSWER_MS = 300;

async function atLeast<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  const left = ms - (performance.now() - started);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  return result;
}

const ALLOWED_COOKIES = new Set([SESSION_COOKIE, `__Secure-${SESSION_COOKIE}`]);

function cookieName(setCookie: string): string {
  return setCookie.slice(0, setCookie.indexOf('=')).trim();
}

interface ForwardOptions {
  /** Rewrites a successful JSON body (sign-up answers the same whether or not the address was new). */
  body?: (json: unknown) => unknown;
  /** A sign-up's name, which custos seals itself and Better Auth never sees. */
  signUpName?: string;
  /** Answers these Better Auth error codes as a success with this body, so as not to reveal an account. */
  quietErrors?: Record<string, unknown>;
}

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { rules } = deps;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  /** Per IP; and per account and IP, and per account, when the request names one. */
  async function limit(request: FastifyRequest, perIp: RateRule, account?: { email: string; perAccountIp: RateRule; perAccount: RateRule }): Promise<void> {
    const ip = ipSubject(request.ip);
    await enforceRateLimit(deps.limiter, perIp, ip);
    if (!account) return;
    const who = accountSubject(account.email);
    await enforceRateLimit(deps.limiter, account.perAccountIp, `${who} ${ip}`);
    await enforceRateLimit(deps.limiter, account.perAccount, who);
  }

  async function forward(request: FastifyRequest, reply: FastifyReply, options: ForwardOptions = {}): Promise<FastifyReply> {
    const headers = new Headers();
    for (const name of ['cookie', 'origin', 'referer', 'user-agent']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    if (hasBody) headers.set('content-type', 'application/json');
    // Sign-in always remembers the session: the "don't remember" flag would be a second cookie.
    const body = hasBody ? JSON.stringify({ ...(request.body as object), ...(request.url.includes('/sign-in/') ? { rememberMe: true } : {}) }) : undefined;
    const fetchRequest = new Request(new URL(request.url, deps.publicOrigin), { method: request.method, headers, body });
    const response = await runWithRequestContext(
      { ip: request.ip, userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined, signUpName: options.signUpName },
      () => deps.auth.handler(fetchRequest),
    ).catch((err: unknown) => {
      // Better Auth throws what is not its own refusal (onAPIError.throw): a unique violation is two
      // people claiming one address at once (an email change racing a sign-up); anything else goes
      // to the error handler, which logs its type and code only.
      if (isUniqueViolation(err)) throw new AppError('conflict', 'the change could not be made; try again');
      throw err;
    });

    const cookies = response.headers.getSetCookie().filter((c) => ALLOWED_COOKIES.has(cookieName(c)));
    if (cookies.length > 0) void reply.header('set-cookie', cookies);
    const location = response.headers.get('location');
    const text = await response.text();
    // undefined: no JSON body at all; null: Better Auth's JSON null (get-session, signed out).
    const json = text && response.headers.get('content-type')?.includes('application/json') ? JSON.parse(text) as unknown : undefined;

    if (response.status >= 400) {
      const baCode = (json as { code?: unknown } | null | undefined)?.code;
      const known = typeof baCode === 'string' ? baCode : undefined;
      if (known && options.quietErrors && known in options.quietErrors) return reply.status(200).send(options.quietErrors[known]);
      const code = (known && ERROR_CODES[known]) || codeForStatus(response.status);
      const error = new AppError(code, MESSAGES[code] ?? 'the request was refused', known && /^[A-Z_]{1,64}$/.test(known) ? { reason: known.toLowerCase() } : undefined);
      return reply.status(ERROR_STATUS[code]).send(errorBody(error));
    }
    if (location && response.status >= 300 && response.status < 400) return reply.redirect(safeLocation(location, deps.publicOrigin), response.status as 302);
    const result = options.body ? await options.body(stripTokens(json)) : json === undefined ? {} : stripTokens(json);
    // get-session answers JSON null when nobody is signed in; Fastify would send null as no body.
    if (result === null) return reply.status(response.status).type('application/json').send('null');
    return reply.status(response.status).send(result);
  }

  // Better Auth's people.name is always empty: the name is sealed under the person's secret.
  const withName = async (json: unknown) => {
    const user = (json as { user?: { id?: unknown } } | null)?.user;
    if (!user || typeof user.id !== 'string') return json;
    return { ...(json as object), user: { ...user, name: await deps.nameOf(user.id) } };
  };

  const sessionOfRequest = async (request: FastifyRequest) =>
    typeof request.headers.cookie === 'string' ? deps.sessionOf(request.headers.cookie) : null;
  const publicRoute = { auth: 'public' as const };
  const tags = ['auth'];

  routes.post(`${AUTH_BASE_PATH}/sign-up/email`, {
    config: publicRoute,
    schema: { tags, summary: 'Sign up with an email address and a password (name optional); signs in', body: z.object({ email, password, name: clearText(200).optional() }).strict(), response: { 200: ok } },
    preHandler: async (request) => limit(request, rules.signUpPerIp, { email: request.body.email, perAccountIp: rules.signUpPerAccountIp, perAccount: rules.signUpPerAccount }),
  }, async (request, reply) => {
    const signUpName = request.body.name ?? '';
    request.body = { ...request.body, name: '' };
    // The same answer whether or not the address already has an account.
    return forward(request, reply, { signUpName, body: () => ({ status: true }), quietErrors: { USER_ALREADY_EXISTS: { status: true }, USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: { status: true } } });
  });

  routes.post(`${AUTH_BASE_PATH}/sign-in/email`, {
    config: publicRoute,
    schema: { tags, summary: 'Sign in; sets the session cookie', body: z.object({ email, password, callbackURL }).strict() },
    preHandler: async (request) => limit(request, rules.signInPerIp, { email: request.body.email, perAccountIp: rules.signInPerAccountIp, perAccount: rules.signInPerAccount }),
  }, async (request, reply) => forward(request, reply));

  routes.post(`${AUTH_BASE_PATH}/sign-out`, {
    config: publicRoute,
    schema: { tags, summary: 'Sign out: the session is deleted and the cookie cleared', body: z.object({}).strict().nullish() },
  }, async (request, reply) => forward(request, reply));

  routes.get(`${AUTH_BASE_PATH}/get-session`, {
    config: publicRoute,
    schema: { tags, summary: 'The signed-in person and session (no token), or null' },
  }, async (request, reply) => forward(request, reply, { body: withName }));

  routes.get(`${AUTH_BASE_PATH}/verify-email`, {
    config: publicRoute,
    schema: { tags, summary: 'The link mailed to verify an address (or confirm a new one)', querystring: z.object({ token: z.string().min(1).max(4096), callbackURL }) },
    preHandler: async (request) => limit(request, rules.tokenPerIp),
  }, async (request, reply) => forward(request, reply));

  routes.post(`${AUTH_BASE_PATH}/send-verification-email`, {
    config: publicRoute,
    schema: { tags, summary: 'Mails a new verification link (the same answer for any address)', body: z.object({ email, callbackURL }).strict(), response: { 200: ok } },
    preHandler: async (request) => limit(request, rules.mailPerIp, { email: request.body.email, perAccountIp: rules.mailPerAccountIp, perAccount: rules.mailPerAccount }),
  }, async (request, reply) => atLeast(MAIL_ANSWER_MS, () => forward(request, reply, { body: () => ({ status: true }), quietErrors: { USER_NOT_FOUND: { status: true }, EMAIL_ALREADY_VERIFIED: { status: true } } })));

  routes.post(`${AUTH_BASE_PATH}/request-password-reset`, {
    config: publicRoute,
    schema: { tags, summary: 'Mails a password reset link (the same answer for any address)', body: z.object({ email, redirectTo: callbackURL }).strict(), response: { 200: ok } },
    preHandler: async (request) => limit(request, rules.mailPerIp, { email: request.body.email, perAccountIp: rules.mailPerAccountIp, perAccount: rules.mailPerAccount }),
  }, async (request, reply) => atLeast(MAIL_ANSWER_MS, () => forward(request, reply, { body: () => ({ status: true }) })));

  routes.get(`${AUTH_BASE_PATH}/reset-password/:token`, {
    config: publicRoute,
    schema: { tags, summary: 'The link mailed for a password reset: checks it and goes on to the reset page', params: z.object({ token: z.string().min(1).max(256) }), querystring: z.object({ callbackURL }) },
    preHandler: async (request) => limit(request, rules.tokenPerIp),
  }, async (request, reply) => forward(request, reply));

  routes.post(`${AUTH_BASE_PATH}/reset-password`, {
    config: publicRoute,
    schema: { tags, summary: 'Sets a new password with the token from the reset link; ends every session', body: z.object({ token: z.string().min(1).max(256), newPassword: password }).strict(), response: { 200: ok } },
    preHandler: async (request) => limit(request, rules.tokenPerIp),
  }, async (request, reply) => forward(request, reply));

  routes.post(`${AUTH_BASE_PATH}/change-password`, {
    config: publicRoute,
    schema: { tags, summary: 'Changes the password of the signed-in person', body: z.object({ currentPassword: password, newPassword: password, revokeOtherSessions: z.boolean().optional() }).strict() },
    // The current password is a guess like any sign-in's: the same limits, on the session's account.
    preHandler: async (request) => {
      const session = await sessionOfRequest(request);
      await limit(request, rules.signInPerIp, session ? { email: session.email, perAccountIp: rules.signInPerAccountIp, perAccount: rules.signInPerAccount } : undefined);
    },
  }, async (request, reply) => forward(request, reply));

  routes.post(`${AUTH_BASE_PATH}/change-email`, {
    config: publicRoute,
    schema: { tags, summary: 'Starts an email change (needs a sign-in within 15 minutes): a link to the new address confirms it, the old one is told', body: z.object({ newEmail: email, callbackURL }).strict(), response: { 200: ok } },
    preHandler: async (request) => {
      await limit(request, rules.mailPerIp, { email: request.body.newEmail, perAccountIp: rules.mailPerAccountIp, perAccount: rules.mailPerAccount });
      // A stolen cookie must not be enough to move the account to another address.
      const session = await sessionOfRequest(request);
      if (session && Date.now() - session.signedInAt.getTime() > RECENT_SIGN_IN_SECONDS * 1000) {
        throw new AppError('recent_sign_in_required', 'sign in again to change your email address');
      }
    },
  }, async (request, reply) => forward(request, reply, { body: () => ({ status: true }) }));
}

// Better Auth redirects to callback URLs it has checked against the trusted origins; custos
// additionally keeps every redirect on its own origin.
function safeLocation(location: string, origin: string): string {
  const url = new URL(location, origin);
  return url.origin === origin ? `${url.pathname}${url.search}` : '/';
}
