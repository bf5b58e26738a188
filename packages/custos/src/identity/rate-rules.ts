// How often each door may be knocked on (P-KEY-2). Per IP, so that one address cannot guess
// passwords or flood mailboxes; per account *and* IP, tightly, so that guessing one account's
// password from one place stops soon; and per account, loosely, so that a botnet spread over many
// addresses stops too, without letting one stranger lock a person out of their own account (a
// tight per-account limit alone would). Per key and per person on the API. Subjects are HMAC'd by
// the limiter, never stored raw; IPv6 addresses count per /64 (one host usually has a whole /64).
import { isIPv6 } from 'node:net';
import type { RateRule } from '../ratelimit/index.ts';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

export const RATE_RULES = {
  signInPerIp: { name: 'signin.ip', points: 20, durationSeconds: MINUTE },
  signInPerAccountIp: { name: 'signin.account_ip', points: 10, durationSeconds: 15 * MINUTE },
  signInPerAccount: { name: 'signin.account', points: 100, durationSeconds: 15 * MINUTE },
  signUpPerIp: { name: 'signup.ip', points: 10, durationSeconds: HOUR },
  signUpPerAccountIp: { name: 'signup.account_ip', points: 3, durationSeconds: HOUR },
  signUpPerAccount: { name: 'signup.account', points: 10, durationSeconds: HOUR },
  mailPerIp: { name: 'mail.ip', points: 10, durationSeconds: HOUR },
  mailPerAccountIp: { name: 'mail.account_ip', points: 3, durationSeconds: HOUR },
  mailPerAccount: { name: 'mail.account', points: 10, durationSeconds: HOUR },
  tokenPerIp: { name: 'token.ip', points: 30, durationSeconds: MINUTE },
  // Leased 50 at a time: one write per 50 requests of a busy key instead of one per request.
  apiPerKey: { name: 'api.key', points: 1200, durationSeconds: MINUTE, leaseSize: 50 },
  apiPerPerson: { name: 'api.person', points: 1200, durationSeconds: MINUTE, leaseSize: 50 },
} as const satisfies Record<string, RateRule>;

export type RateRules = { [K in keyof typeof RATE_RULES]: RateRule };

/** The defaults with an operator's (or a test's) overrides. */
export function rateRules(overrides: Partial<RateRules> = {}): RateRules {
  return { ...RATE_RULES, ...overrides };
}

/** The subject an IP address counts as: itself, or for IPv6 its /64 network. */
export function ipSubject(ip: string): string {
  if (!isIPv6(ip) || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.replace(/^::ffff:/i, '');
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The subject an account counts as: its address, as Better Auth stores it. */
export function accountSubject(email: string): string {
  return email.trim().toLowerCase();
}
