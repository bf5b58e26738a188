// Identity: Better Auth wired into custos (accounts, one session cookie, workspaces, API keys),
// terms acceptance, and the events that follow its writes (personal workspace, audit, mail).
import { sql, type Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { Logger } from '../core/log.ts';
import type { Keystore } from '../crypto/index.ts';
import type { Database } from '../db/connect.ts';
import type { Outbox } from '../mail/index.ts';
import { CredentialCache } from './credential-cache.ts';
import type { Authenticator, Principal } from '../core/principal.ts';
import { describeCaller, type MeView } from './caller.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { ApiKeys } from './api-keys.ts';
import { createAuthenticator } from './authenticate.ts';
import { createBetterAuth, type BetterAuthInstance, type IdentitySettings } from './better-auth.ts';
import { IdentityRecorder } from './recorder.ts';
import { currentClient } from './request-context.ts';
import type { IdentityTables } from './tables.ts';
import { PersonNames } from './names.ts';
import { Sessions } from './sessions.ts';
import { Terms } from './terms.ts';
import { Workspaces } from './workspaces.ts';
import type { RateRules } from './rate-rules.ts';

export { AUTH_BASE_PATH, SESSION_COOKIE, API_KEY_PREFIX, authOptions, type BetterAuthInstance, type IdentitySettings } from './better-auth.ts';
export { hashSessionToken } from './session-storage.ts';
export { hashApiKey, WORKSPACE_HEADER } from './authenticate.ts';
export { ApiKeys, SCOPES, type ApiKeyView } from './api-keys.ts';
export { Workspaces, type WorkspaceView, type MemberView } from './workspaces.ts';
export { Terms, type TermsStatus } from './terms.ts';
export { Sessions, type SessionView } from './sessions.ts';
export { PersonNames } from './names.ts';
export type { MeView } from './caller.ts';
export { ROLE_NAMES, isRole, can, type Role } from './roles.ts';
export { RATE_RULES, accountSubject, ipSubject, rateRules, type RateRules } from './rate-rules.ts';
export { currentClient, runWithRequestContext, type RequestContext } from './request-context.ts';
export { IdentityRecorder } from './recorder.ts';
export { personIdByEmail, setInstanceAdmin } from './operators.ts';
export type { IdentityTables, IdentityTrx } from './tables.ts';

export interface IdentityDeps {
  /** The runtime database, as identity sees it. */
  db: Kysely<IdentityTables>;
  database: Pick<Database, 'listen'>;
  settings: IdentitySettings;
  /** The policy version in force (src/policy): what people accept, and must have accepted. */
  policyVersion: () => string;
  secret: string;
  keystore: Keystore;
  audit: AuditTrail;
  /** Transactional mail, queued in the transaction of the event it belongs to. */
  mail: Pick<Outbox, 'queue'>;
  limiter: RateLimiter;
  rules: RateRules;
  log: Logger;
  /** Crypto-shreds a deleted workspace. */
  shredWorkspace: (workspaceId: string) => Promise<void>;
  /** After a sign-up's own work (a policy change announced but not in force is mailed: src/policy). */
  afterSignUp?: (person: { id: string; email: string }) => Promise<void>;
}

export interface Identity {
  auth: BetterAuthInstance;
  authenticate: Authenticator;
  workspaces: Workspaces;
  apiKeys: ApiKeys;
  terms: Terms;
  sessions: Sessions;
  names: PersonNames;
  recorder: IdentityRecorder;
  db: Kysely<IdentityTables>;
  /** Who is calling (GET /v1/me). */
  me(principal: Principal): Promise<MeView>;
  /** The person a session cookie belongs to and when they signed in (null: no live session). */
  sessionOf(cookieHeader: string): Promise<{ personId: string; email: string; signedInAt: Date } | null>;
  /** When a session was signed in (null: no such session): for what needs a recent sign-in. */
  signedInAt(sessionId: string): Promise<Date | null>;
  /** Whether the person operates this instance (`custos admin grant`). */
  isInstanceAdmin(personId: string): Promise<boolean>;
  /** Starts listening for credential changes (until then, nothing is cached). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createIdentity(deps: IdentityDeps): Identity {
  const { db } = deps;
  const cache = new CredentialCache();
  const recorder = new IdentityRecorder(db, deps.audit, () => cache.clear());
  const workspaces = new Workspaces(db, recorder, deps.shredWorkspace);
  const terms = new Terms(db, deps.keystore, recorder, deps.policyVersion);
  const names = new PersonNames(db, deps.keystore);

  const auth = createBetterAuth({
    db,
    settings: deps.settings,
    secret: deps.secret,
    log: deps.log,
    callbacks: {
      async sendVerificationEmail(user, url) {
        // Better Auth asks for a verification of the *new* address when an email change starts.
        const stored = await db.selectFrom('people').select('email').where('id', '=', user.id).executeTakeFirst();
        const changing = stored !== undefined && stored.email !== user.email;
        await recorder.person({ action: changing ? 'person.email_change_requested' : 'person.verification_sent', actorId: user.id, targetType: 'person', targetId: user.id }, async (trx) => {
          if (!changing) return void (await deps.mail.queue(trx, { template: 'verify_email', to: user.email, vars: { url } }));
          await deps.mail.queue(trx, { template: 'email_change_confirm', to: user.email, vars: { url, newEmail: user.email } });
          await deps.mail.queue(trx, { template: 'email_change_notice', to: stored.email, vars: {} });
        });
      },
      async sendResetPassword(user, url) {
        await recorder.person({ action: 'person.password_reset_requested', actorId: user.id, targetType: 'person', targetId: user.id }, async (trx) => {
          await deps.mail.queue(trx, { template: 'password_reset', to: user.email, vars: { url } });
        });
      },
      async personCreated(user) {
        await recorder.person({ action: 'person.signed_up', actorId: user.id, targetType: 'person', targetId: user.id });
        const { signUpName } = currentClient();
        if (signUpName) await names.set(user.id, signUpName);
        await workspaces.create(user.id, 'Personal', { personal: true });
        // Signing up is accepting the policy in force (P-ACC-6).
        await terms.accept(user.id, deps.policyVersion(), currentClient());
        await deps.afterSignUp?.({ id: user.id, email: user.email });
      },
      async sessionCreated(session, path) {
        const signIn = path === '/sign-in/email';
        // Read before the transaction: the embedded engine's pool has a single connection.
        const person = signIn ? await db.selectFrom('people').select('email').where('id', '=', session.userId).executeTakeFirst() : undefined;
        const { userAgent } = currentClient();
        await recorder.person({ action: 'session.created', actorId: session.userId, targetType: 'session', targetId: session.id, details: { signIn } }, async (trx) => {
          if (person) await deps.mail.queue(trx, { template: 'signin_notice', to: person.email, vars: { at: new Date().toISOString(), ...(userAgent ? { userAgent: userAgent.slice(0, 512) } : {}) } });
        });
      },
      async passwordReset(user) {
        // Keys made with the old password's sessions (perhaps by whoever forced the reset) go too.
        await recorder.person({ action: 'person.password_reset', actorId: user.id, targetType: 'person', targetId: user.id }, async (trx) => {
          await trx.deleteFrom('api_keys')
            .where(sql<string>`metadata::jsonb ->> 'createdBy'`, '=', user.id).execute();
        });
      },
      async sessionEnded(session) {
        await recorder.person({ action: 'session.ended', actorId: session.userId, targetType: 'session', targetId: session.id });
      },
    },
  });

  const authenticate = createAuthenticator({
    db,
    auth,
    limiter: deps.limiter,
    rules: deps.rules,
    cache,
    policyVersion: deps.policyVersion,
  });
  return {
    auth, authenticate, workspaces, apiKeys: new ApiKeys(db, auth, recorder), terms, sessions: new Sessions(db, recorder), recorder, db,
    names,
    me: (principal) => describeCaller(db, names, principal),
    sessionOf: async (cookieHeader) => {
      const found = await auth.api.getSession({ headers: new Headers({ cookie: cookieHeader }) });
      return found ? { personId: found.user.id, email: found.user.email, signedInAt: new Date(found.session.createdAt) } : null;
    },
    signedInAt: async (sessionId) => (await db.selectFrom('sessions').select('createdAt').where('id', '=', sessionId).executeTakeFirst())?.createdAt ?? null,
    isInstanceAdmin: async (personId) => (await db.selectFrom('instance_admins').select('person_id').where('person_id', '=', personId).executeTakeFirst()) !== undefined,
    start: async () => {
      await names.sealClearNames();
      await cache.listen(deps.database);
    },
    close: () => cache.close(),
  };
}
