-- BD: compliance officers' review decisions, investor updates and the per-investor audit
-- history.

-- New kinds of check: kyc_decision and accreditation_decision (an officer decides a check in
-- review; parent_id is the decided check) and investor_update (a PATCH of the investor, with
-- what changed and whether it invalidated the KYC).
ALTER TABLE checks DROP CONSTRAINT checks_kind_check;
ALTER TABLE checks ADD CONSTRAINT checks_kind_check
    CHECK (kind IN ('kyc', 'kyc_update', 'kyc_decision', 'accreditation',
                    'accreditation_decision', 'investor_update', 'pre_trade', 'settlement'));

-- Every investor a check concerns: its investor_id and, for a settlement, the buyer and the
-- seller (a settlement check has no single investor). The per-investor history reads it.
ALTER TABLE checks ADD COLUMN investor_ids uuid[] NOT NULL DEFAULT '{}';

UPDATE checks SET investor_ids = ARRAY[investor_id] WHERE investor_id IS NOT NULL;

UPDATE checks
SET investor_ids = ARRAY(
        SELECT DISTINCT substr(v, 5)::uuid
        FROM unnest(ARRAY[input -> 'request' ->> 'buyer_investor_id',
                          input -> 'request' ->> 'seller_investor_id']) AS v
        WHERE v ~ '^inv_[0-9a-f]{32}$')
WHERE kind = 'settlement';

CREATE INDEX checks_investor_ids ON checks USING gin (investor_ids);
-- The decisions of a check.
CREATE INDEX checks_parent ON checks (org_id, parent_id) WHERE parent_id IS NOT NULL;

-- Sanctions review matches a compliance officer approved as false positives: for one investor,
-- one screened party (its normalised name, date of birth and party type) and one version of the
-- OFAC list, the SDN entries (ent_num) that are not this person. A later KYC run of the same
-- investor that screens the same party against the same list version and finds no other entry
-- keeps the party clear.
CREATE TABLE sanctions_false_positives (
    org_id            text        NOT NULL,
    investor_id       uuid        NOT NULL REFERENCES investors (id),
    decision_check_id uuid        NOT NULL REFERENCES checks (id),
    party_key         text        NOT NULL,
    list_version      text        NOT NULL,
    -- `investor` or `beneficial_owner`, and the name as screened (for people reading it).
    party             text        NOT NULL,
    party_name        text        NOT NULL,
    ent_nums          bigint[]    NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (decision_check_id, party_key)
);

CREATE INDEX sanctions_false_positives_lookup
    ON sanctions_false_positives (org_id, investor_id, list_version);
