-- A settlement is the intent to move a trade's shares: it carries what the settlement work
-- needs (the asset, the buyer, the seller, the quantity, the price) without reading the trade,
-- and what a seller has sold but not yet settled is summed from the pending intents alone.
SELECT set_config('app.all_organizations', 'on', true);

ALTER TABLE settlements
    ADD COLUMN asset_id           uuid,
    ADD COLUMN buyer_investor_id  uuid,
    ADD COLUMN seller_investor_id uuid,
    ADD COLUMN quantity           numeric,
    ADD COLUMN price              numeric;

UPDATE settlements s
SET asset_id = t.asset_id, buyer_investor_id = t.buyer_investor_id,
    seller_investor_id = t.seller_investor_id, quantity = t.quantity, price = t.price
FROM trades t
WHERE t.organization_id = s.organization_id AND t.id = s.trade_id;

ALTER TABLE settlements
    ALTER COLUMN asset_id SET NOT NULL,
    ALTER COLUMN buyer_investor_id SET NOT NULL,
    ALTER COLUMN seller_investor_id SET NOT NULL,
    ALTER COLUMN quantity SET NOT NULL,
    ALTER COLUMN price SET NOT NULL,
    ADD CONSTRAINT settlements_quantity_check CHECK (quantity > 0);

-- What a seller has sold and not settled, per asset: only the pending intents are indexed.
CREATE INDEX settlements_unsettled_sales
    ON settlements (organization_id, asset_id, seller_investor_id)
    INCLUDE (quantity) WHERE status = 'pending';
