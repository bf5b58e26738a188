-- Better Auth's tables, as its getMigrations compiles them for custos's options
-- (scripts/auth-schema.ts prints them; a test checks that nothing is pending). They are global:
-- people, sessions, accounts and verifications are not any one workspace's; workspaces and
-- memberships say which tenant is whose. Ids are uuids; a workspace's id is its tenant id.
-- Session tokens and verification identifiers are stored as SHA-256 hashes (src/identity).
create table "people" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);
create table "sessions" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" uuid not null references "people" ("id") on delete cascade, "activeOrganizationId" text);
create table "accounts" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "accountId" text not null, "providerId" text not null, "userId" uuid not null references "people" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null);
create table "verifications" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "identifier" text not null, "value" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);
create table "workspaces" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "name" text not null, "slug" text not null unique, "logo" text, "createdAt" timestamptz not null, "metadata" text, "personal" boolean not null);
create table "memberships" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "organizationId" uuid not null references "workspaces" ("id") on delete cascade, "userId" uuid not null references "people" ("id") on delete cascade, "role" text not null, "createdAt" timestamptz not null);
create table "invitations" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "organizationId" uuid not null references "workspaces" ("id") on delete cascade, "email" text not null, "role" text, "status" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "inviterId" uuid not null references "people" ("id") on delete cascade);
create table "api_keys" ("id" uuid default pg_catalog.gen_random_uuid() not null primary key, "configId" text not null, "name" text, "start" text, "referenceId" text not null, "prefix" text, "key" text not null, "refillInterval" integer, "refillAmount" integer, "lastRefillAt" timestamptz, "enabled" boolean, "rateLimitEnabled" boolean, "rateLimitTimeWindow" integer, "rateLimitMax" integer, "requestCount" integer, "remaining" integer, "lastRequest" timestamptz, "expiresAt" timestamptz, "createdAt" timestamptz not null, "updatedAt" timestamptz not null, "permissions" text, "metadata" text);
create index "sessions_userId_idx" on "sessions" ("userId");
create index "accounts_userId_idx" on "accounts" ("userId");
create index "verifications_identifier_idx" on "verifications" ("identifier");
create index "memberships_organizationId_idx" on "memberships" ("organizationId");
create index "memberships_userId_idx" on "memberships" ("userId");
create index "invitations_organizationId_idx" on "invitations" ("organizationId");
create index "invitations_email_idx" on "invitations" ("email");
create index "api_keys_configId_idx" on "api_keys" ("configId");
create index "api_keys_referenceId_idx" on "api_keys" ("referenceId");
create index "api_keys_key_idx" on "api_keys" ("key");

-- A person belongs to a workspace once.
CREATE UNIQUE INDEX memberships_workspace_person ON memberships ("organizationId", "userId");

-- DML only, and only what the runtime does: Better Auth creates, reads, updates and deletes its rows.
GRANT SELECT, INSERT, UPDATE, DELETE ON people, sessions, accounts, verifications, workspaces, memberships, invitations, api_keys TO custos_runtime;
