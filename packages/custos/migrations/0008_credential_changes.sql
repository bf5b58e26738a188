-- Servers keep recently verified API keys in memory (src/identity/credential-cache.ts). Whatever
-- changes what a key may do (the key itself, its creator's membership or role, their acceptance of
-- the policy), by whichever server or tool, tells every server at commit: NOTIFY custos_credentials.
CREATE FUNCTION custos_credentials_changed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('custos_credentials', '');
  RETURN NULL;
END $$;
-- Fired by triggers only; nobody calls it.
REVOKE EXECUTE ON FUNCTION custos_credentials_changed() FROM PUBLIC;

-- Not on "lastRequest": the last-used time changes nothing a key may do.
CREATE TRIGGER api_keys_credentials_changed
  AFTER INSERT OR DELETE OR UPDATE OF "key", "enabled", "expiresAt", "permissions", "metadata", "referenceId" ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION custos_credentials_changed();
CREATE TRIGGER api_keys_truncated AFTER TRUNCATE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION custos_credentials_changed();
CREATE TRIGGER memberships_credentials_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION custos_credentials_changed();
CREATE TRIGGER terms_acceptances_credentials_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON terms_acceptances
  FOR EACH STATEMENT EXECUTE FUNCTION custos_credentials_changed();
