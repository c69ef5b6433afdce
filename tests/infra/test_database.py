"""The serving database, read from the synthesized stacks."""

from __future__ import annotations

import shutil

import pytest
import yaml

from environments import DEFINITIONS_DIR, EnvironmentDefinitionError, load_environments
from modules.classification import store_classification
from modules.database import DatabaseNetwork, DatabaseProps
from modules.platform_stack import SERVED_DATASETS
from scripts.report_serving import database_row


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _parameters(stack) -> dict[str, str]:
    return {p["name"]: p["value"] for p in stack.one("aws_db_parameter_group")["parameter"]}


def _ingress_rules_of(stack, group_name: str) -> list[dict]:
    return [
        rule
        for rule in stack.resources("aws_vpc_security_group_ingress_rule").values()
        if rule["security_group_id"] == f"${{aws_security_group.{group_name}.id}}"
    ]


def _group_name(stack, suffix: str) -> str:
    return next(name for name, g in stack.resources("aws_security_group").items() if g["name"].endswith(suffix))


def test_settings_follow_the_environment_definition(stack, environments):
    env = _env(stack, environments)
    instance = stack.one("aws_db_instance")
    assert instance["engine"] == "postgres" and instance["engine_version"] == env.database.engine_version
    assert instance["instance_class"] == env.database.instance_class
    assert instance["multi_az"] is env.database.multi_az
    assert instance["backup_retention_period"] == env.database.backup_retention_days
    assert instance["deletion_protection"] is env.database.deletion_protection
    assert instance["performance_insights_retention_period"] == env.database.performance_insights_retention_days
    assert instance["monitoring_interval"] == env.database.monitoring_interval_seconds


def test_production_is_multi_az_protected_and_keeps_at_least_14_days(synthesized):
    row = database_row(synthesized["prod"].config)
    assert row.multi_az and row.deletion_protection and row.backup_days >= 14


def test_storage_performance_insights_and_the_master_secret_use_customer_keys(stack):
    keys = {key["tags"]["purpose"]: name for name, key in stack.resources("aws_kms_key").items()}
    instance = stack.one("aws_db_instance")
    database_key = f"${{aws_kms_key.{keys['database']}.arn}}"
    assert instance["storage_encrypted"] is True and instance["kms_key_id"] == database_key
    assert instance["performance_insights_enabled"] is True
    assert instance["performance_insights_kms_key_id"] == database_key
    assert instance["manage_master_user_password"] is True
    assert instance["master_user_secret_kms_key_id"] == f"${{aws_kms_key.{keys['secrets']}.arn}}"
    assert "password" not in instance


def test_the_database_is_private_in_the_isolated_data_subnets(stack):
    instance = stack.one("aws_db_instance")
    assert instance["publicly_accessible"] is False
    data_subnets = {name for name, s in stack.resources("aws_subnet").items() if s["tags"]["tier"] == "data"}
    assert {ref.split(".")[1] for ref in stack.one("aws_db_subnet_group")["subnet_ids"]} == data_subnets


def test_only_the_application_tier_and_glue_jobs_reach_port_5432(stack):
    rules = _ingress_rules_of(stack, _group_name(stack, "-serving-db"))
    sources = sorted(r["referenced_security_group_id"].split(".")[1] for r in rules)
    assert sources == sorted([_group_name(stack, "-analytics-instances"), _group_name(stack, "-serving-glue")])
    assert all(r["from_port"] == r["to_port"] == 5432 and "cidr_ipv4" not in r for r in rules)


def test_connections_require_tls_and_slow_statements_connections_locks_and_ddl_are_logged(stack):
    parameters = _parameters(stack)
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["ssl_min_protocol_version"] == "TLSv1.2"
    assert parameters["log_min_duration_statement"] == "1000"
    assert parameters["log_connections"] == parameters["log_disconnections"] == parameters["log_lock_waits"] == "1"
    assert "pgaudit" in parameters["shared_preload_libraries"]
    assert stack.one("aws_db_parameter_group")["family"] == f"postgres{stack.one('aws_db_instance')['engine_version']}"


def test_every_client_verifies_the_database_against_the_regions_rds_bundle_it_fetches_over_https(stack, environments):
    """The instance presents a certificate from rds-ca-rsa2048-g1; every job that logs in to it (the serving
    bootstrap and load, the erasure) and the analytics instances verify it (verify-full) against the bundle AWS
    publishes for the region, the same URL for all, from the database construct (a bundle of another region does
    not hold this region's CA)."""
    region = _env(stack, environments).region
    bundle = f"https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"
    assert stack.one("aws_db_instance")["ca_cert_identifier"] == "rds-ca-rsa2048-g1"
    jobs = [j for j in stack.resources("aws_glue_job").values() if "--serving_db_host" in j["default_arguments"]]
    assert {j["name"].removeprefix(f"{stack.name}-") for j in jobs} == {"serve", "bootstrap-serving", "erase-customer"}
    assert all(j["default_arguments"]["--serving_db_ca_bundle_url"] == bundle for j in jobs)
    boot_script = stack.one("aws_launch_template")["user_data"]
    assert f"curl -fsS --proto =https -o /etc/northwind-analytics/rds-ca.pem {bundle}" in boot_script
    assert "NORTHWIND_DB_SSLMODE=verify-full" in boot_script


