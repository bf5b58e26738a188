// An operation is the one HTTP request an action makes: method, URL, headers and body, as the
// agent proposed it. The person approving is shown its hash and must send that hash back, so that
// what runs is exactly what they saw. The secret is not part of it: custos adds it when it runs.
import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Provider } from './providers.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const MAX_BODY_CHARS = 1024 * 1024;

// Headers a proposal may not set: what the transport sets itself or would let a request smuggle
// another; what carries credentials; what makes servers run another method or path than the one
// approved (overrides, forwarding); and what would let a response carry the secret past the
// scrubber (compressed, or in pieces).
const FORBIDDEN_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect',
  'proxy-authorization', 'proxy-connection', 'authorization',
  'x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url', 'x-original-method',
  'forwarded', 'via', 'x-real-ip',
  'accept-encoding', 'range', 'if-range',
]);
const FORBIDDEN_PREFIXES = ['x-forwarded-', 'proxy-'];

export type JsonBody = string | unknown[] | Record<string, unknown>;

export interface Operation {
  method: (typeof HTTP_METHODS)[number];
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: JsonBody | null;
}

export const operationInput = z.object({
  method: z.enum(HTTP_METHODS),
  url: z.string().min(1).max(8192),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/), z.string().max(8192).regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'printable characters only (what HTTP can carry)')).optional(),
  body: z.union([z.string().max(MAX_BODY_CHARS), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
}).strict();
export type OperationInput = z.infer<typeof operationInput>;

function refuse(reason: string, message: string): AppError {
  return new AppError('operation_not_allowed', message, { reason });
}

/** Headers with lower-case names; refuses duplicates and the headers only custos may set. */
function normaliseHeaders(input: Record<string, string> | undefined, provider: Provider): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input ?? {})) {
    const lower = name.toLowerCase();
    if (Object.hasOwn(headers, lower)) throw refuse('duplicate_header', `the header ${lower} is given twice`);
    if (FORBIDDEN_HEADERS.has(lower) || FORBIDDEN_PREFIXES.some((prefix) => lower.startsWith(prefix)) || lower === provider.auth.header) {
      throw refuse('forbidden_header', `the header ${lower} is set by custos, not by the proposal`);
    }
    headers[lower] = value;
  }
  return headers;
}

/**
 * Checks where the operation goes before it is even stored: HTTPS, no credentials in the URL, a
 * host of the provider (or under the credential's base URL), no address literal outside what the
 * operator allows. The address a name resolves to is checked again when it runs (egress.ts).
 */
export function checkOperation(
  input: OperationInput | Operation,
  target: { provider: Provider; baseUrl: string | null; addressRefused: (ip: string) => string | null },
): Operation {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw refuse('invalid_url', 'the operation URL is not a URL');
  }
  if (url.protocol !== 'https:') throw refuse('not_https', 'an operation URL must be https');
  if (url.username || url.password) throw refuse('credentials_in_url', 'an operation URL must not carry credentials');
  if (url.hash) throw refuse('fragment', 'an operation URL must not have a fragment');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const reason = target.addressRefused(host);
    if (reason) throw refuse('address_not_allowed', `the operation URL names an address actions may not reach (${reason})`);
  }
  if (target.baseUrl) {
    const base = new URL(target.baseUrl);
    // The URL parser resolves dot segments, but a server may decode an escaped slash or dot after
    // the prefix was checked (`/api/..%2Fadmin`): such escapes are refused under a base URL.
    // `;` starts path parameters (`/api/..;/admin` is `../admin` to some servers); `%25` hides an
    // escape from one decoding.
    if (/%(2f|5c|2e|25)|;/i.test(url.pathname)) throw refuse('escaped_path', 'the operation URL escapes a character or has parameters in its path');
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
      throw refuse('outside_base_url', "the operation URL is not under the credential's base URL");
    }
  } else if (!target.provider.hosts.includes(url.hostname) || url.port !== '') {
    throw refuse('host_not_allowed', `the operation URL is not on one of ${target.provider.name}'s hosts`);
  }
  const body = input.body ?? null;
  if (body !== null && (input.method === 'GET' || input.method === 'HEAD')) throw refuse('body_not_allowed', `a ${input.method} carries no body`);
  return { method: input.method, url: url.href, headers: normaliseHeaders(input.headers, target.provider), body };
}

/**
 * What the approver is shown and sends back: SHA-256 over the canonical JSON (RFC 8785) of the
 * operation, bound to the action and the credential, so a hash approves this proposal only.
 */
export function operationHash(actionId: string, credentialId: string | null, operation: Operation): string {
  const canonical = canonicalize({ v: 1, action: actionId, credential: credentialId, ...operation });
  if (canonical === undefined) throw new Error('an operation has no canonical form');
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
