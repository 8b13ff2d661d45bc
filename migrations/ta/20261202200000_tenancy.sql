-- Tenancy of the TA's register enforced by PostgreSQL (see 20261202000001_tenancy.sql, which
-- defines app_enable_tenancy and already put idempotency_keys under it).
--
-- Every table of the register is a tenant table: its organization column is renamed
-- `organization_id` (the name of the seed's schema and of the policy), stays NOT NULL, keeps
-- an index leading with it, and goes under the tenant policy. Every table already carried the
-- column, NOT NULL, so nothing is added or backfilled and no row is read or changed here.
--
-- The indexes leading with the column (renaming a column keeps its indexes):
--   securities        securities_org (organization_id, id), UNIQUE (organization_id, symbol)
--   journal_heads     PRIMARY KEY (organization_id)
--   journal           PRIMARY KEY (organization_id, seq), UNIQUE (organization_id, entry_id)
--   lots              lots_investor (organization_id, investor_id, security_id)
--   transfers         transfers_org, transfers_from, transfers_to, UNIQUE (organization_id, settlement_id)
--   corporate_actions corporate_actions_org (organization_id, id)
--   disposals         disposals_investor (organization_id, investor_id, disposed_on)
--   cash_in_lieu      cash_in_lieu_entry (organization_id, entry_id)
--   dividends         dividends_org (organization_id, id)
--   dividend_payments dividend_payments_investor (organization_id, investor_id)
-- The jobs' queues (transfers_pending, dividends_declared) are read across organizations, on
-- the one path that may (platform::db::begin_all_organizations), and keep their own indexes.
--
-- Two things that would answer a write for another organization before the policy does are
-- changed, so that such a write is always refused as what it is (SQLSTATE 42501, which the
-- tenancy tests check on every table):
-- - `securities.outstanding` was a generated column, which refuses any explicit value when the
--   statement is rewritten, before a policy is consulted. The sum it held is computed where
--   it is read (store/securities.rs) from the totals it was generated from.
-- - the journal's append-only trigger ran BEFORE UPDATE, before the policy's WITH CHECK. It
--   runs AFTER now: a changed or deleted entry still aborts its statement, once the policy
--   has judged the row.

ALTER TABLE securities DROP COLUMN outstanding;

DROP TRIGGER journal_append_only ON journal;
CREATE TRIGGER journal_append_only AFTER UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();

ALTER TABLE securities RENAME COLUMN org_id TO organization_id;
ALTER TABLE journal_heads RENAME COLUMN org_id TO organization_id;
ALTER TABLE journal RENAME COLUMN org_id TO organization_id;
ALTER TABLE lots RENAME COLUMN org_id TO organization_id;
ALTER TABLE transfers RENAME COLUMN org_id TO organization_id;
ALTER TABLE corporate_actions RENAME COLUMN org_id TO organization_id;
ALTER TABLE disposals RENAME COLUMN org_id TO organization_id;
ALTER TABLE cash_in_lieu RENAME COLUMN org_id TO organization_id;
ALTER TABLE dividends RENAME COLUMN org_id TO organization_id;
ALTER TABLE dividend_payments RENAME COLUMN org_id TO organization_id;

-- Already NOT NULL everywhere; said again so this file alone states the rule.
ALTER TABLE securities ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE journal_heads ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE journal ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE lots ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE transfers ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE corporate_actions ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE disposals ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE cash_in_lieu ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE dividends ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE dividend_payments ALTER COLUMN organization_id SET NOT NULL;

SELECT app_enable_tenancy('securities');
SELECT app_enable_tenancy('journal_heads');
SELECT app_enable_tenancy('journal');
SELECT app_enable_tenancy('lots');
SELECT app_enable_tenancy('transfers');
SELECT app_enable_tenancy('corporate_actions');
SELECT app_enable_tenancy('disposals');
SELECT app_enable_tenancy('cash_in_lieu');
SELECT app_enable_tenancy('dividends');
SELECT app_enable_tenancy('dividend_payments');
