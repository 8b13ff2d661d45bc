-- ATS: the assets listed for trading and their books, orders, trades, the queue of settlement
-- intents, and the outbox of events for the BD. Every table is a tenant table under the
-- row-level security policy of migrations/platform/20261202000001_tenancy.sql.

-- A TA security listed for trading in one organization (its id is the TA's ast_ id).
CREATE TABLE assets (
    organization_id text        NOT NULL,
    id              uuid        NOT NULL,
    symbol          text        NOT NULL,
    name            text        NOT NULL,
    -- As the TA gave it when the asset was listed; the BD's pre-trade check needs it.
    regulation      text        NOT NULL
                    CHECK (regulation IN ('reg_d_506b', 'reg_d_506c', 'reg_a_tier2', 'reg_cf', 'registered')),
    tick_size       numeric     NOT NULL CHECK (tick_size > 0),
    lot_size        numeric     NOT NULL CHECK (lot_size > 0),
    trading_enabled boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    created_by      text        NOT NULL,
    PRIMARY KEY (organization_id, id)
);

-- One book per (organization, asset). The row is the book's lock: whoever matches holds it
-- (FOR UPDATE), so two replicas never match one book at once. `version` counts committed
-- changes; a replica whose book in memory is at another version rebuilds it from the open
-- orders. `next_seq` and `last_trade_ticks` are the engine's state beyond the orders.
CREATE TABLE books (
    organization_id  text        NOT NULL,
    asset_id         uuid        NOT NULL,
    version          bigint      NOT NULL DEFAULT 0,
    next_seq         bigint      NOT NULL DEFAULT 1 CHECK (next_seq > 0),
    last_trade_ticks bigint,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, asset_id),
    FOREIGN KEY (organization_id, asset_id) REFERENCES assets (organization_id, id)
);

CREATE TABLE orders (
    organization_id    text        NOT NULL,
    id                 uuid        NOT NULL,
    asset_id           uuid        NOT NULL,
    investor_id        uuid        NOT NULL,
    side               text        NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type         text        NOT NULL CHECK (order_type IN ('market', 'limit', 'stop', 'stop_limit')),
    time_in_force      text        NOT NULL CHECK (time_in_force IN ('gtc', 'day', 'ioc', 'fok')),
    quantity           numeric     NOT NULL CHECK (quantity > 0),
    filled_quantity    numeric     NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    -- What is still working on the book (0 once the order is done).
    remaining_quantity numeric     NOT NULL CHECK (remaining_quantity >= 0),
    -- What was cancelled or expired.
    cancelled_quantity numeric     NOT NULL DEFAULT 0 CHECK (cancelled_quantity >= 0),
    -- Sum of price × quantity of the fills, for the average fill price.
    filled_notional    numeric     NOT NULL DEFAULT 0,
    price              numeric,
    stop_price         numeric,
    status             text        NOT NULL
                       CHECK (status IN ('new', 'pending_compliance', 'open', 'partially_filled',
                                         'filled', 'settling', 'settled', 'rejected', 'cancelled',
                                         'settlement_failed', 'reversed')),
    reject_reason      text,
    -- requested, self_trade, no_liquidity, immediate_or_cancel, fill_or_kill, expired.
    cancel_reason      text,
    client_order_id    text,
    -- The engine's time priority (its last accepted, triggered or moved seq).
    arrival_seq        bigint,
    -- A stop that a trade triggered (it rests as a limit, or traded as a market order).
    triggered          boolean     NOT NULL DEFAULT false,
    -- DAY orders: the end of the trading day they belong to.
    expires_at         timestamptz,
    -- The BD's pre-trade check (chk_), kept for audit.
    check_id           uuid,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    created_by         text        NOT NULL,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, asset_id) REFERENCES assets (organization_id, id),
    CHECK (quantity = filled_quantity + remaining_quantity + cancelled_quantity
           OR status IN ('new', 'pending_compliance', 'rejected'))
);

