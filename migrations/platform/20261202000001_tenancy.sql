-- Tenancy enforced by PostgreSQL: row-level security on every tenant table, keyed on
-- `organization_id`. A transaction sees the rows of the organization it names in the setting
-- `app.organization_id` (platform::db::begin sets it, local to the transaction) and writes only
-- rows of that organization; without the setting it sees nothing. The one path across
-- organizations (background jobs, provider webhooks) sets `app.all_organizations` instead
-- (platform::db::begin_all_organizations).
--
-- FORCE makes the policies bind the tables' owner too: the services run their own migrations,
-- so they own their tables. A superuser or a BYPASSRLS role still passes through, which is why
-- a service refuses to start in production with such a role (platform::db::check_role).

-- Whether a row of organization `org` is visible to the current transaction. A single SQL
-- expression, so PostgreSQL inlines it into each policy.
CREATE FUNCTION app_visible(org text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT org = current_setting('app.organization_id', true)
        OR current_setting('app.all_organizations', true) = 'on'
$$;

-- Puts a table under the tenant policy. Every tenant table of every service goes through here.
CREATE FUNCTION app_enable_tenancy(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format(
        'CREATE POLICY tenant ON %s USING (app_visible(organization_id)) WITH CHECK (app_visible(organization_id))',
        tbl);
END
$$;

ALTER TABLE idempotency_keys RENAME COLUMN org_id TO organization_id;
SELECT app_enable_tenancy('idempotency_keys');
