-- The workspaces a person has left (P-RIG-2, P-RIG-3): what they wrote or decided there still names
-- them, so their export must still hold it and their erasure must still put a pseudonym in their
-- place, long after the membership itself is gone. Ids and a time only. A row goes with the person
-- (their erasure deletes it) or with the workspace.
CREATE TABLE former_memberships (
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  left_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (person_id, workspace_id)
);
CREATE INDEX former_memberships_by_workspace ON former_memberships (workspace_id);
GRANT SELECT, INSERT, DELETE ON former_memberships TO custos_runtime;
