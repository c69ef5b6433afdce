"""The lake's buckets: names, encryption, policy guards, logging, lifecycle, events and replication."""

from __future__ import annotations

import json
import re

import pytest

from etl.contracts import all_contracts, load_contract
from modules.classification import Classification, contract_datasets, store_classification
from modules.lake import (
    DataLakeProps,
    DatasetExpiry,
    LakeReplication,
    LakeRetention,
    SecureBucket,
    SecureBucketProps,
    dataset_expiries,
)
from modules.lake.props import QUERY_RESULTS_PREFIX
from scripts.report_buckets import bucket_rows, read_stacks, render_markdown
from tests.infra.construct_synth import synth_construct

REF = re.compile(r"^\$\{aws_s3_bucket\.([^.}]+)\.")
RETENTION_BASE = {
    "raw_transition_to_ia_days": 30,
    "raw_transition_to_glacier_days": 90,
    "noncurrent_version_expiry_days": 7,
    "access_log_expiry_days": 90,
}


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _per_bucket(stack, resource_type: str) -> dict[str, dict]:
    return {REF.match(body["bucket"]).group(1): body for body in stack.resources(resource_type).values()}


def _bucket_id(stack, name: str) -> str:
    (logical_id,) = [k for k, body in stack.resources("aws_s3_bucket").items() if body["bucket"] == name]
    return logical_id


def _lake_name(env) -> str:
    return f"northwind-data-lake-{env.name}-{env.account_id}"


def test_the_lake_bucket_has_the_briefs_name_made_unique_by_the_account(stack, environments):
    env = _env(stack, environments)
    names = {body["bucket"] for body in stack.resources("aws_s3_bucket").values()}
    assert _lake_name(env) in names
    assert f"northwind-{env.name}-lake-artifacts-{env.account_id}" in names
    assert f"northwind-{env.name}-access-logs-{env.account_id}" in names


def test_every_data_bucket_uses_sse_kms_with_a_bucket_key_and_only_log_buckets_use_sse_s3(stack):
    rows = bucket_rows(stack.config, "any")
    kms = [row for row in rows if row.sse.startswith("kms:")]
    assert {row.sse for row in kms} <= {"kms:lake", "kms:lake-replica@eu-west-1", "kms:audit"}
    assert all(row.bucket_key for row in kms)
    sse_s3 = [row.bucket for row in rows if not row.sse.startswith("kms:")]
    assert sse_s3 and all("-access-logs-" in name for name in sse_s3)


def test_the_lake_and_artifacts_buckets_encrypt_with_the_stacks_lake_key(stack):
    lake_key = next(k for k, body in stack.resources("aws_kms_key").items() if body["tags"]["purpose"] == "lake")
    encryption = _per_bucket(stack, "aws_s3_bucket_server_side_encryption_configuration")
    for name, body in stack.resources("aws_s3_bucket").items():
        if "-access-logs-" in body["bucket"] or "-audit-" in body["bucket"] or "region" in body:
            continue
        default = encryption[name]["rule"][0]["apply_server_side_encryption_by_default"]
        assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": f"${{aws_kms_key.{lake_key}.arn}}"}


def test_every_bucket_is_versioned_blocks_all_public_access_and_disables_acls(stack):
    buckets = set(stack.resources("aws_s3_bucket"))
    versioning = _per_bucket(stack, "aws_s3_bucket_versioning")
    blocks = _per_bucket(stack, "aws_s3_bucket_public_access_block")
    ownership = _per_bucket(stack, "aws_s3_bucket_ownership_controls")
    assert set(versioning) == set(blocks) == set(ownership) == buckets
    for name in buckets:
        assert versioning[name]["versioning_configuration"]["status"] == "Enabled"
        assert all(
            blocks[name][flag] is True
            for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        )
        assert ownership[name]["rule"]["object_ownership"] == "BucketOwnerEnforced"


