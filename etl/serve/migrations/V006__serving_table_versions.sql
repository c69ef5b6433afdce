-- Each serving table's version, raised in the same transaction as any change to the table (a load's upsert, an
-- erasure, a correction by hand): the analytics API polls it and drops the responses it keeps in memory once a
-- table they were read from may have changed (docs/adr/0110-analytics-api-response-cache.md).
CREATE TABLE serving.table_versions (
    table_name text PRIMARY KEY,
    version bigint NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- Statement-level: one row update per statement, whatever the rows it touched. One row per table, so a load
-- (one table per transaction) and an erasure (several tables in one) never lock the same rows in opposite order.
CREATE FUNCTION serving.raise_table_version() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO serving.table_versions AS v (table_name, version) VALUES (TG_TABLE_NAME, 1)
    ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1, changed_at = now();
    RETURN NULL;
END
$$;

DO $$
DECLARE
    serving_table record;
BEGIN
    FOR serving_table IN SELECT tablename FROM pg_tables WHERE schemaname = 'serving' AND tablename <> 'table_versions'
    LOOP
        EXECUTE format(
            'CREATE TRIGGER raise_table_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON serving.%I '
            'FOR EACH STATEMENT EXECUTE FUNCTION serving.raise_table_version()',
            serving_table.tablename
        );
        INSERT INTO serving.table_versions (table_name, version) VALUES (serving_table.tablename, 1);
    END LOOP;
END
$$;

-- The load owns the serving schema (V005) and changes its tables, so it raises the versions; the API only reads.
ALTER TABLE serving.table_versions OWNER TO serving_load;
ALTER FUNCTION serving.raise_table_version() OWNER TO serving_load;
GRANT SELECT ON serving.table_versions TO analytics_service;
