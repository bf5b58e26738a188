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
  requests: 'Your requests about your data (access, export, erasure) with the times they were received, due and answered',
  exports: 'Archives of your data you asked for, encrypted, until their link expires',
  mail: 'Transactional mail waiting to be sent',
  encryption_keys: 'Wrapped data keys of each workspace (no personal data)',
  operations: 'What the service needs to run: rate-limit counters, request replay, migrations, jobs',
} as const;
export type Category = keyof typeof CATEGORIES;

/**
 * Whose rows they are. `workspace`: the column naming the workspace (`tenant_id` for tenant tables,
 * under RLS; `id` for the workspaces table itself). `person`: the column naming the person, or a
 * field of a JSON text column (`jsonField`). `instance`: nobody's in particular.
 */
export type Owner =
  | { kind: 'workspace'; column: 'tenant_id' | 'id' }
  | { kind: 'person'; column: string; jsonField?: string }
  | { kind: 'instance' };

/** Under whose secret a sealed column is sealed: erasing that owner's secret shreds it. */
export type SealedUnder = 'workspace' | 'person' | 'instance';

/**
 * One table. Sealed values follow one convention, which the export relies on to open them: the
 * seal context's tenant is the row's tenant_id (the nil uuid for global tables), its row id the
 * primary key's other columns joined with ':' (bytea as hex).
 */
export interface TableEntry {
  /** Schema-qualified when not in `public`. */
  table: string;
  category: Category;
  owner: Owner;
  /** The primary key's columns, in order (the export pages through rows by it). */
  key: readonly string[];
  /**
   * Columns naming the people who wrote or decided a row in a workspace: in a shared workspace a
   * person's export holds the rows naming them, and erasure puts a pseudonym in their place.
   */
  people?: readonly string[];
  /**
   * A text column naming the person a row is about, when someone else wrote it (an audit entry's
   * target): such rows are theirs to see and export too, but not to erase (they are the actor's).
   */
  about?: string;
  /** A global table's column naming a workspace: its rows go when that workspace is erased. */
  workspaceColumn?: string;
  /** A column holding an email address: rows with the person's address are theirs too (invitations). */
  emailColumn?: string;
  /** Columns never exported or shown: hashes, tokens and secrets (their presence is enough). */
  hidden?: readonly string[];
  /** When a row was made: GET /v1/me/data's oldest and newest. */
  createdAt?: string;
  /** Why erasure leaves the rows (append-only, or unreadable once the secret is shredded). */
  keptAtErasure?: string;
  /**
   * Columns of personal data kept in clear, each with the reason it cannot be sealed (or why it is
   * empty). Everything else a person wrote or is described by is sealed, hidden, or an id or time.
   */
  clear?: Readonly<Record<string, string>>;
  /** Columns holding sealed envelopes (crypto/envelope.ts), and whose secret seals them. */
  sealed: Readonly<Record<string, SealedUnder>>;
  /** Why it is kept (for GET /v1/me/data and the privacy page). */
  purpose: string;
}

const workspace = { kind: 'workspace', column: 'tenant_id' } as const;
const person = (column: string, jsonField?: string): Owner => ({ kind: 'person', column, ...(jsonField ? { jsonField } : {}) });
const instance = { kind: 'instance' } as const;
const tenantKey = (...rest: string[]) => ['tenant_id', ...rest];
const appendOnly = 'the audit trail is append-only: entries hold ids, never content, and the IP addresses and user agents in them are sealed under the person’s own secret, which erasure shreds';

