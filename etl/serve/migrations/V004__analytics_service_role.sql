-- The analytics API's login (ADR 0021): read-only on the serving schema. Applied by the database owner.
-- Roles belong to the whole server while migrations are recorded per database, so every step is idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analytics_service') THEN
        -- No password: on RDS the service logs in with IAM tokens only.
        CREATE ROLE analytics_service LOGIN;
    END IF;
    -- rds_iam exists only on RDS, where membership switches the role's logins to IAM tokens.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO analytics_service;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA serving TO analytics_service;
GRANT SELECT ON ALL TABLES IN SCHEMA serving TO analytics_service;
-- Tables later migrations create (as the same owner) are readable without another grant.
ALTER DEFAULT PRIVILEGES IN SCHEMA serving GRANT SELECT ON TABLES TO analytics_service;
