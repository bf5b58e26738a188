// Postgres errors data/ turns into answers. Both engines (pg and PGlite) carry the SQLSTATE in `code`.
export function isForeignKeyViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23503';
}
