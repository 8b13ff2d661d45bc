-- BD: investors, KYC/accreditation/compliance checks, the ATS's events, surveillance alerts and
-- the CAT scope of securities. Every table carries org_id (the tenant) and every query filters on
-- it. Ids are UUIDv7 rendered with their prefix (inv_, chk_, alr_, evt_, ...) by the service.

CREATE TABLE investors (
    id               uuid        PRIMARY KEY,
    org_id           text        NOT NULL,
    type             text        NOT NULL CHECK (type IN ('individual', 'entity')),
    legal_name       text        NOT NULL,
    email            text        NOT NULL,
    country          text        NOT NULL,
    date_of_birth    date,
    external_ref     text,
    -- Self-reported financial profile for the Reg CF / Reg A investment limits (optional).
    annual_income    numeric,
    net_worth        numeric,
    annual_revenue   numeric,
    net_assets       numeric,
    -- The provider's identity verification (KYC/KYB): none until the first check.
    kyc_status       text        NOT NULL DEFAULT 'none'
                     CHECK (kyc_status IN ('none', 'approved', 'rejected', 'review')),
    -- Our OFAC screening and jurisdiction check.
    sanctions_status text        NOT NULL DEFAULT 'none'
                     CHECK (sanctions_status IN ('none', 'clear', 'hit', 'review')),
    kyc_check_id     uuid,
    -- When the provider's last applied decision was made (webhooks arrive out of order).
    kyc_provider_at  timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    created_by       text        NOT NULL
);

CREATE INDEX investors_org ON investors (org_id, id);
CREATE UNIQUE INDEX investors_external_ref ON investors (org_id, external_ref)
    WHERE external_ref IS NOT NULL;

-- KYB: the natural persons owning 25% or more of an entity.
CREATE TABLE beneficial_owners (
    investor_id       uuid    NOT NULL REFERENCES investors (id),
    position          integer NOT NULL,
    org_id            text    NOT NULL,
    name              text    NOT NULL,
    ownership_percent numeric NOT NULL,
    country           text    NOT NULL,
    date_of_birth     date    NOT NULL,
    -- Identity of the person across entities (normalised name and date of birth): two
    -- investors sharing one is a wash-trade signal.
    owner_key         text    NOT NULL,
    PRIMARY KEY (investor_id, position)
);

CREATE INDEX beneficial_owners_key ON beneficial_owners (org_id, owner_key);

-- Every check the BD makes, kept for audit: kyc, kyc_update (provider webhook),
-- accreditation, pre_trade, settlement.
CREATE TABLE checks (
    id              uuid        PRIMARY KEY,
    org_id          text        NOT NULL,
    kind            text        NOT NULL
                    CHECK (kind IN ('kyc', 'kyc_update', 'accreditation', 'pre_trade', 'settlement')),
    investor_id     uuid,
    status          text        NOT NULL,
    approved        boolean,
    reasons         jsonb       NOT NULL DEFAULT '[]',
    input           jsonb       NOT NULL,
    details         jsonb       NOT NULL DEFAULT '{}',
    -- kyc: the provider and its applicant id (webhooks find the check by them).
    provider        text,
    provider_ref    text,
    parent_id       uuid,
    -- accreditation
    method          text,
    evidence_date   date,
    verified_at     timestamptz,
    expires_at      timestamptz,
    -- pre_trade / settlement
    order_id        uuid,
    settlement_id   uuid,
    created_at      timestamptz NOT NULL,
    created_by      text        NOT NULL,
    created_by_name text        NOT NULL
);

CREATE INDEX checks_investor ON checks (org_id, investor_id, kind, id);
CREATE INDEX checks_provider_ref ON checks (provider, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX checks_order ON checks (org_id, order_id) WHERE order_id IS NOT NULL;

-- Provider webhooks already applied (delivery is at least once).
CREATE TABLE kyc_webhook_events (
    provider    text        NOT NULL,
    event_key   text        NOT NULL,
    org_id      text,
    check_id    uuid,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_key)
);

