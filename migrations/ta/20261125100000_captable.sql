-- The transfer agent's register.
--
-- `journal` is the record: every change to the register is one captable `JournalEntry`,
-- appended in a per-organization sequence and never changed. Everything else here is
-- materialised from it (lots, totals, transfers, disposals, cash in lieu) and written in the
-- same transaction as the journal row, or is a computation kept for audit (dividends).
-- Changes are serialised per security by locking its `securities` row (`FOR UPDATE`, in id
-- order when an action touches two).

CREATE TABLE securities (
    id                     uuid        PRIMARY KEY,
    org_id                 text        NOT NULL,
    symbol                 text        NOT NULL,
    name                   text        NOT NULL,
    issuer                 text        NOT NULL,
    issuer_country         text        NOT NULL,
    issuer_formation_date  date,
    security_class         text        NOT NULL CHECK (security_class IN ('common', 'preferred')),
    regulation             text        NOT NULL
        CHECK (regulation IN ('reg_d_506b', 'reg_d_506c', 'reg_a_tier2', 'reg_cf', 'registered')),
    reporting_issuer       boolean     NOT NULL,
    -- As given; NULL means the regulation's default (see the OpenAPI description).
    rule144_holding_months integer     CHECK (rule144_holding_months BETWEEN 0 AND 120),
    lockup_until           date,
    rofr_days              integer     CHECK (rofr_days BETWEEN 1 AND 365),
    -- captable SecurityTotals, updated from each entry's Outcome.
    issued                 numeric     NOT NULL DEFAULT 0,
    redeemed               numeric     NOT NULL DEFAULT 0,
    split_adjustment       numeric     NOT NULL DEFAULT 0,
    converted_in           numeric     NOT NULL DEFAULT 0,
    converted_out          numeric     NOT NULL DEFAULT 0,
    merged_in              numeric     NOT NULL DEFAULT 0,
    merged_out             numeric     NOT NULL DEFAULT 0,
    fractions_cashed       numeric     NOT NULL DEFAULT 0,
    outstanding            numeric     GENERATED ALWAYS AS
        (issued - redeemed + split_adjustment + converted_in - converted_out + merged_in - merged_out) STORED,
    merged_into            uuid        REFERENCES securities (id),
    -- Date of the latest journal entry touching this security (captable refuses older ones).
    last_effective_on      date,
    created_by             text        NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, symbol)
);

CREATE INDEX securities_org ON securities (org_id, id);

-- Per-organization journal sequence: taken last in a transaction (after the security locks),
-- so it is gap-free and in commit order.
CREATE TABLE journal_heads (
    org_id   text   PRIMARY KEY,
    last_seq bigint NOT NULL
);

CREATE TABLE journal (
    org_id       text        NOT NULL,
    seq          bigint      NOT NULL,
    entry_id     text        NOT NULL,
    kind         text        NOT NULL,
    effective_on date        NOT NULL,
    security_ids uuid[]      NOT NULL,
    investor_ids uuid[]      NOT NULL,
    entry        jsonb       NOT NULL,
    outcome      jsonb       NOT NULL,
    recorded_by  text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, seq),
    UNIQUE (org_id, entry_id)
);

CREATE INDEX journal_securities ON journal USING gin (security_ids);
CREATE INDEX journal_investors ON journal USING gin (investor_ids);

CREATE FUNCTION journal_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END
$$;

CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();

-- Current lots, FIFO order per position (`ordinal`).
CREATE TABLE lots (
    org_id               text    NOT NULL,
    security_id          uuid    NOT NULL REFERENCES securities (id),
    investor_id          uuid    NOT NULL,
    ordinal              integer NOT NULL,
    lot_id               text    NOT NULL,
    acquired_at          date    NOT NULL,
    holding_period_start date    NOT NULL,
    quantity             numeric NOT NULL CHECK (quantity > 0),
    cost_basis           numeric NOT NULL CHECK (cost_basis >= 0),
    PRIMARY KEY (security_id, investor_id, ordinal),
    UNIQUE (security_id, lot_id)
);

CREATE INDEX lots_investor ON lots (org_id, investor_id, security_id);

