// How often each door may be knocked on (P-KEY-2). Per IP and per account on the sign-in, sign-up,
// verification and reset doors, so that neither one address nor one botnet can guess passwords or
// flood a mailbox; per key on the API. Subjects are HMAC'd by the limiter, never stored raw.
import type { RateRule } from '../ratelimit/index.ts';

export const RATE_RULES = {
  signInPerIp: { name: 'signin.ip', points: 20, durationSeconds: 60 },
  signInPerAccount: { name: 'signin.account', points: 10, durationSeconds: 15 * 60 },
  signUpPerIp: { name: 'signup.ip', points: 10, durationSeconds: 60 * 60 },
  signUpPerAccount: { name: 'signup.account', points: 3, durationSeconds: 60 * 60 },
  mailPerIp: { name: 'mail.ip', points: 10, durationSeconds: 60 * 60 },
  mailPerAccount: { name: 'mail.account', points: 3, durationSeconds: 60 * 60 },
  tokenPerIp: { name: 'token.ip', points: 30, durationSeconds: 60 },
  // Leased 50 at a time: one write per 50 requests of a busy key instead of one per request.
  apiPerKey: { name: 'api.key', points: 1200, durationSeconds: 60, leaseSize: 50 },
} as const satisfies Record<string, RateRule>;

export type RateRules = { [K in keyof typeof RATE_RULES]: RateRule };

/** The defaults with an operator's (or a test's) overrides. */
export function rateRules(overrides: Partial<RateRules> = {}): RateRules {
  return { ...RATE_RULES, ...overrides };
}
