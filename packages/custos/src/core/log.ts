// Logs are JSON lines (pino). They carry ids, routes, statuses and timings; never bodies, query
// strings, headers, cookies, secrets or content (P-LOG-1). The request log is written by the HTTP
// layer itself (one line per request); everything else logs explicit fields only.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

// Defence in depth: if a caller ever hands a whole object to the logger, these keys are censored.
const REDACTED_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'cookie',
  'headers',
  'body',
  'content',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.cookie',
  '*.headers',
  '*.body',
  '*.content',
];

/**
 * The last lines this process logged, kept in memory beside the real destination: `custos verify`
 * searches them for the canaries it planted (P-LOG-1). They hold what the log holds, nothing more.
 */
export class RecentLines implements DestinationStream {
  readonly #lines: string[] = [];
  readonly #max: number;

  constructor(max = 5000) {
    this.#max = max;
  }

  write(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.#max) this.#lines.splice(0, this.#lines.length - this.#max);
  }

  lines(): readonly string[] {
    return this.#lines;
  }
}

export function createLogger(options: LoggerOptions & { recent?: RecentLines }): Logger {
  const destination = options.destination ?? pino.destination({ fd: 1, sync: false });
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    options.recent ? pino.multistream([{ stream: destination, level: 'trace' }, { stream: options.recent, level: 'trace' }]) : destination,
  );
}

export interface SerializedError {
  type: string;
  code?: string;
  stack?: string;
}

/**
 * An error's type, code and call sites, without its message: messages of errors we did not raise
 * (a driver's, a library's) may quote the values involved (Postgres' "Key (email)=(...)").
 */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const out: SerializedError = { type: err.name };
  if (typeof code === 'string') out.code = code;
  if (frames.length > 0) out.stack = frames.join('\n');
  return out;
}