CREATE TABLE transfers (
    id                  uuid        PRIMARY KEY,
    org_id              text        NOT NULL,
    security_id         uuid        NOT NULL REFERENCES securities (id),
    from_investor_id    uuid        NOT NULL,
    to_investor_id      uuid        NOT NULL,
    quantity            numeric     NOT NULL,
    price_per_share     numeric     NOT NULL,
    seller_is_affiliate boolean     NOT NULL DEFAULT false,
    settlement_id       text,
    status              text        NOT NULL CHECK (status IN ('recorded', 'pending_rofr', 'rejected')),
    requested_on        date        NOT NULL,
    recorded_on         date,
    rofr_last_day       date,
    rofr_resolution     text        CHECK (rofr_resolution IN ('waived', 'exercised', 'lapsed')),
    rofr_resolved_on    date,
    -- Why a transfer was rejected: {"code", "rule", "message", ...the rule's fields}.
    reason              jsonb,
    requested_by        text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, settlement_id)
);

CREATE INDEX transfers_org ON transfers (org_id, id);
CREATE INDEX transfers_from ON transfers (org_id, from_investor_id);
CREATE INDEX transfers_to ON transfers (org_id, to_investor_id);
CREATE INDEX transfers_pending ON transfers (rofr_last_day) WHERE status = 'pending_rofr';

CREATE TABLE corporate_actions (
    id                 uuid        PRIMARY KEY,
    org_id             text        NOT NULL,
    type               text        NOT NULL
        CHECK (type IN ('issuance', 'split', 'reverse_split', 'merger', 'conversion', 'redemption')),
    security_id        uuid        NOT NULL REFERENCES securities (id),
    target_security_id uuid        REFERENCES securities (id),
    investor_id        uuid,
    quantity           numeric,
    price_per_share    numeric,
    ratio              text,
    cash_in_lieu_price numeric,
    acquired_at        date,
    effective_on       date        NOT NULL,
    journal_seq        bigint      NOT NULL,
    -- Summary of the outcome: totals after, cash in lieu, lots created.
    result             jsonb       NOT NULL,
    created_by         text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX corporate_actions_org ON corporate_actions (org_id, id);

-- Realised gains, one per lot (or part of a lot) that left a holder: the 1099-B lines.
CREATE TABLE disposals (
    id                       bigserial   PRIMARY KEY,
    org_id                   text        NOT NULL,
    journal_seq              bigint      NOT NULL,
    entry_id                 text        NOT NULL,
    security_id              uuid        NOT NULL REFERENCES securities (id),
    investor_id              uuid        NOT NULL,
    lot_id                   text        NOT NULL,
    acquired_at              date        NOT NULL,
    disposed_on              date        NOT NULL,
    quantity                 numeric     NOT NULL,
    proceeds                 numeric     NOT NULL,
    cost_basis               numeric     NOT NULL,
    gain                     numeric     NOT NULL,
    term                     text        NOT NULL CHECK (term IN ('short', 'long')),
    kind                     text        NOT NULL
        CHECK (kind IN ('transfer', 'redemption', 'rofr_exercise', 'cash_in_lieu')),
    transfer_id              uuid,
    counterparty_investor_id uuid
);

CREATE INDEX disposals_investor ON disposals (org_id, investor_id, disposed_on);

CREATE TABLE cash_in_lieu (
    id                bigserial PRIMARY KEY,
    org_id            text      NOT NULL,
    journal_seq       bigint    NOT NULL,
    entry_id          text      NOT NULL,
    security_id       uuid      NOT NULL REFERENCES securities (id),
    investor_id       uuid      NOT NULL,
    fractional_shares numeric   NOT NULL,
    price_per_share   numeric   NOT NULL,
    amount            numeric   NOT NULL
);

CREATE INDEX cash_in_lieu_entry ON cash_in_lieu (org_id, entry_id);

CREATE TABLE dividends (
    id                 uuid        PRIMARY KEY,
    org_id             text        NOT NULL,
    security_id        uuid        NOT NULL REFERENCES securities (id),
    amount_per_share   numeric     NOT NULL,
    currency           text        NOT NULL,
    record_date        date        NOT NULL,
    payment_date       date        NOT NULL,
    shares_of_record   numeric     NOT NULL,
    total_declared     numeric     NOT NULL,
    total_paid         numeric     NOT NULL,
    rounding_remainder numeric     NOT NULL,
    declared_by        text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dividends_org ON dividends (org_id, id);

CREATE TABLE dividend_payments (
    dividend_id uuid    NOT NULL REFERENCES dividends (id),
    org_id      text    NOT NULL,
    investor_id uuid    NOT NULL,
    quantity    numeric NOT NULL,
    amount      numeric NOT NULL,
    PRIMARY KEY (dividend_id, investor_id)
);

CREATE INDEX dividend_payments_investor ON dividend_payments (org_id, investor_id);
