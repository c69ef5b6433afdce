-- The latest valuation per plate hash and state: the curated vehicle_valuations columns, one row per key.
CREATE TABLE serving.vehicle_valuations_latest (
    plate_sha256           text             NOT NULL,
    state_code             text             NOT NULL,
    requested_at           timestamptz      NOT NULL,
    request_mileage        integer,
    period_days            integer,
    status_code            integer          NOT NULL,
    vehicle                text,
    mileage                integer,
    average_market_price   numeric(12,2),
    standard_deviation     numeric(12,2),
    sample_count           integer,
    statistical_confidence double precision,
    market_price_below     numeric(12,2),
    market_price_average   numeric(12,2),
    market_price_above     numeric(12,2),
    sales_period_start     date,
    sales_period_end       date,
    api_status             text,
    api_message            text,
    requested_date         date             NOT NULL,
    updated_at             timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (plate_sha256, state_code)
);

CREATE INDEX vehicle_valuations_latest_by_state ON serving.vehicle_valuations_latest (state_code, requested_date);
