-- The serving load's own login: it applies the serving schema's migrations and upserts its tables, nothing else.
-- Applied by the database owner (the RDS master user, through the serving bootstrap job), as V004 was; later
-- migrations that only create or change serving tables are then applied by the load itself.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'serving_load') THEN
        -- No password: on RDS the Glue serving load logs in with IAM tokens only.
        CREATE ROLE serving_load LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
    -- rds_iam exists only on RDS, where membership switches the role's logins to IAM tokens.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO serving_load;
    END IF;
END
$$;

-- The owner may act for the load (default privileges below); on RDS the master user holds ADMIN on the roles it
-- creates, so it may grant itself the membership.
GRANT serving_load TO CURRENT_USER;

-- The schema and its tables belong to the load, so it can alter them in later migrations.
ALTER SCHEMA serving OWNER TO serving_load;
DO $$
DECLARE
    serving_table record;
BEGIN
    FOR serving_table IN SELECT tablename FROM pg_tables WHERE schemaname = 'serving' LOOP
        EXECUTE format('ALTER TABLE serving.%I OWNER TO serving_load', serving_table.tablename);
    END LOOP;
END
$$;
-- The migration record stays the owner's (it lives in public, where the load may create nothing); the load
-- reads it and records the migrations it applies.
GRANT SELECT, INSERT ON schema_migrations TO serving_load;

-- Tables the load creates later stay readable by the analytics API without another grant.
ALTER DEFAULT PRIVILEGES FOR ROLE serving_load IN SCHEMA serving GRANT SELECT ON TABLES TO analytics_service;
