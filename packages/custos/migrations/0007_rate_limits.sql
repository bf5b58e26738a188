-- Rate-limit counters (P-KEY-2), one row per rule and subject: a fixed window that starts at the
-- first request. The key is `<rule>:<HMAC of the subject>` (src/ratelimit), never an IP address, an
-- email address or an API key id in clear. A global table: counters belong to no workspace, so it
-- has no tenant_id and no row-level security.
--
-- The shape is rate-limiter-flexible's RateLimiterPostgres table (it inserts positional VALUES
-- (key, points, expire), so the column order matters); custos creates it here, never the library
-- at run time. expire is the end of the window in milliseconds since the epoch.
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
-- The periodic cleanup deletes rows whose window ended (deleteExpired in src/ratelimit).
CREATE INDEX rate_limits_expire ON rate_limits (expire);
-- The upsert reads the row it updates (ON CONFLICT … RETURNING), the cleanup deletes.
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO custos_runtime;
