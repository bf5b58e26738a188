// Scrubbing: a provider that echoes the key it was sent (in an error, a debug header, a URL it
// quotes back) must not make custos store, log or return it. Every text that leaves useSecret()
// passes through here. Redacted: the secret in the spellings it travels in (as is, URL-encoded,
// base64, JSON-, Go- and PHP-escaped, HTML-escaped, UTF-16), any run of 8 or more of its
// characters (so that a copy cut short by a size limit or a Range request is caught too), and
// anything shaped like any provider's key.
import { AppError, isAppError } from '../core/errors.ts';

export const REDACTED = '[REDACTED]';
/** Pieces of the secret this long or longer are redacted wherever they appear. */
export const MIN_FRAGMENT = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function spellings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const unicodeEscaped = [...secret].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('');
  const html = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const utf16le = Buffer.from(secret, 'utf16le').toString('latin1');
  const utf16be = Buffer.from(secret, 'utf16le').swap16().toString('latin1');
  return [
    secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'),
    json, json.replace(/\//g, '\\/'), unicodeEscaped, unicodeEscaped.toUpperCase(), html, utf16le, utf16be,
  ];
}

export class Scrubber {
  readonly #literal: RegExp | null;
  readonly #patterns: readonly RegExp[];

  constructor(secrets: readonly string[], patterns: readonly RegExp[]) {
    const literals = new Set<string>();
    for (const secret of secrets.filter((s) => s.length > 0)) {
      for (const spelling of spellings(secret)) literals.add(spelling);
      for (let i = 0; i + MIN_FRAGMENT <= secret.length; i += 1) literals.add(secret.slice(i, i + MIN_FRAGMENT));
    }
    // Longest first: a spelling is replaced whole before its fragments are.
    const sorted = [...literals].sort((a, b) => b.length - a.length);
    this.#literal = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
    this.#patterns = patterns;
  }

  text(value: string): string {
    // Fragments overlap: redact until nothing matches (each pass only shortens the secret's runs).
    let out = value;
    for (let pass = 0; pass < 4 && this.#literal; pass += 1) {
      const next = out.replace(this.#literal, REDACTED);
      if (next === out) break;
      out = next;
    }
    for (const pattern of this.#patterns) out = out.replace(pattern, REDACTED);
    return out;
  }

  /** Bytes are scrubbed as latin1, which maps every byte to one character and back unchanged. */
  bytes(value: Buffer): Buffer {
    const text = value.toString('latin1');
    const scrubbed = this.text(text);
    return scrubbed === text ? value : Buffer.from(scrubbed, 'latin1');
  }

  /** A JSON-shaped value (error details) with every string in it scrubbed. */
  value(value: unknown): unknown {
    if (value === undefined) return undefined;
    try {
      return JSON.parse(this.text(JSON.stringify(value))) as unknown;
    } catch {
      return undefined;
    }
  }

  /**
   * An error as it may be logged or rethrown. It is rebuilt rather than edited: an error's other
   * properties (a client's `response`, `config`, `body`) may hold the secret, so only its name,
   * message, stack, code and cause (and an AppError's details, scrubbed) are carried over.
   */
  error(err: unknown, depth = 0): Error {
    if (!(err instanceof Error)) return new Error(typeof err === 'string' ? this.text(err) : 'a value that is not an error was thrown while a secret was open');
    const cause = err.cause !== undefined && depth < 8 ? this.error(err.cause, depth + 1) : undefined;
    let rebuilt: Error;
    if (isAppError(err)) rebuilt = new AppError(err.code, this.text(err.message), this.value(err.details));
    else if (err instanceof AggregateError) rebuilt = new AggregateError(err.errors.slice(0, 16).map((inner) => this.error(inner, depth + 1)), this.text(err.message));
    else rebuilt = new Error(this.text(err.message));
    rebuilt.name = this.text(err.name);
    if (err.stack) rebuilt.stack = this.text(err.stack);
    if (cause) rebuilt.cause = cause;
    const code = (err as { code?: unknown }).code;
    if (!isAppError(err) && typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code)) Object.assign(rebuilt, { code });
    return rebuilt;
  }
}
