// Scrubbing: a provider that echoes the key it was sent (in an error, a debug header, a URL it
// quotes back) must not make custos store, log or return it. Every text that leaves useSecret()
// passes through here: the secret itself in the spellings it travels in (as is, URL-encoded,
// base64 as in Basic auth), and anything shaped like any provider's key.
export const REDACTED = '[REDACTED]';

export class Scrubber {
  readonly #literals: string[];
  readonly #patterns: readonly RegExp[];

  constructor(secrets: readonly string[], patterns: readonly RegExp[]) {
    const spellings = secrets.filter((secret) => secret.length > 0).flatMap((secret) => [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
    ]);
    // Longest first, so that a spelling containing another is replaced whole.
    this.#literals = [...new Set(spellings)].sort((a, b) => b.length - a.length);
    this.#patterns = patterns;
  }

  text(value: string): string {
    let out = value;
    for (const literal of this.#literals) out = out.split(literal).join(REDACTED);
    for (const pattern of this.#patterns) out = out.replace(pattern, REDACTED);
    return out;
  }

  /** Bytes are scrubbed as latin1, which maps every byte to one character and back unchanged. */
  bytes(value: Buffer): Buffer {
    const text = value.toString('latin1');
    const scrubbed = this.text(text);
    return scrubbed === text ? value : Buffer.from(scrubbed, 'latin1');
  }

  /**
   * An error as it may be logged or rethrown: message, stack and causes rewritten. What cannot be
   * rewritten (a frozen error, an exotic value) is replaced by a plain Error saying so.
   */
  error(err: unknown, depth = 0): unknown {
    if (!(err instanceof Error)) return typeof err === 'string' ? this.text(err) : err;
    try {
      err.message = this.text(err.message);
      if (err.stack) err.stack = this.text(err.stack);
      if (err.cause !== undefined && depth < 8) err.cause = this.error(err.cause, depth + 1);
      return err;
    } catch {
      return new Error('an error was raised while a secret was open; it was withheld because it could not be scrubbed');
    }
  }
}
