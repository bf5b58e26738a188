// Every connection custos uses comes from one pg Pool, on both engines. Acquisition has a timeout
// that fails loudly: on the embedded engine the pool holds one connection, so code that asks for a
// second one while holding the first would otherwise wait forever.
import pg from 'pg';
import { AppError } from '../core/errors.ts';

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

function translate(err: unknown, max: number): unknown {
  if (err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message)) {
    return new AppError(
      'database_busy',
      `no database connection became free in time (pool of ${max}); a transaction may be waiting on another connection`,
    );
  }
  return err;
}

export class CustosPool extends pg.Pool {
  // pg-pool's own query() calls connect() with a callback; Kysely calls it without one.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback?: any): any {
    const max = this.options.max;
    if (typeof callback === 'function') {
      const cb = callback as ConnectCallback;
      return super.connect((err, client, done) => cb(translate(err, max) as Error | undefined, client, done));
    }
    return super.connect().catch((err: unknown) => {
      throw translate(err, max);
    });
  }
}
