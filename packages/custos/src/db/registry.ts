// The data registry: every table custos keeps, what category of data it holds (in PROMISES.md's
// words), whose it is, and which of its columns hold sealed envelopes. Access, export, erasure,
// retention and `custos verify` walk this list instead of knowing tables by name, and the catalog
// test (test/db/registry.test.ts) fails when a table exists that is not here, or an entry here
// names a table or column that does not exist. A new table is a new entry, in the same commit.

/** What kind of data a table holds: the words a privacy policy and GET /v1/me/data use. */
export const CATEGORIES = {
  account: 'Account: email address, name, password hash, verification state',
  sessions: 'Sessions: signed-in devices, with expiry times',
  sign_in_tokens: 'One-time tokens of email verification and password reset, hashed',
  workspaces: 'Workspaces, memberships, roles and invitations',
  api_keys: 'API keys, hashed, with scopes and last-used times',
  consents: 'Acceptance of the privacy policy and terms, with time, IP address and user agent',
  audit: 'The audit trail: who did what and when (ids and counts, never content)',
  conversations: 'Conversations and their messages (P-DAT-3)',
  traces: 'Traces and spans pushed over OpenTelemetry (P-DAT-2)',
  credentials: 'Keys to model providers and cloud accounts, sealed; only their last four characters are shown (P-ENC-3)',
  workflow_logs: 'Actions agents proposed, who approved them, and what each execution sent and received (P-DAT-6)',
  mail: 'Transactional mail waiting to be sent',
  encryption_keys: 'Wrapped data keys of each workspace (no personal data)',
  operations: 'What the service needs to run: rate-limit counters, request replay, migrations, jobs',
} as const;
export type Category = keyof typeof CATEGORIES;

/**
 * Whose rows they are. `workspace`: the tenant column (RLS), every row belongs to one workspace.
 * `person`: the column naming the person. `instance`: nobody's in particular.
 */
export type Owner =
  | { kind: 'workspace'; column: 'tenant_id' }
  | { kind: 'person'; column: string }
  | { kind: 'instance' };

/** Under whose secret a sealed column is sealed: erasing that owner's secret shreds it. */
export type SealedUnder = 'workspace' | 'person' | 'instance';

export interface TableEntry {
  /** Schema-qualified when not in `public`. */
  table: string;
  category: Category;
  owner: Owner;
  /** The column naming the person who wrote a row in a shared workspace (pseudonymised on erasure). */
  author?: string;
  /** Columns holding sealed envelopes (crypto/envelope.ts), and whose secret seals them. */
  sealed: Readonly<Record<string, SealedUnder>>;
  /** Why it is kept (for GET /v1/me/data and the privacy page). */
  purpose: string;
}

const workspace = { kind: 'workspace', column: 'tenant_id' } as const;
const person = (column: string): Owner => ({ kind: 'person', column });
const instance = { kind: 'instance' } as const;

export const TABLES: readonly TableEntry[] = [
  // Identity (Better Auth's tables and custos's own beside them).
  { table: 'people', category: 'account', owner: person('id'), sealed: {}, purpose: 'to let you sign in and reach you about your account' },
  { table: 'accounts', category: 'account', owner: person('userId'), sealed: {}, purpose: 'to check your password or external sign-in' },
  { table: 'sessions', category: 'sessions', owner: person('userId'), sealed: {}, purpose: 'to keep you signed in' },
  { table: 'verifications', category: 'sign_in_tokens', owner: instance, sealed: {}, purpose: 'to verify your address and reset your password' },
  { table: 'workspaces', category: 'workspaces', owner: instance, sealed: {}, purpose: 'to hold your data apart from everyone else’s' },
  { table: 'memberships', category: 'workspaces', owner: person('userId'), sealed: {}, purpose: 'to know which workspaces you belong to and your role' },
  { table: 'invitations', category: 'workspaces', owner: person('inviterId'), sealed: {}, purpose: 'to invite people to a workspace' },
  { table: 'api_keys', category: 'api_keys', owner: instance, sealed: {}, purpose: 'to let your programs call the API' },
  { table: 'terms_acceptances', category: 'consents', owner: person('person_id'), sealed: { client_sealed: 'person' }, purpose: 'to prove which terms you accepted' },
  { table: 'instance_admins', category: 'account', owner: person('person_id'), sealed: {}, purpose: 'to know who operates this instance' },
  // Audit: instance events are on the chain of the nil tenant, workspace events on the workspace's.
  { table: 'audit_entries', category: 'audit', owner: workspace, author: 'actor_id', sealed: { client_sealed: 'person' }, purpose: 'to answer for every change made' },
  { table: 'audit_heads', category: 'audit', owner: workspace, sealed: {}, purpose: 'to detect any edit of the audit trail' },
  // The AI data.
  { table: 'conversations', category: 'conversations', owner: workspace, author: 'created_by', sealed: { title: 'workspace' }, purpose: 'to keep your conversations for continuity' },
  { table: 'messages', category: 'conversations', owner: workspace, author: 'created_by', sealed: { content: 'workspace' }, purpose: 'to keep your conversations for continuity' },
  { table: 'traces', category: 'traces', owner: workspace, sealed: {}, purpose: 'to analyse the traces your integrations send' },
  { table: 'spans', category: 'traces', owner: workspace, sealed: { content: 'workspace' }, purpose: 'to analyse the traces your integrations send' },
  // The vault: provider credentials and the actions proposed, approved and executed with them.
  { table: 'credentials', category: 'credentials', owner: workspace, author: 'created_by', sealed: { secret: 'workspace' }, purpose: 'to call your providers on your behalf, only when an approved action needs it' },
  { table: 'actions', category: 'workflow_logs', owner: workspace, author: 'proposed_by', sealed: { summary: 'workspace', operation: 'workspace', execution: 'workspace' }, purpose: 'to run only what a person approved, and to answer for every operation executed' },
  // Keys, mail and the machinery.
  { table: 'tenant_keys', category: 'encryption_keys', owner: workspace, sealed: {}, purpose: 'to encrypt each workspace’s data under its own keys' },
  { table: 'mail_outbox', category: 'mail', owner: instance, sealed: { sealed: 'instance' }, purpose: 'to send transactional mail once' },
  { table: 'idempotency_keys', category: 'operations', owner: workspace, sealed: { request_hash: 'workspace' }, purpose: 'to answer a retried write as the first one was answered' },
  { table: 'rate_limits', category: 'operations', owner: instance, sealed: {}, purpose: 'to limit abuse (keys are HMACs, never addresses)' },
  { table: 'custos_migrations', category: 'operations', owner: instance, sealed: {}, purpose: 'to know which schema version runs' },
];

/**
 * The job queue's own schema (pg-boss): its tables hold job names and payloads, which carry ids
 * only (jobs/contracts.ts). Listed as a schema because pg-boss owns and may add to its tables.
 */
export const JOB_SCHEMA = { schema: 'custos_jobs', category: 'operations' as Category, purpose: 'to run background work (payloads hold ids only)' };

/**
 * Blob kinds: content stored outside the database. None yet; artifacts and exports add theirs
 * here, with the same shape of category, owner and sealing.
 */
export interface BlobEntry {
  kind: string;
  category: Category;
  owner: Owner;
  purpose: string;
}
export const BLOBS: readonly BlobEntry[] = [];

export function tableEntry(table: string): TableEntry | undefined {
  return TABLES.find((entry) => entry.table === table);
}
