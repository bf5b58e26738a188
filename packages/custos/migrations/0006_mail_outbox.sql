-- The mail outbox (P-COM-1): one row per transactional mail waiting to be sent, written in the
-- transaction of the change it tells about, together with the mail.send job that carries its id.
-- A global table (no tenant_id): a mail is about a person, not a workspace's data. The recipient
-- and the variables (links, addresses) are sealed under an instance key, so the database and its
-- backups hold no address or link in clear; the row is deleted once the mail is delivered or given up.
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY,
  template text NOT NULL CHECK (template ~ '^[a-z][a-z0-9_]{0,63}$'),
  sealed bytea NOT NULL,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- DML only: the runtime writes a row, counts attempts, reads it to send and deletes it once sent.
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO custos_runtime;
