// Postgres errors the domains turn into answers. Both engines (pg and PGlite) carry the SQLSTATE in `code`.
function sqlState(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === '23503';
}

/** Two writers raced for the same unique key: one won. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}
