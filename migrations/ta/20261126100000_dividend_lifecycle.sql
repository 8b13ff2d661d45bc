-- Dividends may be declared before their record date has closed. Such a dividend is stored
-- `declared`, without figures or entitlements; the dividend job fixes them from the registry
-- as of the record date once that day is over, and sets `entitled`. A dividend whose record
-- date had already closed when it was declared is `entitled` at once (every dividend stored
-- before this migration was).

ALTER TABLE dividends
    ADD COLUMN status      text        NOT NULL DEFAULT 'entitled'
        CHECK (status IN ('declared', 'entitled')),
    ADD COLUMN entitled_at timestamptz,
    ALTER COLUMN shares_of_record   DROP NOT NULL,
    ALTER COLUMN total_declared     DROP NOT NULL,
    ALTER COLUMN total_paid         DROP NOT NULL,
    ALTER COLUMN rounding_remainder DROP NOT NULL;

UPDATE dividends SET entitled_at = created_at;

ALTER TABLE dividends
    ALTER COLUMN status DROP DEFAULT,
    ADD CONSTRAINT dividends_figures_when_entitled CHECK (
        CASE status
            WHEN 'declared' THEN shares_of_record IS NULL AND total_declared IS NULL
                AND total_paid IS NULL AND rounding_remainder IS NULL AND entitled_at IS NULL
            ELSE shares_of_record IS NOT NULL AND total_declared IS NOT NULL
                AND total_paid IS NOT NULL AND rounding_remainder IS NOT NULL
                AND entitled_at IS NOT NULL
        END
    );

-- The job's queue: declared dividends by record date.
CREATE INDEX dividends_declared ON dividends (record_date) WHERE status = 'declared';
