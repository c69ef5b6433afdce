"""Lake Formation: administrators, LF-tags from the classifications, the registered lake, tag-based grants."""

from __future__ import annotations

import pytest

from etl.lake import ZONES
from modules.classification import SENSITIVITY_ORDER, Classification
from modules.governance import GovernanceProps, TagGrant


def _role_refs(stack) -> dict[str, str]:
    """Role name suffix (persona or service) -> the role's ARN reference."""
    return {
        body["name"].removeprefix(f"{stack.name}-"): f"${{aws_iam_role.{k}.arn}}"
        for k, body in stack.resources("aws_iam_role").items()
    }


def _tag_key_names(stack) -> dict[str, str]:
    return {
        f"${{aws_lakeformation_lf_tag.{k}.key}}": b["key"]
        for k, b in stack.resources("aws_lakeformation_lf_tag").items()
    }


def _grants(stack) -> dict[tuple[str, str], dict]:
    """(principal role suffix, DATABASE|TABLE) -> {"permissions": [...], "tags": {key: values}}."""
    roles = {ref: name for name, ref in _role_refs(stack).items()}
    keys = _tag_key_names(stack)
    grants = {}
    for body in stack.resources("aws_lakeformation_permissions").values():
        if "lf_tag_policy" not in body:
            continue
        policy = body["lf_tag_policy"]
        tags = {keys[e["key"]]: set(e["values"]) for e in policy["expression"]}
        grants[(roles[body["principal"]], policy["resource_type"])] = {
            "permissions": set(body["permissions"]),
            "tags": tags,
        }
    return grants


def test_the_administrators_are_the_deploy_role_and_the_governance_persona_only(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    settings = stack.one("aws_lakeformation_data_lake_settings")
    assert settings["admins"] == [env.deploy_role_arn, _role_refs(stack)["governance-security"]]


def test_new_databases_and_tables_get_no_iam_only_default_permissions(stack):
    settings = stack.one("aws_lakeformation_data_lake_settings")
    assert "create_database_default_permissions" not in settings
    assert "create_table_default_permissions" not in settings


def test_lf_tags_hold_the_classifications_in_sensitivity_order_and_the_zones(stack):
    tags = {body["key"]: body["values"] for body in stack.resources("aws_lakeformation_lf_tag").values()}
    assert tags == {"data-classification": [c.value for c in SENSITIVITY_ORDER], "zone": list(ZONES)}


def test_the_lake_bucket_is_registered_with_its_access_role_and_no_hybrid_mode(stack):
    location = stack.one("aws_lakeformation_resource")
    lake = next(
        k
        for k, b in stack.resources("aws_s3_bucket").items()
        if b["bucket"].startswith("northwind-data-lake-") and "region" not in b
    )
    assert location["arn"] == f"${{aws_s3_bucket.{lake}.arn}}"
    assert location["role_arn"] == _role_refs(stack)["lake-formation-access"]
    assert location["hybrid_access_enabled"] is False


def test_only_the_pipeline_and_data_engineers_may_point_tables_into_the_lake(stack):
    roles = {ref: name for name, ref in _role_refs(stack).items()}
    holders = {
        roles[body["principal"]]
        for body in stack.resources("aws_lakeformation_permissions").values()
        if body["permissions"] == ["DATA_LOCATION_ACCESS"]
    }
    assert holders == {"glue-jobs", "data-engineer"}


def test_every_grant_covers_databases_by_zone_and_tables_by_zone_and_classification(stack):
    grants = _grants(stack)
    principals = {principal for principal, _ in grants}
    for principal in principals:
        assert set(grants[(principal, "DATABASE")]["tags"]) == {"zone"}
        assert set(grants[(principal, "TABLE")]["tags"]) == {"zone", "data-classification"}
        assert grants[(principal, "DATABASE")]["tags"]["zone"] == grants[(principal, "TABLE")]["tags"]["zone"]


def test_raw_data_is_readable_only_by_the_pipeline_and_data_engineers(stack):
    readers = {
        p
        for (p, kind), g in _grants(stack).items()
        if kind == "TABLE" and "raw" in g["tags"]["zone"] and "SELECT" in g["permissions"]
    }
    assert readers == {"glue-jobs", "data-engineer"}


def test_analytics_engineers_the_analytics_service_and_application_engineers_never_read_pii(stack):
    grants = _grants(stack)
    zones = {
        "analytics-instances": {"curated"},
        "application-engineer": {"curated"},
        "analytics-engineer": {"curated", "reports"},
    }
    for principal, readable_zones in zones.items():
        table = grants[(principal, "TABLE")]
        assert Classification.CONFIDENTIAL_PII.value not in table["tags"]["data-classification"]
        assert table["tags"]["zone"] == readable_zones
        assert table["permissions"] == {"SELECT", "DESCRIBE"}


def test_analytics_engineers_read_curated_and_reports_and_operations_see_metadata_only(stack):
    grants = _grants(stack)
    assert grants[("analytics-engineer", "TABLE")]["tags"]["zone"] == {"curated", "reports"}
    assert grants[("devops-sre", "TABLE")]["permissions"] == {"DESCRIBE"}
    assert ("governance-security", "TABLE") not in grants  # an administrator needs no grant


def test_a_grant_refuses_unknown_zones_all_and_unknown_permissions():
    arn = "arn:aws:iam::111111111111:role/x"
    with pytest.raises(ValueError, match=r"TagGrant\.zones"):
        TagGrant(arn, ("gold",), SENSITIVITY_ORDER, ("SELECT",))
    with pytest.raises(ValueError, match="list the permissions instead of ALL"):
        TagGrant(arn, ("raw",), SENSITIVITY_ORDER, ("ALL",))
    with pytest.raises(ValueError, match=r"TagGrant\.database_permissions"):
        TagGrant(arn, ("raw",), SENSITIVITY_ORDER, ("SELECT",), ("SELECT",))
    with pytest.raises(ValueError, match="at least one classification"):
        TagGrant(arn, ("raw",), (), ("SELECT",))


def test_lake_formation_needs_an_administrator():
    with pytest.raises(ValueError, match="at least one administrator"):
        GovernanceProps(admin_arns=(), lake_bucket_arn="b", lake_access_role_arn="r", grants={})