-- The ATS's events, once each: the primary key is the deduplication.
CREATE TABLE events (
    org_id      text        NOT NULL,
    id          uuid        NOT NULL,
    type        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    asset_id    uuid        NOT NULL,
    order_id    uuid,
    trade_id    uuid,
    -- The Eastern Time date CAT files the event under.
    report_date date        NOT NULL,
    payload     jsonb       NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE INDEX events_report ON events (org_id, report_date, type);

-- The BD's view of each order: what pre-trade approved (regulation, the amount reserved against
-- an investment limit) and the status the order events reported.
CREATE TABLE orders (
    org_id           text        NOT NULL,
    id               uuid        NOT NULL,
    investor_id      uuid        NOT NULL,
    asset_id         uuid        NOT NULL,
    side             text        NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity         numeric     NOT NULL,
    -- 'pending' (approved by pre-trade, no event yet), 'open', 'rejected', 'cancelled',
    -- 'expired'; fills are counted from the trades.
    status           text        NOT NULL,
    regulation       text,
    approved         boolean,
    -- Price per unit used for the amount reserved by an approved buy.
    reserve_price    numeric,
    checked_at       timestamptz,
    last_check_id    uuid,
    order_created_at timestamptz,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE INDEX orders_investor ON orders (org_id, investor_id, regulation, side);
CREATE INDEX orders_asset ON orders (org_id, asset_id, checked_at);

CREATE TABLE trades (
    org_id             text        NOT NULL,
    id                 uuid        NOT NULL,
    seq                bigserial   NOT NULL,
    event_id           uuid        NOT NULL,
    asset_id           uuid        NOT NULL,
    symbol             text,
    price              numeric     NOT NULL,
    quantity           numeric     NOT NULL,
    buy_order_id       uuid        NOT NULL,
    sell_order_id      uuid        NOT NULL,
    buyer_investor_id  uuid        NOT NULL,
    seller_investor_id uuid        NOT NULL,
    executed_at        timestamptz NOT NULL,
    -- Eastern Time trading day (surveillance's "daily volume").
    trade_date         date        NOT NULL,
    settlement_id      uuid,
    -- The regulation of the buy order as pre-trade saw it (investment limits).
    regulation         text,
    PRIMARY KEY (org_id, id)
);

CREATE INDEX trades_asset ON trades (org_id, asset_id, executed_at, seq);
CREATE INDEX trades_buyer ON trades (org_id, buyer_investor_id, regulation, executed_at);
CREATE INDEX trades_buy_order ON trades (org_id, buy_order_id);

CREATE TABLE alerts (
    id           uuid        PRIMARY KEY,
    org_id       text        NOT NULL,
    rule         text        NOT NULL,
    severity     text        NOT NULL,
    status       text        NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'reviewed', 'closed')),
    message      text        NOT NULL,
    trade_id     uuid        NOT NULL,
    asset_id     uuid        NOT NULL,
    investor_ids text[]      NOT NULL,
    details      jsonb       NOT NULL,
    trade_date   date        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE INDEX alerts_org ON alerts (org_id, id);
CREATE INDEX alerts_investors ON alerts USING gin (investor_ids);
CREATE UNIQUE INDEX alerts_once ON alerts (org_id, trade_id, rule, investor_ids);

-- Who moved an alert, when, and why.
CREATE TABLE alert_transitions (
    alert_id    uuid        NOT NULL REFERENCES alerts (id),
    seq         integer     NOT NULL,
    from_status text        NOT NULL,
    to_status   text        NOT NULL,
    note        text        NOT NULL,
    actor       text        NOT NULL,
    actor_name  text        NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

-- Which securities are in CAT's scope (off unless enabled: restricted securities are not).
CREATE TABLE cat_securities (
    org_id         text        NOT NULL,
    asset_id       uuid        NOT NULL,
    symbol         text        NOT NULL,
    cat_reportable boolean     NOT NULL,
    updated_at     timestamptz NOT NULL,
    updated_by     text        NOT NULL,
    PRIMARY KEY (org_id, asset_id)
);
