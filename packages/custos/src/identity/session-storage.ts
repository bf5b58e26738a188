// How custos stores Better Auth's sessions, in the one place every session lookup passes: its
// database adapter.
// - Hashed tokens. Better Auth stores session tokens in clear and has no option to hash them; a
//   stolen dump (or backup) would then hold live sessions. The `sessions` table only ever sees
//   SHA-256(token): tokens are hashed when a session is written and wherever a query names one; a
//   lookup by token hands Better Auth back the raw token it asked with (it re-sets the cookie from
//   it). Never configure Better Auth's secondaryStorage: raw tokens would be written there.
// - An absolute lifetime. Better Auth knows only the idle expiry, which use slides; a session older
//   than `maxAgeSeconds` since sign-in is deleted when it is looked up, whichever route asks.
import crypto from 'node:crypto';
import type { DBAdapter, Where } from '@better-auth/core/db/adapter';

const SESSION_MODELS = new Set(['session', 'sessions']);

export function hashSessionToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('base64url');
}

type Value = Where['value'];

function hashValue(value: Value): Value {
  if (typeof value === 'string') return hashSessionToken(value);
  if (Array.isArray(value)) return (value as unknown[]).map((v) => (typeof v === 'string' ? hashSessionToken(v) : v)) as Value;
  return value;
}

function hashWhere(where: Where[] | undefined): { where: Where[] | undefined; asked: string | undefined } {
  let asked: string | undefined;
  const hashed = where?.map((clause) => {
    if (clause.field !== 'token') return clause;
    const operator = clause.operator ?? 'eq';
    // Only equality can be answered on a hash; anything else would silently match nothing.
    if (operator !== 'eq' && operator !== 'in' && operator !== 'ne' && operator !== 'not_in') {
      throw new Error(`session tokens are hashed: a "${operator}" comparison on them is not supported`);
    }
    if (operator === 'eq' && typeof clause.value === 'string') asked = clause.value;
    return { ...clause, value: hashValue(clause.value) };
  });
  return { where: hashed, asked };
}

function hashData<T extends Record<string, unknown> | undefined>(data: T): T {
  if (!data || typeof data.token !== 'string') return data;
  return { ...data, token: hashSessionToken(data.token) };
}

function restoreToken<T>(row: T, raw: string | undefined): T {
  if (raw === undefined || !row || typeof row !== 'object' || !('token' in row)) return row;
  return { ...row, token: raw };
}

function pastMaxAge(row: unknown, maxAgeSeconds: number): row is { id: string } {
  if (!row || typeof row !== 'object' || !('createdAt' in row) || !('id' in row)) return false;
  return new Date(row.createdAt as Date).getTime() + maxAgeSeconds * 1000 <= Date.now();
}

export interface SessionStorageOptions {
  /** No session outlives this, counted from sign-in, however recently it was used. */
  maxAgeSeconds: number;
}

/** Wraps a Better Auth adapter (and the adapters of its transactions) with custos's session storage rules. */
export function withSessionStorage<A extends Omit<DBAdapter, 'transaction'> & { transaction?: DBAdapter['transaction'] }>(adapter: A, options: SessionStorageOptions): A {
  const wrapped: A = {
    ...adapter,
    async create(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.create(args);
      const raw = typeof args.data.token === 'string' ? args.data.token : undefined;
      // Better Auth sets the cookie from the token it gets back.
      return restoreToken(await adapter.create({ ...args, data: hashData(args.data as Record<string, unknown>) as typeof args.data }), raw);
    },
    async findOne(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.findOne(args);
      const { where, asked } = hashWhere(args.where);
      const row = await adapter.findOne({ ...args, where: where! });
      if (pastMaxAge(row, options.maxAgeSeconds)) {
        await adapter.delete({ model: args.model, where: [{ field: 'id', value: row.id }] });
        return null;
      }
      return restoreToken(row, asked);
    },
    async findMany(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.findMany(args);
      // The stored hashes are no tokens: handing them back would let Better Auth hash them again and
      // match nothing while reporting success (its listSessions/revokeSession by token). custos lists
      // and revokes sessions by id; a listed session carries no token at all.
      const rows = await adapter.findMany({ ...args, where: hashWhere(args.where).where });
      return rows.map((row) => (row && typeof row === 'object' && 'token' in row ? { ...row, token: '' } : row)) as typeof rows;
    },
    async count(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.count(args);
      return adapter.count({ ...args, where: hashWhere(args.where).where });
    },
    async update(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.update(args);
      const { where, asked } = hashWhere(args.where);
      const raw = typeof args.update.token === 'string' ? args.update.token : asked;
      return restoreToken(await adapter.update({ ...args, where: where!, update: hashData(args.update) }), raw);
    },
    async updateMany(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.updateMany(args);
      return adapter.updateMany({ ...args, where: hashWhere(args.where).where!, update: hashData(args.update) });
    },
    async delete(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.delete(args);
      return adapter.delete({ ...args, where: hashWhere(args.where).where! });
    },
    async deleteMany(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.deleteMany(args);
      return adapter.deleteMany({ ...args, where: hashWhere(args.where).where! });
    },
    async consumeOne(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.consumeOne(args);
      const { where, asked } = hashWhere(args.where);
      return restoreToken(await adapter.consumeOne({ ...args, where: where! }), asked);
    },
    async incrementOne(args) {
      if (!SESSION_MODELS.has(args.model)) return adapter.incrementOne(args);
      const { where, asked } = hashWhere(args.where);
      return restoreToken(await adapter.incrementOne({ ...args, where: where!, set: hashData(args.set) }), asked);
    },
  } as A;
  if (adapter.transaction) {
    const transaction = adapter.transaction.bind(adapter);
    wrapped.transaction = ((callback: (trx: never) => Promise<unknown>) =>
      transaction((trx) => callback(withSessionStorage(trx as never, options) as never))) as DBAdapter['transaction'];
  }
  return wrapped;
}
