-- A person's name and a credential's label are personal data, so they leave the clear columns
-- (issue 24). The name is sealed under the person's own secret in person_names, one row a person,
-- so that erasure shreds it with the rest of what is theirs; Better Auth's people.name stays, always
-- empty. A credential's label is sealed under its workspace's keys in label_sealed; the clear
-- label column is kept, empty, only so that a row written by an earlier release keeps its label
-- until it is next read, when it is sealed (the runtime reaches a workspace's rows only in that
-- workspace's transaction, so no start-up pass could find them all).
CREATE TABLE person_names (
  person_id uuid PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
  name_sealed bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON person_names TO custos_runtime;

ALTER TABLE credentials ALTER COLUMN label DROP NOT NULL;
ALTER TABLE credentials ADD COLUMN label_sealed bytea;

-- What an earlier release left in clear, found at start-up without reading every row.
CREATE INDEX people_clear_names ON people (id) WHERE name <> '';