def test_every_bucket_policy_denies_plain_http_and_tls_below_1_2(stack):
    policies = _per_bucket(stack, "aws_s3_bucket_policy")
    assert set(policies) == set(stack.resources("aws_s3_bucket"))
    for body in policies.values():
        statements = {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}
        assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
        assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statements["DenyTlsOlderThan1_2"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_kms_buckets_deny_uploads_without_kms_or_with_any_key_but_their_own(stack):
    encryption = _per_bucket(stack, "aws_s3_bucket_server_side_encryption_configuration")
    for name, body in _per_bucket(stack, "aws_s3_bucket_policy").items():
        default = encryption[name]["rule"][0]["apply_server_side_encryption_by_default"]
        if default["sse_algorithm"] != "aws:kms":
            continue
        statements = {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}
        wrong_key = statements["DenyUploadsWithAnotherKey"]
        assert wrong_key["Effect"] == "Deny" and wrong_key["Action"] == ["s3:PutObject"]
        assert wrong_key["Condition"]["StringNotEqualsIfExists"] == {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": default["kms_master_key_id"]
        }
        unencrypted = statements["DenyUploadsNotEncryptedWithKms"]["Condition"]["StringNotEqualsIfExists"]
        assert unencrypted == {"s3:x-amz-server-side-encryption": "aws:kms"}


def test_data_buckets_log_to_an_access_log_bucket_in_their_region_which_admits_only_their_delivery(stack):
    buckets = stack.resources("aws_s3_bucket")
    logging = _per_bucket(stack, "aws_s3_bucket_logging")
    policies = _per_bucket(stack, "aws_s3_bucket_policy")
    data_buckets = {name for name, body in buckets.items() if "-access-logs-" not in body["bucket"]}
    assert set(logging) == data_buckets
    for name, body in logging.items():
        target = REF.match(body["target_bucket"]).group(1)
        assert "-access-logs-" in buckets[target]["bucket"]
        assert buckets[target].get("region") == buckets[name].get("region")
        delivery = next(
            s for s in json.loads(policies[target]["policy"])["Statement"] if s["Sid"] == "AllowServerAccessLogDelivery"
        )
        assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert f"${{aws_s3_bucket.{name}.arn}}" in delivery["Condition"]["ArnLike"]["aws:SourceArn"]


def test_raw_moves_to_cheaper_storage_as_the_environment_says(stack, environments):
    env = _env(stack, environments)
    lifecycle = _per_bucket(stack, "aws_s3_bucket_lifecycle_configuration")[_bucket_id(stack, _lake_name(env))]
    rules = {rule["filter"][0]["prefix"]: rule for rule in lifecycle["rule"]}
    assert rules["raw/"]["transition"] == [
        {"days": env.data_lake.raw_transition_to_ia_days, "storage_class": "STANDARD_IA"},
        {"days": env.data_lake.raw_transition_to_glacier_days, "storage_class": "GLACIER"},
    ]


def _expirations(lifecycle: dict) -> dict[str, int]:
    return {
        rule["filter"][0]["prefix"]: rule["expiration"][0]["days"] for rule in lifecycle["rule"] if "expiration" in rule
    }


def test_each_dataset_expires_per_zone_as_its_contract_says_shortened_only_by_the_environment(stack, environments):
    env = _env(stack, environments)
    lifecycle = _per_bucket(stack, "aws_s3_bucket_lifecycle_configuration")[_bucket_id(stack, _lake_name(env))]
    expirations = _expirations(lifecycle)
    caps = env.data_lake.retention_caps.by_zone()
    for dataset, contract in all_contracts().items():
        for zone in ("raw", "curated", "quarantine"):
            declared = contract.retention.days(zone)
            assert expirations[f"{zone}/{dataset}/"] == min(declared, caps[zone] or declared), (dataset, zone)
    # Nothing else in the lake bucket expires by age but Athena's query results: manifests, watermarks and
    # reports stay.
    others = {prefix for prefix in expirations if prefix.split("/")[1] not in all_contracts()}
    assert others == {QUERY_RESULTS_PREFIX}


def test_production_keeps_each_dataset_exactly_as_long_as_its_contract_says(synthesized, environments):
    prod = synthesized["prod"]
    lifecycles = _per_bucket(prod, "aws_s3_bucket_lifecycle_configuration")
    lake = lifecycles[_bucket_id(prod, _lake_name(environments["prod"]))]
    assert _expirations(lake)["raw/customers/"] == load_contract("customers").retention.raw_days
    assert _expirations(lake)["curated/orders/"] == load_contract("orders").retention.curated_days


def test_quarantine_moves_to_standard_ia_only_when_it_stays_long_enough_to_repay_the_minimum(stack):
    for lifecycle in _per_bucket(stack, "aws_s3_bucket_lifecycle_configuration").values():
        for rule in lifecycle["rule"]:
            prefix = rule["filter"][0]["prefix"]
            if prefix.startswith("quarantine/"):
                assert ("transition" in rule) == (rule["expiration"][0]["days"] >= 60), prefix


def test_the_replica_expires_each_dataset_like_the_lake_because_s3_does_not_replicate_expirations(
    synthesized, environments
):
    prod = synthesized["prod"]
    lifecycles = _per_bucket(prod, "aws_s3_bucket_lifecycle_configuration")
    lake = _expirations(lifecycles[_bucket_id(prod, _lake_name(environments["prod"]))])
    replica_name = f"{_lake_name(environments['prod'])}-{environments['prod'].data_lake.replica_region}"
    lake.pop(QUERY_RESULTS_PREFIX)  # query results are not replicated
    assert _expirations(lifecycles[_bucket_id(prod, replica_name)]) == lake


def test_an_environment_cap_shortens_but_never_lengthens_a_contracts_retention():
    declared = {"orders": {"raw": 730, "curated": 2555, "quarantine": 90}}
    capped = dataset_expiries(declared, {"raw": 90, "curated": None, "quarantine": 365})
    assert {(e.zone, e.days) for e in capped} == {("raw", 90), ("curated", 2555), ("quarantine", 90)}
    with pytest.raises(ValueError, match="no retention for zone"):
        dataset_expiries({"orders": {"raw": 730}}, {})
    with pytest.raises(ValueError, match="one expiry per dataset and zone"):
        LakeRetention(**RETENTION_BASE, dataset_expiries=(DatasetExpiry("raw", "orders", 5),) * 2)


def test_every_bucket_expires_old_versions_and_incomplete_uploads_as_the_environment_says(stack, environments):
    env = _env(stack, environments)
    lifecycles = _per_bucket(stack, "aws_s3_bucket_lifecycle_configuration")
    assert set(lifecycles) == set(stack.resources("aws_s3_bucket"))
    for body in lifecycles.values():
        (bucket_wide,) = [rule for rule in body["rule"] if "noncurrent_version_expiration" in rule]
        assert bucket_wide["filter"] == [{"prefix": ""}]
        assert bucket_wide["noncurrent_version_expiration"] == [
            {"noncurrent_days": env.data_lake.noncurrent_version_expiry_days}
        ]
        assert bucket_wide["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]


def test_access_logs_expire_after_the_environments_retention(stack, environments):
    env = _env(stack, environments)
    lifecycles = _per_bucket(stack, "aws_s3_bucket_lifecycle_configuration")
    for name, body in stack.resources("aws_s3_bucket").items():
        if "-access-logs-" in body["bucket"]:
            expiries = [rule["expiration"] for rule in lifecycles[name]["rule"] if "expiration" in rule]
            assert expiries == [[{"days": env.data_lake.access_log_expiry_days}]]


def test_object_events_of_the_lake_bucket_go_to_eventbridge(stack, environments):
    lake = _bucket_id(stack, _lake_name(_env(stack, environments)))
    notifications = _per_bucket(stack, "aws_s3_bucket_notification")
    assert notifications[lake]["eventbridge"] is True


def test_buckets_lose_their_objects_on_destroy_only_where_the_environment_allows(stack, environments):
    env = _env(stack, environments)
    assert {body["force_destroy"] for body in stack.resources("aws_s3_bucket").values()} == {env.allow_data_destruction}


def test_prod_replicates_raw_and_curated_to_a_replica_with_its_own_key_in_the_replica_region(synthesized, environments):
    prod, env = synthesized["prod"], environments["prod"]
    replication = prod.one("aws_s3_bucket_replication_configuration")
    assert replication["bucket"] == f"${{aws_s3_bucket.{_bucket_id(prod, _lake_name(env))}.id}}"
    replica_name = f"{_lake_name(env)}-{env.data_lake.replica_region}"
    replica_id = _bucket_id(prod, replica_name)
    assert prod.resources("aws_s3_bucket")[replica_id]["region"] == env.data_lake.replica_region
    (replica_key,) = [k for k, body in prod.resources("aws_kms_key").items() if body.get("region")]
    assert prod.resources("aws_kms_key")[replica_key]["region"] == env.data_lake.replica_region
    assert prod.resources("aws_kms_key")[replica_key]["enable_key_rotation"] is True
    assert [rule["filter"]["prefix"] for rule in replication["rule"]] == ["raw/", "curated/"]
    for rule in replication["rule"]:
        assert rule["destination"]["bucket"] == f"${{aws_s3_bucket.{replica_id}.arn}}"
        assert rule["destination"]["encryption_configuration"] == {
            "replica_kms_key_id": f"${{aws_kms_key.{replica_key}.arn}}"
        }
        assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
        assert rule["delete_marker_replication"] == {"status": "Enabled"}


def test_the_replication_role_reads_only_the_critical_zones_and_writes_only_the_replica(synthesized):
    prod = synthesized["prod"]
    (policy,) = [p for p in prod.resources("aws_iam_role_policy").values() if p["name"] == "replicate-critical-zones"]
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert all(r.endswith(("/raw/*", "/curated/*")) for r in statements["ReadSourceVersions"]["Resource"])
    assert all(r.endswith(("/raw/*", "/curated/*")) for r in statements["WriteReplicas"]["Resource"])
    assert statements["EncryptReplicasThroughS3"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.eu-west-1.amazonaws.com"
    }


def test_dev_and_stage_keep_no_replica(synthesized, environments):
    for name in ("dev", "stage"):
        assert not environments[name].data_lake.replicate_critical_zones
        assert synthesized[name].resources("aws_s3_bucket_replication_configuration") == {}
        assert all("region" not in b for b in synthesized[name].resources("aws_s3_bucket").values())


def test_the_lake_is_classified_as_the_most_sensitive_dataset_of_the_contracts(stack, environments):
    expected = store_classification(contract_datasets())
    lake = stack.resources("aws_s3_bucket")[_bucket_id(stack, _lake_name(_env(stack, environments)))]
    assert lake["tags"]["data-classification"] == expected.value


def test_the_bucket_report_is_computed_from_the_synthesized_json(synthesized):
    outdir = next(iter(synthesized.values())).path.parent.parent.parent
    stacks = read_stacks(outdir)
    rows = [row for env, config in stacks.items() for row in bucket_rows(config, env)]
    assert len(rows) == sum(len(s.resources("aws_s3_bucket")) for s in synthesized.values())
    prod_lake = next(row for row in rows if row.bucket == "northwind-data-lake-prod-333333333333")
    assert prod_lake.replicates_to.startswith("raw/→northwind-data-lake-prod-333333333333-eu-west-1")
    assert all(row.versioning and all(row.public_access_blocks) and row.tls_only and row.eventbridge for row in rows)
    markdown = render_markdown(rows)
    assert (
        markdown.count("\n") == len(rows) + 1
        and "| northwind-data-lake-dev-111111111111 | dev | kms:lake |" in markdown
    )


def test_a_log_bucket_admits_another_log_producer_under_its_own_prefix():
    def build(scope):
        logs = SecureBucket(scope, "logs", _log_props())
        logs.grant_log_delivery("AlbAccessLogs", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, "alb/")

    config = synth_construct(build)
    (policy,) = config["resource"]["aws_s3_bucket_policy"].values()
    statement = next(s for s in json.loads(policy["policy"])["Statement"] if s["Sid"] == "AlbAccessLogs")
    assert statement["Action"] == ["s3:PutObject"] and statement["Resource"][0].endswith("/alb/*")


def _log_props(**overrides) -> SecureBucketProps:
    values = {
        "bucket_name": "northwind-test-logs",
        "account_id": "111111111111",
        "classification": Classification.INTERNAL,
        "kms_key_arn": None,
        "noncurrent_version_expiry_days": 7,
        "abort_incomplete_multipart_days": 7,
        "access_log_bucket": None,
        "is_access_log_destination": True,
    } | overrides
    return SecureBucketProps(**values)


def test_a_log_bucket_refuses_a_kms_key_and_a_data_bucket_requires_one():
    with pytest.raises(ValueError, match="access-log destination takes no kms_key_arn"):
        _log_props(kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/x")
    with pytest.raises(ValueError, match="a data bucket needs kms_key_arn and access_log_bucket"):
        _log_props(is_access_log_destination=False)


def test_bucket_names_s3_would_refuse_are_rejected_with_the_rule():
    with pytest.raises(ValueError, match="lower-case letters, digits and single hyphens"):
        _log_props(bucket_name="Northwind_Logs")


def test_retention_refuses_standard_ia_before_30_days_and_glacier_too_soon_after():
    base = {"noncurrent_version_expiry_days": 7, "access_log_expiry_days": 90}
    with pytest.raises(ValueError, match="raw_transition_to_ia_days"):
        LakeRetention(raw_transition_to_ia_days=10, raw_transition_to_glacier_days=90, **base)
    with pytest.raises(ValueError, match="raw_transition_to_glacier_days"):
        LakeRetention(raw_transition_to_ia_days=30, raw_transition_to_glacier_days=45, **base)


def test_replication_refuses_unknown_zones_and_a_key_without_administrators():
    with pytest.raises(ValueError, match=r"LakeReplication\.zones"):
        LakeReplication(
            region="eu-west-1",
            key_admin_role_arns=("arn:aws:iam::1:role/a",),
            break_glass_role_arn="arn:aws:iam::1:role/b",
            zones=("gold",),
        )
    with pytest.raises(ValueError, match="key_admin_role_arns"):
        LakeReplication(region="eu-west-1", key_admin_role_arns=(), break_glass_role_arn="arn:aws:iam::1:role/b")


def _lake_props(**overrides) -> DataLakeProps:
    values = {
        "name_prefix": "northwind-unit",
        "lake_bucket_name": "northwind-data-lake-unit-111111111111",
        "account_id": "111111111111",
        "region": "eu-west-2",
        "lake_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/lake",
        "lake_classification": Classification.RESTRICTED,
        "retention": LakeRetention(**RETENTION_BASE),
    } | overrides
    return DataLakeProps(**values)


def test_a_replica_in_the_lakes_own_region_is_refused():
    replication = LakeReplication(
        region="eu-west-2", key_admin_role_arns=("arn:aws:iam::1:role/a",), break_glass_role_arn="arn:aws:iam::1:role/b"
    )
    with pytest.raises(ValueError, match="must be in another region than eu-west-2"):
        _lake_props(replication=replication)


def test_lake_objects_are_destroyed_only_with_both_switches():
    assert not _lake_props(force_destroy_requested=True).force_destroy
    assert not _lake_props(allow_data_destruction=True).force_destroy
    assert _lake_props(force_destroy_requested=True, allow_data_destruction=True).force_destroy


def test_the_bucket_report_names_an_unreadable_stack_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from scripts.report_buckets import app

    broken = tmp_path / "stacks" / "northwind-dev"
    broken.mkdir(parents=True)
    (broken / "cdk.tf.json").write_text("{not json")
    result = CliRunner().invoke(app, ["--outdir", str(tmp_path)])
    assert result.exit_code == 2
    assert "cdk.tf.json is not valid JSON" in result.output and "make synth" in result.output
    assert "Traceback" not in result.output
