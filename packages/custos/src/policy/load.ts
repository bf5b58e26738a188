// Reading custos.policy.yaml: YAML with positions (the `yaml` package), the schema (schema.ts), and
// what only the whole file can say: every table of the data registry in exactly one category, no
// retention past what the account's closure allows, nothing this version of custos cannot do. A
// bad file is refused naming the line, the column and the field.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { BLOBS, JOB_SCHEMA, TABLES, type Category } from '../db/registry.ts';
import { parseRetention, policySchema, type Policy } from './schema.ts';

export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('./default.policy.yaml', import.meta.url));
export const POLICY_FILE_NAME = 'custos.policy.yaml';
/** The session cookie custos sets (`__Secure-` prefixed on https). */
export const SESSION_COOKIE_NAME = 'custos_session';
/** What this version of custos can do; a method that lands is added here. */
export const AVAILABLE_SIGN_IN_METHODS = new Set(['password']);

export interface PolicyProblem {
  /** The field, as a path into the file: categories[2].retention. */
  field: string;
  line: number | null;
  column: number | null;
  message: string;
}

export class PolicyError extends Error {
  readonly file: string;
  readonly problems: PolicyProblem[];

  constructor(file: string, problems: PolicyProblem[]) {
    super(`${file}: ${problems.map((p) => `${p.line === null ? '' : `line ${p.line}, column ${p.column}: `}${p.field ? `${p.field}: ` : ''}${p.message}`).join('; ')}`);
    this.name = 'PolicyError';
    this.file = file;
    this.problems = problems;
  }
}

export interface LoadedPolicy {
  policy: Policy;
  /** The file it came from (the built-in default when the data dir has none). */
  file: string;
  isDefault: boolean;
  /** Each registry table's category, and each blob kind's, as this policy files them. */
  tableCategory: ReadonlyMap<string, Category>;
  blobCategory: ReadonlyMap<string, Category>;
}

type Path = ReadonlyArray<string | number>;

function fieldName(path: Path): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

/** Where a field is in the file: the node itself, or the nearest parent that exists. */
function positionOf(doc: Document, lines: LineCounter, path: Path): { line: number | null; column: number | null } {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      const { line, col } = lines.linePos(range[0]);
      return { line, column: col };
    }
  }
  return { line: null, column: null };
}

