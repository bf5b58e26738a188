// Building request paths: ids escaped as path segments, filters as a query string.

export const id = (value: string) => encodeURIComponent(value);

export function query(params: Record<string, string | number | Date | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) search.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