export const TABLES: readonly TableEntry[] = [
  // Identity (Better Auth's tables and custos's own beside them).
  {
    table: 'people', category: 'account', owner: person('id'), key: ['id'], createdAt: 'createdAt', sealed: {}, purpose: 'to let you sign in and reach you about your account',
    clear: {
      email: 'sign-up, sign-in, verification and password reset find the account by its address: Better Auth looks it up by equality in this column and mails it. A keyed hash here with the address sealed beside it would need custos between Better Auth and every read of this table; not done yet',
      name: 'always empty: the name is sealed under the person’s own secret in person_names',
    },
  },
  { table: 'person_names', category: 'account', owner: person('person_id'), key: ['person_id'], createdAt: 'updated_at', sealed: { name_sealed: 'person' }, purpose: 'to address you by the name you gave' },
  { table: 'accounts', category: 'account', owner: person('userId'), key: ['id'], createdAt: 'createdAt', hidden: ['password', 'accessToken', 'refreshToken', 'idToken'], sealed: {}, purpose: 'to check your password or external sign-in' },
  { table: 'sessions', category: 'sessions', owner: person('userId'), key: ['id'], createdAt: 'createdAt', hidden: ['token'], sealed: {}, purpose: 'to keep you signed in' },
  // A password reset's row names the person in `value`; its identifier is a hashed token.
  { table: 'verifications', category: 'sign_in_tokens', owner: person('value'), key: ['id'], createdAt: 'createdAt', hidden: ['identifier'], sealed: {}, purpose: 'to verify your address and reset your password' },
  { table: 'workspaces', category: 'workspaces', owner: { kind: 'workspace', column: 'id' }, key: ['id'], createdAt: 'createdAt', sealed: {}, purpose: 'to hold your data apart from everyone else’s', clear: { name: 'the workspace’s own name, shown to each of its members ("Personal" for a personal one); it goes when the workspace does' } },
  { table: 'memberships', category: 'workspaces', owner: person('userId'), key: ['id'], workspaceColumn: 'organizationId', createdAt: 'createdAt', sealed: {}, purpose: 'to know which workspaces you belong to and your role' },
  // Left workspaces: what the person wrote there still names them (their export and erasure reach it).
  { table: 'former_memberships', category: 'workspaces', owner: person('person_id'), key: ['person_id', 'workspace_id'], workspaceColumn: 'workspace_id', createdAt: 'left_at', sealed: {}, purpose: 'to reach, when you ask for your data or its erasure, what you wrote in workspaces you have left' },
  { table: 'invitations', category: 'workspaces', owner: person('inviterId'), key: ['id'], workspaceColumn: 'organizationId', emailColumn: 'email', createdAt: 'createdAt', sealed: {}, purpose: 'to invite people to a workspace', clear: { email: 'an invitation is found by the address it was sent to' } },
  { table: 'api_keys', category: 'api_keys', owner: person('metadata', 'createdBy'), key: ['id'], workspaceColumn: 'referenceId', createdAt: 'createdAt', hidden: ['key'], sealed: {}, purpose: 'to let your programs call the API', clear: { name: 'a key’s label, written and read by Better Auth’s api-key plugin, which custos does not stand between' } },
  { table: 'terms_acceptances', category: 'consents', owner: person('person_id'), key: ['person_id', 'policy_version'], createdAt: 'accepted_at', sealed: { client_sealed: 'person' }, purpose: 'to prove which terms you accepted' },
  { table: 'instance_admins', category: 'account', owner: person('person_id'), key: ['person_id'], createdAt: 'granted_at', sealed: {}, purpose: 'to know who operates this instance' },
  // Audit: instance events are on the chain of the nil tenant, workspace events on the workspace's.
  { table: 'audit_entries', category: 'audit', owner: workspace, key: tenantKey('seq'), people: ['actor_id'], about: 'target_id', createdAt: 'at', keptAtErasure: appendOnly, sealed: { client_sealed: 'person' }, purpose: 'to answer for every change made' },
  { table: 'audit_heads', category: 'audit', owner: workspace, key: tenantKey(), keptAtErasure: appendOnly, hidden: ['hash', 'mac'], sealed: {}, purpose: 'to detect any edit of the audit trail' },
  // The AI data.
  { table: 'conversations', category: 'conversations', owner: workspace, key: tenantKey('id'), people: ['created_by'], createdAt: 'created_at', sealed: { title: 'workspace' }, purpose: 'to keep your conversations for continuity' },
  { table: 'messages', category: 'conversations', owner: workspace, key: tenantKey('id'), people: ['created_by'], createdAt: 'created_at', sealed: { content: 'workspace' }, purpose: 'to keep your conversations for continuity' },
  { table: 'traces', category: 'traces', owner: workspace, key: tenantKey('trace_id'), createdAt: 'received_at', sealed: {}, purpose: 'to analyse the traces your integrations send' },
  { table: 'spans', category: 'traces', owner: workspace, key: tenantKey('trace_id', 'span_id'), createdAt: 'received_at', sealed: { content: 'workspace' }, purpose: 'to analyse the traces your integrations send' },
  // The vault: provider credentials and the actions proposed, approved and executed with them.
  {
    table: 'credentials', category: 'credentials', owner: workspace, key: tenantKey('id'), people: ['created_by'], createdAt: 'created_at', hidden: ['secret'],
    sealed: { secret: 'workspace', label_sealed: 'workspace' }, purpose: 'to call your providers on your behalf, only when an approved action needs it',
    clear: { label: 'empty since migration 0013 (the label is in label_sealed); a row an earlier release wrote is sealed when next read' },
  },
  { table: 'actions', category: 'workflow_logs', owner: workspace, key: tenantKey('id'), people: ['proposed_by', 'decided_by'], createdAt: 'created_at', sealed: { summary: 'workspace', operation: 'workspace', execution: 'workspace' }, purpose: 'to run only what a person approved, and to answer for every operation executed' },
  // Requests under data-protection law, and the exports they produce.
  { table: 'rights_requests', category: 'requests', owner: person('person_id'), key: ['id'], createdAt: 'received_at', keptAtErasure: 'the register proves each request was answered on time: it holds ids, kinds and times only', sealed: {}, purpose: 'to answer every request you make about your data on time, and prove it' },
  { table: 'erasures', category: 'requests', owner: person('person_id'), key: ['request_id'], createdAt: 'created_at', keptAtErasure: 'it records that the erasure ran to its end: ids and times only', sealed: {}, purpose: 'to erase your account when you ask, after the grace period you may cancel in' },
  { table: 'exports', category: 'exports', owner: person('person_id'), key: ['id'], createdAt: 'created_at', sealed: {}, purpose: 'to prepare the archive of your data you asked for, until its link expires' },
  // Keys, mail and the machinery.
  { table: 'tenant_keys', category: 'encryption_keys', owner: workspace, key: tenantKey('version'), createdAt: 'created_at', hidden: ['wrapped'], keptAtErasure: 'a data key wrapped under a shredded secret opens nothing, and the runtime may never delete a data key', sealed: {}, purpose: 'to encrypt each workspace’s data under its own keys' },
  { table: 'mail_outbox', category: 'mail', owner: instance, key: ['id'], sealed: { sealed: 'instance' }, purpose: 'to send transactional mail once' },
  { table: 'idempotency_keys', category: 'operations', owner: workspace, key: tenantKey('key_hash'), createdAt: 'created_at', hidden: ['key_hash', 'request_hash'], sealed: { request_hash: 'workspace' }, purpose: 'to answer a retried write as the first one was answered' },
  { table: 'rate_limits', category: 'operations', owner: instance, key: ['key'], sealed: {}, purpose: 'to limit abuse (keys are HMACs, never addresses)' },
  { table: 'custos_migrations', category: 'operations', owner: instance, key: ['name'], sealed: {}, purpose: 'to know which schema version runs' },
  // The policy as published, and what custos verify found: the operator's, no personal data.
  { table: 'policy_versions', category: 'operations', owner: instance, key: ['n'], sealed: {}, purpose: 'to publish every version of this policy and announce its changes' },
  { table: 'verify_reports', category: 'operations', owner: instance, key: ['id'], createdAt: 'ran_at', sealed: {}, purpose: 'to show that the running system keeps this policy' },
];

/**
 * The job queue's own schema (pg-boss): its tables hold job names and payloads, which carry ids
 * only (jobs/contracts.ts). Listed as a schema because pg-boss owns and may add to its tables.
 */
export const JOB_SCHEMA = { schema: 'custos_jobs', category: 'operations' as Category, purpose: 'to run background work (payloads hold ids only)' };

/**
 * Blob kinds: content stored outside the database (in the data dir's files, or an object store),
 * each found through the table row that names it. Artifacts add theirs here.
 */
export interface BlobEntry {
  kind: string;
  category: Category;
  /** The table whose rows name the blobs (the blob goes with its row). */
  table: string;
  /** Sealed with the streaming format under this owner's secret. */
  sealedUnder: SealedUnder;
  purpose: string;
}
export const BLOBS: readonly BlobEntry[] = [
  { kind: 'exports', category: 'exports', table: 'exports', sealedUnder: 'person', purpose: 'to hold the archive of your data until you download it or its link expires' },
];

export function tableEntry(table: string): TableEntry | undefined {
  return TABLES.find((entry) => entry.table === table);
}
