"""Ad-hoc queries: the analytics Athena workgroup, its enforced settings and scan limit, and its users' access."""

from __future__ import annotations

import json

import pytest

from modules.lake import QUERY_RESULTS_PREFIX
from modules.query import AdHocQueryProps
from scripts.report_catalog import readable_columns

GIB = 1024**3


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _ref(stack, resource_type: str, predicate) -> str:
    (key,) = [k for k, b in stack.resources(resource_type).items() if predicate(b)]
    return key


def _role_arn(stack, suffix: str) -> str:
    return f"${{aws_iam_role.{_ref(stack, 'aws_iam_role', lambda b: b['name'] == f'{stack.name}-{suffix}')}.arn}}"


def _lake_bucket(stack) -> str:
    return _ref(stack, "aws_s3_bucket", lambda b: b["bucket"].startswith("northwind-data-lake-") and "region" not in b)


def test_one_workgroup_whose_clients_cannot_override_results_encryption_or_the_scan_limit(stack, environments):
    env = _env(stack, environments)
    workgroup = stack.one("aws_athena_workgroup")
    configuration = workgroup["configuration"]
    lake_key = _ref(stack, "aws_kms_key", lambda b: b["tags"]["purpose"] == "lake")
    assert workgroup["name"] == f"{stack.name}-analytics"
    assert workgroup["state"] == "ENABLED"
    assert configuration["enforce_workgroup_configuration"] is True
    assert configuration["publish_cloudwatch_metrics_enabled"] is True
    assert configuration["engine_version"] == {"selected_engine_version": "Athena engine version 3"}
    assert (
        configuration["bytes_scanned_cutoff_per_query"] == env.ad_hoc_queries.bytes_scanned_cutoff_per_query_gib * GIB
    )
    assert configuration["result_configuration"] == {
        "output_location": f"s3://${{aws_s3_bucket.{_lake_bucket(stack)}.bucket}}/{QUERY_RESULTS_PREFIX}analytics/",
        "expected_bucket_owner": env.account_id,
        "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": f"${{aws_kms_key.{lake_key}.arn}}"},
    }


def test_scan_limits_grow_from_dev_to_prod(synthesized):
    limits = [
        synthesized[name].one("aws_athena_workgroup")["configuration"]["bytes_scanned_cutoff_per_query"]
        for name in ("dev", "stage", "prod")
    ]
    assert limits == sorted(limits) and len(set(limits)) == 3


def test_query_results_expire_from_the_lake_as_the_environment_says(stack, environments):
    env = _env(stack, environments)
    lake = _lake_bucket(stack)
    (lifecycle,) = [
        b
        for b in stack.resources("aws_s3_bucket_lifecycle_configuration").values()
        if b["bucket"] == f"${{aws_s3_bucket.{lake}.id}}"
    ]
    (rule,) = [r for r in lifecycle["rule"] if r["filter"] == [{"prefix": QUERY_RESULTS_PREFIX}]]
    assert rule["expiration"] == [{"days": env.ad_hoc_queries.results_expiry_days}]


def _statements(stack, role_suffix: str, policy: str) -> dict[str, dict]:
    (body,) = [b for b in stack.resources("aws_iam_role_policy").values() if b["name"] == f"{role_suffix}-{policy}"]
    assert body["role"] == _role_arn(stack, role_suffix).replace(".arn}", ".id}")
    return {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}


def test_analytics_engineers_may_query_in_this_workgroup_only_and_reach_only_its_results(stack):
    statements = _statements(stack, "analytics-engineer", "ad-hoc-queries")
    workgroup = f"${{aws_athena_workgroup.{next(iter(stack.resources('aws_athena_workgroup')))}.arn}}"
    lake = f"${{aws_s3_bucket.{_lake_bucket(stack)}.arn}}"
    assert statements["QueryInTheWorkgroup"]["Resource"] == [workgroup]
    assert "athena:StartQueryExecution" in statements["QueryInTheWorkgroup"]["Action"]
    assert statements["ListQueryResults"]["Condition"] == {
        "StringLike": {"s3:prefix": [f"{QUERY_RESULTS_PREFIX}analytics/*"]}
    }
    assert statements["ReadWriteQueryResults"]["Resource"] == [f"{lake}/{QUERY_RESULTS_PREFIX}analytics/*"]
    assert statements["EncryptQueryResultsThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-2.amazonaws.com"}
    }
    unscoped = {a for s in statements.values() if s["Resource"] == ["*"] for a in s["Action"]}
    assert unscoped == {"athena:ListWorkGroups"}


def test_no_other_role_may_run_athena_queries(stack):
    runners = set()
    for body in stack.resources("aws_iam_role_policy").values():
        for statement in json.loads(body["policy"])["Statement"]:
            if "athena:StartQueryExecution" in statement["Action"]:
                runners.add(body["name"].split("-ad-hoc-queries")[0])
    assert runners == {"analytics-engineer"}


def test_athena_users_get_describe_on_the_default_database_after_lake_formation_takes_over(stack):
    (settings,) = stack.resources("aws_lakeformation_data_lake_settings")
    named = [b for b in stack.resources("aws_lakeformation_permissions").values() if "database" in b]
    assert named == [
        {
            **named[0],
            "principal": _role_arn(stack, "analytics-engineer"),
            "permissions": ["DESCRIBE"],
            "database": {"name": "default"},
            "depends_on": [f"aws_lakeformation_data_lake_settings.{settings}"],
        }
    ]
    # DESCRIBE on a database reads no data: the analyst's columns still come from the tag grants alone.
    assert all(
        zone == "curated" for zone, _, _ in readable_columns(stack.config, _role_arn(stack, "analytics-engineer"))
    )


def _props(**overrides) -> AdHocQueryProps:
    values = {
        "name_prefix": "northwind-unit",
        "account_id": "111111111111",
        "region": "eu-west-2",
        "lake_bucket_name": "lake",
        "lake_bucket_arn": "arn:aws:s3:::lake",
        "lake_kms_key_arn": "arn:aws:kms:eu-west-2:111111111111:key/lake",
        "bytes_scanned_cutoff_per_query": GIB,
        "user_role_arns": ("arn:aws:iam::111111111111:role/analyst",),
    }
    return AdHocQueryProps(**{**values, **overrides})


def test_query_props_refuse_a_limit_below_athenas_minimum_a_bad_workgroup_name_and_no_users():
    with pytest.raises(ValueError, match="below Athena's minimum of 10485760"):
        _props(bytes_scanned_cutoff_per_query=1024)
    with pytest.raises(ValueError, match="'Analytics' must be lower-case"):
        _props(workgroup="Analytics")
    with pytest.raises(ValueError, match="name at least one role"):
        _props(user_role_arns=())
