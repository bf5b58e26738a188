// The runtime role: the only identity the running server has in the database (P-TEN-3).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const RUNTIME_ROLE = 'custos_runtime';
export const RUNTIME_PASSWORD_FILE = 'runtime-password';

/**
 * The runtime login's password: CUSTOS_RUNTIME_PASSWORD, else the one generated into the data dir
 * (mode 0600) the first time it is needed, so every later start agrees with the role.
 */
export function runtimePassword(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, RUNTIME_PASSWORD_FILE);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const generated = crypto.randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, generated + '\n', { flag: 'wx', mode: 0o600 });
    return generated;
  } catch (err) {
    // Another process wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

/** Quotes an identifier the way Postgres' quote_ident would. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for the statements that cannot take parameters (CREATE ROLE … PASSWORD). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