CREATE INDEX orders_organization ON orders (organization_id);
CREATE INDEX orders_status ON orders (organization_id, status);
CREATE INDEX orders_investor ON orders (organization_id, investor_id);
-- Rebuilding a book, and the quantity an investor's open sells commit.
CREATE INDEX orders_working ON orders (organization_id, asset_id, investor_id)
    WHERE status IN ('open', 'partially_filled');
CREATE INDEX orders_day_expiry ON orders (expires_at)
    WHERE status IN ('open', 'partially_filled') AND expires_at IS NOT NULL;
CREATE INDEX orders_pending ON orders (created_at) WHERE status IN ('new', 'pending_compliance');
CREATE UNIQUE INDEX orders_client_order_id ON orders (organization_id, investor_id, client_order_id)
    WHERE client_order_id IS NOT NULL;

CREATE TABLE trades (
    organization_id    text        NOT NULL,
    id                 uuid        NOT NULL,
    asset_id           uuid        NOT NULL,
    price              numeric     NOT NULL CHECK (price > 0),
    quantity           numeric     NOT NULL CHECK (quantity > 0),
    buy_order_id       uuid        NOT NULL,
    sell_order_id      uuid        NOT NULL,
    buyer_investor_id  uuid        NOT NULL,
    seller_investor_id uuid        NOT NULL,
    -- Which side arrived (took liquidity).
    aggressor_side     text        NOT NULL CHECK (aggressor_side IN ('buy', 'sell')),
    executed_at        timestamptz NOT NULL,
    settlement_id      uuid        NOT NULL,
    -- The book's version the trade was made at.
    book_version       bigint      NOT NULL,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, buy_order_id) REFERENCES orders (organization_id, id),
    FOREIGN KEY (organization_id, sell_order_id) REFERENCES orders (organization_id, id)
);

CREATE INDEX trades_asset ON trades (organization_id, asset_id, id);
CREATE INDEX trades_buy_order ON trades (organization_id, buy_order_id);
CREATE INDEX trades_sell_order ON trades (organization_id, sell_order_id);

-- The queue of settlement intents: one per trade, `pending` until the settlement work (MPC
-- signature, chain record, BD approval, TA transfer, token mint/burn) completes it.
CREATE TABLE settlements (
    organization_id text        NOT NULL,
    id              uuid        NOT NULL,
    trade_id        uuid        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'settled', 'failed', 'reversed')),
    -- The last step completed; none yet.
    step            text,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    tx_hash         text,
    transfer_id     uuid,
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    settled_at      timestamptz,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, trade_id),
    FOREIGN KEY (organization_id, trade_id) REFERENCES trades (organization_id, id)
);

CREATE INDEX settlements_status ON settlements (organization_id, status);
CREATE INDEX settlements_due ON settlements (next_attempt_at) WHERE status = 'pending';

-- Events for the BD, written in the transaction of the change they report, delivered at least
-- once and in order per book (`position` orders them within a stream).
CREATE TABLE outbox (
    organization_id text        NOT NULL,
    id              uuid        NOT NULL,
    asset_id        uuid        NOT NULL,
    position        bigint      GENERATED ALWAYS AS IDENTITY,
    type            text        NOT NULL
                    CHECK (type IN ('order.accepted', 'order.rejected', 'order.cancelled',
                                    'order.expired', 'trade.executed')),
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id)
);

CREATE INDEX outbox_undelivered ON outbox (organization_id, asset_id, position)
    WHERE delivered_at IS NULL;

-- One row per book's stream of events: a dispatcher holds it (FOR UPDATE SKIP LOCKED) while it
-- delivers the stream, so replicas share the streams and none is delivered out of order.
CREATE TABLE outbox_streams (
    organization_id text NOT NULL,
    asset_id        uuid NOT NULL,
    PRIMARY KEY (organization_id, asset_id)
);

SELECT app_enable_tenancy('assets');
SELECT app_enable_tenancy('books');
SELECT app_enable_tenancy('orders');
SELECT app_enable_tenancy('trades');
SELECT app_enable_tenancy('settlements');
SELECT app_enable_tenancy('outbox');
SELECT app_enable_tenancy('outbox_streams');
