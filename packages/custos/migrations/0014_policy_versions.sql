-- The published versions of the privacy policy (P-COM-2, P-COM-3): each as it was published, when
-- it takes effect, what changed from the one before and whether the change is material. A material
-- change is mailed to every account before it takes effect; notified_through_at and notified_through
-- are that mailing's progress (the sign-up time and id of the last person queued: people are taken
-- in the order they signed up, so that whoever signs up meanwhile comes after), so that a restarted
-- job goes on where it stopped. No personal data: the documents are the operator's. The runtime may
-- change nothing of a version once published but that progress.
CREATE TABLE policy_versions (
  n integer PRIMARY KEY CHECK (n > 0),
  document jsonb NOT NULL,
  material boolean NOT NULL,
  changes jsonb NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  effective_at timestamptz NOT NULL,
  notified_through_at timestamptz,
  notified_through uuid,
  notified_at timestamptz
);
GRANT SELECT, INSERT ON policy_versions TO custos_runtime;
GRANT UPDATE (notified_through_at, notified_through, notified_at) ON policy_versions TO custos_runtime;

-- What `custos verify` found, run by run (the newest few are kept): the public verification page
-- and the privacy policy's "verified N minutes ago" read the last one. Claims, results and counts;
-- never content.
CREATE TABLE verify_reports (
  id uuid PRIMARY KEY,
  ran_at timestamptz NOT NULL DEFAULT now(),
  ok boolean NOT NULL,
  rows jsonb NOT NULL
);
CREATE INDEX verify_reports_by_time ON verify_reports (ran_at DESC);
GRANT SELECT, INSERT, DELETE ON verify_reports TO custos_runtime;
