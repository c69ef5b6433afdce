-- The serving tables the BI tools and the API read. Each is a full aggregate of the curated zone, kept in step
-- by idempotent upserts; updated_at says when a row last changed.
CREATE SCHEMA IF NOT EXISTS serving;

CREATE TABLE serving.daily_sales (
    sales_date      date          NOT NULL,
    product_id      integer       NOT NULL,
    country         text          NOT NULL,
    product_name    text,
    category_id     integer,
    category_name   text,
    orders          bigint        NOT NULL,
    units           bigint        NOT NULL,
    gross_revenue   numeric(18,2) NOT NULL,
    discount_amount numeric(18,2) NOT NULL,
    net_revenue     numeric(18,2) NOT NULL,
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (sales_date, product_id, country)
);

CREATE TABLE serving.customer_lifetime_value (
    customer_id         text          PRIMARY KEY,
    country             text,
    first_order_date    date          NOT NULL,
    last_order_date     date          NOT NULL,
    orders              bigint        NOT NULL,
    units               bigint        NOT NULL,
    lifetime_revenue    numeric(18,2) NOT NULL,
    average_order_value numeric(18,2) NOT NULL,
    updated_at          timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE serving.clickstream_funnel_daily (
    event_date            date         PRIMARY KEY,
    sessions              bigint       NOT NULL,
    page_view_sessions    bigint       NOT NULL,
    product_view_sessions bigint       NOT NULL,
    add_to_cart_sessions  bigint       NOT NULL,
    checkout_sessions     bigint       NOT NULL,
    purchase_sessions     bigint       NOT NULL,
    events                bigint       NOT NULL,
    conversion_rate       numeric(9,6) NOT NULL,
    updated_at            timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE serving.market_indicators_beside_sales (
    indicator_date      date          NOT NULL,
    country             text          NOT NULL,
    orders              bigint        NOT NULL,
    net_revenue         numeric(18,2) NOT NULL,
    consumer_confidence numeric(18,6),
    freight_index       numeric(18,6),
    fx_usd              numeric(18,6),
    retail_sales_index  numeric(18,6),
    updated_at          timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_date, country)
);