/** Reads and checks a policy file; `file` undefined or missing in the data dir means the built-in default. */
export function loadPolicyFile(file: string): LoadedPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [{ field: '', line: null, column: null, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  return parsePolicy(text, file);
}

export function parsePolicy(text: string, file = POLICY_FILE_NAME): LoadedPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(file, doc.errors.map((error) => {
      const at = error.linePos?.[0];
      return { field: '', line: at?.line ?? null, column: at?.col ?? null, message: `not valid YAML: ${error.message.split('\n')[0]}` };
    }));
  }
  const parsed = policySchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new PolicyError(file, parsed.error.issues.map((issue) => ({
      field: fieldName(issue.path as Path), ...positionOf(doc, lines, issue.path as Path), message: issue.message,
    })));
  }
  const policy = parsed.data;
  const problems: PolicyProblem[] = [];
  const problem = (path: Path, message: string) => problems.push({ field: fieldName(path), ...positionOf(doc, lines, path), message });

  // Every registered table and blob kind in exactly one category.
  const tableCategory = new Map<string, Category>();
  const blobCategory = new Map<string, Category>();
  const registered = new Map<string, Category>([...TABLES.map((t) => [t.table, t.category] as const), [`${JOB_SCHEMA.schema}.*`, JOB_SCHEMA.category]]);
  const blobs = new Map(BLOBS.map((b) => [b.kind, b.category] as const));
  const seen = new Set<Category>();
  policy.categories.forEach((category, i) => {
    if (seen.has(category.id)) problem(['categories', i, 'id'], `the category ${category.id} is declared twice`);
    seen.add(category.id);
    const claim = (kind: 'tables' | 'blobs', known: Map<string, Category>, taken: Map<string, Category>) => {
      const names = category[kind] ?? [...known].filter(([, c]) => c === category.id).map(([name]) => name);
      names.forEach((name, j) => {
        const at: Path = category[kind] ? ['categories', i, kind, j] : ['categories', i, 'id'];
        if (!known.has(name)) return problem(at, `${name} is not a ${kind === 'tables' ? 'table' : 'blob kind'} of the data registry`);
        const already = taken.get(name);
        if (already) return problem(at, `${name} is in two categories: ${already} and ${category.id}`);
        taken.set(name, category.id);
      });
    };
    claim('tables', registered, tableCategory);
    claim('blobs', blobs, blobCategory);
  });
  for (const [table, registryCategory] of registered) {
    if (!tableCategory.has(table)) problem(['categories'], `the table ${table} belongs to no category (the data registry files it under ${registryCategory})`);
  }
  for (const [kind, registryCategory] of blobs) {
    if (!blobCategory.has(kind)) problem(['categories'], `the blob kind ${kind} belongs to no category (the data registry files it under ${registryCategory})`);
  }

  // No retention past the account: what erasure deletes goes with the account; what it keeps needs days.
  const outlivesErasure = new Set(TABLES.filter((t) => t.keptAtErasure).map((t) => t.table));
  policy.categories.forEach((category, i) => {
    const retention = parseRetention(category.retention);
    if (retention.kind === 'account' && retention.afterClosureDays > policy.closure.deleteWithinDays) {
      problem(['categories', i, 'retention'], `retention longer than the account: everything of a closed account is deleted within ${policy.closure.deleteWithinDays} days (closure.deleteWithinDays)`);
    }
    const kept = [...tableCategory].filter(([table, c]) => c === category.id && outlivesErasure.has(table)).map(([table]) => table);
    if (retention.kind === 'account' && kept.length > 0) {
      problem(['categories', i, 'retention'], `${kept.join(', ')} outlive the account (erasure keeps them, unreadable or pseudonymised): give ${category.id} a retention in days`);
    }
  });
  if (policy.requests.erasureGraceDays > policy.closure.deleteWithinDays) {
    problem(['requests', 'erasureGraceDays'], `an erasure waits ${policy.requests.erasureGraceDays} days, longer than closure.deleteWithinDays (${policy.closure.deleteWithinDays})`);
  }
  if (policy.requests.erasureGraceDays >= policy.requests.dueDays) {
    problem(['requests', 'erasureGraceDays'], 'an erasure is a request too: its grace period must end before the request is due (requests.dueDays)');
  }
  policy.signIn.methods.forEach((method, i) => {
    if (!AVAILABLE_SIGN_IN_METHODS.has(method)) problem(['signIn', 'methods', i], `${method} sign-in is not available in this version of custos`);
  });
  const session = policy.cookies.findIndex((cookie) => cookie.name === SESSION_COOKIE_NAME);
  if (session < 0) problem(['cookies'], `custos sets the session cookie ${SESSION_COOKIE_NAME}: the policy must declare it`);
  else if (!policy.cookies[session]!.essential) problem(['cookies', session, 'essential'], 'the session cookie is essential: nothing can be done signed out');
  // Names key the diff of versions: two of one name would hide each other's changes.
  for (const [list, label] of [[policy.subprocessors, 'subprocessor'], [policy.cookies, 'cookie']] as const) {
    const seenNames = new Set<string>();
    list.forEach((item, i) => {
      if (seenNames.has(item.name)) problem([label === 'cookie' ? 'cookies' : 'subprocessors', i, 'name'], `the ${label} ${item.name} is declared twice`);
      seenNames.add(item.name);
    });
  }
  if (problems.length > 0) throw new PolicyError(file, problems);
  return { policy, file, isDefault: file === DEFAULT_POLICY_FILE, tableCategory, blobCategory };
}
