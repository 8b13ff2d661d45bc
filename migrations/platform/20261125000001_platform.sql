-- Idempotency-Key store (API.md, Conventions): one row per organization and key.
CREATE TABLE idempotency_keys (
    org_id                text        NOT NULL,
    key                   text        NOT NULL,
    request_hash          bytea       NOT NULL,
    response_status       smallint,
    response_body         bytea,
    response_content_type text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    locked_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
