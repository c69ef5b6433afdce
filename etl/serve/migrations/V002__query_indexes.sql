-- Indexes for the consumers' queries: by date range, by country and by product. Each primary key already
-- serves lookups on its leading column (sales_date, customer_id, event_date, indicator_date).
CREATE INDEX daily_sales_by_country ON serving.daily_sales (country, sales_date);
CREATE INDEX daily_sales_by_product ON serving.daily_sales (product_id, sales_date);
CREATE INDEX daily_sales_by_category ON serving.daily_sales (category_id, sales_date);
CREATE INDEX customer_lifetime_value_by_country ON serving.customer_lifetime_value (country);
CREATE INDEX market_indicators_beside_sales_by_country
    ON serving.market_indicators_beside_sales (country, indicator_date);
