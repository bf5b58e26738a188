-- The published versions of the privacy policy (P-COM-2, P-COM-3): each as it was published, when
-- it takes effect, what changed from the one before and whether the change is material. A material
-- change is mailed to every account before it takes effect; notified_through is that mailing's
-- progress (the last person queued), so that a restarted job goes on where it stopped. No personal
-- data: the documents are the operator's.
CREATE TABLE policy_versions (
  n integer PRIMARY KEY CHECK (n > 0),
  document jsonb NOT NULL,
  material boolean NOT NULL,
  changes jsonb NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  effective_at timestamptz NOT NULL,
  notified_through uuid,
  notified_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON policy_versions TO custos_runtime;

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