def test_iam_auth_log_exports_minor_upgrades_and_snapshot_tags_are_on(stack):
    instance = stack.one("aws_db_instance")
    assert instance["iam_database_authentication_enabled"] is True
    assert instance["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    assert instance["auto_minor_version_upgrade"] is True and instance["copy_tags_to_snapshot"] is True
    groups = {g["name"] for g in stack.resources("aws_cloudwatch_log_group").values()}
    assert {f"/aws/rds/instance/{instance['identifier']}/{e}" for e in ("postgresql", "upgrade")} <= groups


def test_the_final_snapshot_is_skipped_only_where_the_environment_allows_data_destruction(synthesized):
    dev, prod = synthesized["dev"].one("aws_db_instance"), synthesized["prod"].one("aws_db_instance")
    assert dev["skip_final_snapshot"] is True
    assert prod["skip_final_snapshot"] is False and prod["final_snapshot_identifier"] == "northwind-prod-serving-final"
    assert prod["delete_automated_backups"] is False


def test_the_classification_tag_is_the_most_sensitive_of_the_served_datasets(stack):
    expected = store_classification(SERVED_DATASETS).value
    assert stack.one("aws_db_instance")["tags"]["data-classification"] == expected == "confidential-pii"


def test_enhanced_monitoring_uses_a_role_only_rds_monitoring_can_assume(stack):
    role_ref = stack.one("aws_db_instance")["monitoring_role_arn"]
    role = stack.resources("aws_iam_role")[role_ref.split(".")[1]]
    assert '"monitoring.rds.amazonaws.com"' in role["assume_role_policy"]


def test_glue_jobs_reach_the_database_through_a_network_connection_that_carries_no_credentials(stack):
    connection = stack.one("aws_glue_connection")
    assert connection["connection_type"] == "NETWORK"
    assert "connection_properties" not in connection
    assert connection["physical_connection_requirements"]["security_group_id_list"]


def _props(**changes) -> DatabaseProps:
    values = dict(
        name_prefix="northwind-x",
        account_id="111111111111",
        region="eu-west-2",
        network=DatabaseNetwork("vpc", ("a", "b"), "app-a", "eu-west-2a"),
        engine_version="18",
        instance_class="db.t4g.micro",
        allocated_storage_gib=20,
        max_allocated_storage_gib=100,
        multi_az=False,
        backup_retention_days=7,
        deletion_protection=False,
        performance_insights_retention_days=7,
        monitoring_interval_seconds=60,
        database_kms_key_arn="k1",
        secrets_kms_key_arn="k2",
        logs_kms_key_arn="k3",
        log_retention_days=30,
        data_classification=store_classification(["products"]),
    )
    return DatabaseProps(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"engine_version": "18.3"}, "major version only"),
        ({"backup_retention_days": 0}, "point-in-time recovery"),
        ({"monitoring_interval_seconds": 0}, "monitoring_interval_seconds"),
        ({"max_allocated_storage_gib": 10}, "max_allocated_storage_gib"),
    ],
)
def test_database_props_refuse_unsafe_or_invalid_values_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        _props(**changes)


def test_one_switch_alone_never_skips_the_final_snapshot():
    assert not _props(skip_final_snapshot_requested=True).skip_final_snapshot
    assert not _props(allow_data_destruction=True).skip_final_snapshot
    assert _props(skip_final_snapshot_requested=True, allow_data_destruction=True).skip_final_snapshot


def test_documented_defaults_match_the_code():
    props = _props()
    assert (props.database_name, props.master_username) == ("northwind", "northwind_admin")
    assert (props.skip_final_snapshot_requested, props.allow_data_destruction) == (False, False)


def _load_with(tmp_path, env_name: str, section: str, **values):
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    path = tmp_path / f"{env_name}.yaml"
    data = yaml.safe_load(path.read_text())
    data.setdefault(section, {}).update(values)
    path.write_text(yaml.safe_dump(data))
    return load_environments(tmp_path)


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        (
            "database",
            {"engine_version": "18.3"},
            r"dev\.yaml: database\.engine_version: '18\.3' is not valid: String should match",
        ),
        ("database", {"performance_insights_retention_days": 30}, "use 7, 31 x N"),
        ("database", {"monitoring_interval_seconds": 0}, "use 1, 5, 10, 15, 30 or 60"),
        ("database", {"max_allocated_storage_gib": 30, "allocated_storage_gib": 50}, "is below allocated_storage"),
        (
            "compute",
            {"certificate_domain": "not a name"},
            r"dev\.yaml: compute\.certificate_domain: 'not a name' is not valid: String should match",
        ),
        (
            "alarms",
            {"subscriptions": [{"protocol": "email", "endpoint": "oncall"}]},
            r"dev\.yaml: alarms\.subscriptions\.0: 'oncall' is not an e-mail address",
        ),
        ("alarms", {"subscriptions": []}, r"dev\.yaml: alarms\.subscriptions: Tuple should have at least 1 item"),
    ],
)
def test_serving_settings_rds_would_refuse_are_refused_when_the_definition_loads(tmp_path, section, values, message):
    with pytest.raises(EnvironmentDefinitionError, match=message):
        _load_with(tmp_path, "dev", section, **values)
