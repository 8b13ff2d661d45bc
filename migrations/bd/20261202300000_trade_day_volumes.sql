-- Each asset's volume per (Eastern Time) trading day, kept as trades are recorded, so the
-- concentration rule reads the day's total and the parties' parts by key instead of summing
-- every trade of the day for every batch of events (which grew with the day's trading).
-- A trade counts once in its day's total and once for each party (once when the buyer is the
-- seller), as compliance::surveillance::DayVolume counts it.
CREATE TABLE trade_days (
    organization_id text    NOT NULL,
    asset_id        uuid    NOT NULL,
    trade_date      date    NOT NULL,
    trades          bigint  NOT NULL,
    total           numeric NOT NULL,
    PRIMARY KEY (organization_id, asset_id, trade_date)
);

CREATE TABLE trade_day_investors (
    organization_id text    NOT NULL,
    asset_id        uuid    NOT NULL,
    trade_date      date    NOT NULL,
    investor_id     uuid    NOT NULL,
    volume          numeric NOT NULL,
    PRIMARY KEY (organization_id, asset_id, trade_date, investor_id)
);

SELECT app_enable_tenancy('trade_days');
SELECT app_enable_tenancy('trade_day_investors');

-- The days recorded before this migration, every organization's: the migration's transaction
-- takes the one path across organizations (local to it).
SELECT set_config('app.all_organizations', 'on', true);
INSERT INTO trade_days (organization_id, asset_id, trade_date, trades, total)
SELECT organization_id, asset_id, trade_date, count(*), sum(quantity)
FROM trades GROUP BY organization_id, asset_id, trade_date;

INSERT INTO trade_day_investors (organization_id, asset_id, trade_date, investor_id, volume)
SELECT organization_id, asset_id, trade_date, investor, sum(quantity)
FROM (
    SELECT organization_id, asset_id, trade_date, buyer_investor_id AS investor, quantity
    FROM trades
    UNION ALL
    SELECT organization_id, asset_id, trade_date, seller_investor_id, quantity
    FROM trades WHERE seller_investor_id <> buyer_investor_id
) parts
GROUP BY organization_id, asset_id, trade_date, investor;
