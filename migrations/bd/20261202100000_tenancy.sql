-- BD: tenancy enforced by PostgreSQL. Every table holds one organization's rows under the
-- tenant policy of migrations/platform/20261202000001_tenancy.sql (app_enable_tenancy): the
-- column is `organization_id text NOT NULL`, an index leads with it, and a transaction sees and
-- writes only the rows of the organization it set (platform::db::begin).

-- The backfills below must see every organization.
SELECT set_config('app.all_organizations', 'on', true);

ALTER TABLE investors RENAME COLUMN org_id TO organization_id;
ALTER TABLE beneficial_owners RENAME COLUMN org_id TO organization_id;
ALTER TABLE checks RENAME COLUMN org_id TO organization_id;
ALTER TABLE events RENAME COLUMN org_id TO organization_id;
ALTER TABLE orders RENAME COLUMN org_id TO organization_id;
ALTER TABLE trades RENAME COLUMN org_id TO organization_id;
ALTER TABLE alerts RENAME COLUMN org_id TO organization_id;
ALTER TABLE cat_securities RENAME COLUMN org_id TO organization_id;
ALTER TABLE sanctions_false_positives RENAME COLUMN org_id TO organization_id;

-- Who moved an alert belongs to the alert's organization.
ALTER TABLE alert_transitions ADD COLUMN organization_id text;
UPDATE alert_transitions t SET organization_id = a.organization_id
FROM alerts a WHERE a.id = t.alert_id;
ALTER TABLE alert_transitions ALTER COLUMN organization_id SET NOT NULL;
CREATE INDEX alert_transitions_org ON alert_transitions (organization_id, alert_id, seq);

-- A provider's webhook event is claimed once it is applied to the KYC check of its applicant,
-- in that check's organization (`check_id`: the kyc_update check it produced). A row without an
-- organization would claim a delivery that matched no check: the service never writes one (an
-- unknown applicant is answered 404 and the provider delivers it again), and a redelivery of
-- such an event must be looked at again rather than be ignored as already applied. So rows that
-- still have none after taking their check's organization are removed, and every row now has
-- one: the table is a tenant table like the others.
ALTER TABLE kyc_webhook_events RENAME COLUMN org_id TO organization_id;
UPDATE kyc_webhook_events e SET organization_id = c.organization_id
FROM checks c WHERE e.organization_id IS NULL AND c.id = e.check_id;
DELETE FROM kyc_webhook_events WHERE organization_id IS NULL;
ALTER TABLE kyc_webhook_events ALTER COLUMN organization_id SET NOT NULL;
CREATE INDEX kyc_webhook_events_org ON kyc_webhook_events (organization_id, provider, event_key);

-- The other tables already have an index leading with the column (renamed with it):
-- investors_org, beneficial_owners_key, checks_investor, events/orders/trades/cat_securities'
-- primary keys, alerts_org, sanctions_false_positives_lookup.

SELECT app_enable_tenancy('investors');
SELECT app_enable_tenancy('beneficial_owners');
SELECT app_enable_tenancy('checks');
SELECT app_enable_tenancy('kyc_webhook_events');
SELECT app_enable_tenancy('events');
SELECT app_enable_tenancy('orders');
SELECT app_enable_tenancy('trades');
SELECT app_enable_tenancy('alerts');
SELECT app_enable_tenancy('alert_transitions');
SELECT app_enable_tenancy('cat_securities');
SELECT app_enable_tenancy('sanctions_false_positives');
