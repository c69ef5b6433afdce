"""Persona and service roles, and least privilege over every policy of every synthesized stack."""

from __future__ import annotations

import json
import re

import pytest

from modules.backup import BACKUP_SERVICE_POLICIES
from modules.identity import SERVICE_PRINCIPALS, Identity, IdentityProps, Persona, ServiceRole
from modules.lake import QUERY_RESULTS_PREFIX
from modules.policy import Statement
from tests.infra.construct_synth import synth_construct

# Services whose data a wildcard resource would expose.
DATA_SERVICES = {"s3", "glue", "secretsmanager", "kms", "rds-db", "dynamodb"}
# Where Resource "*" is not a wildcard over data, and why.
STAR_RESOURCE_EXCEPTIONS = {
    "aws_kms_key": "In a key policy, Resource '*' means the key the policy is attached to, nothing else.",
    "aws_kms_key_policy": "As for aws_kms_key: a key policy's '*' is the key itself.",
}
# AWS-managed policies a role may hold instead of an inline policy, and why.
MANAGED_POLICY_EXCEPTIONS = {
    **{
        arn: "AWS Backup's service role: AWS maintains these per resource type (RDS snapshots, S3 backups and their "
        "EventBridge rules); the role is assumable only by backup.amazonaws.com."
        for arn in BACKUP_SERVICE_POLICIES
    },
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": (
        "RDS enhanced monitoring: the role only lets the RDS monitoring service write OS metrics to its own "
        "RDSOSMetrics log group; it is assumable only by monitoring.rds.amazonaws.com."
    ),
}
UNSCOPED_ARN = re.compile(r"^arn:aws:[a-z0-9-]+:[^:]*:[^:]*:\*$|^arn:aws:s3:::\*$")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_violations(resource_type: str, address: str, document: dict) -> list[str]:
    """Allows with a wildcard action, NotAction/NotResource, or an unscoped resource for a data service."""
    found = []
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        where = f"{address} ({statement.get('Sid', 'no sid')})"
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{where}: Allow with NotAction/NotResource")
        actions = [a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
        found += [f"{where}: wildcard action {a}" for a in actions if a == "*" or a.endswith(":*")]
        resources = _as_list(statement.get("Resource", []))
        unscoped = [r for r in resources if r == "*" or UNSCOPED_ARN.match(str(r))]
        data_actions = sorted(a for a in actions if a.split(":")[0].lower() in DATA_SERVICES)
        if unscoped and data_actions and resource_type not in STAR_RESOURCE_EXCEPTIONS:
            found.append(f"{where}: {', '.join(data_actions)} on unscoped {unscoped}")
    return found


def policy_documents(stack):
    """(resource type, address, parsed document) for every policy held by any resource or data source."""
    for resource_type, name, body in stack.all_resources():
        for attribute in ("policy", "assume_role_policy", "policy_document"):
            if attribute in body:
                yield resource_type, f"{resource_type}.{name}.{attribute}", _parse(body[attribute], resource_type, name)
        for index, inline in enumerate(body.get("inline_policy", [])):
            yield (
                resource_type,
                f"{resource_type}.{name}.inline_policy[{index}]",
                _parse(inline["policy"], resource_type, name),
            )
    for name, body in stack.config.get("data", {}).get("aws_iam_policy_document", {}).items():
        statements = [
            {
                "Sid": s.get("sid"),
                "Effect": s.get("effect", "Allow"),
                "Action": s.get("actions", []),
                "Resource": s.get("resources", []),
                **({"NotAction": s["not_actions"]} if "not_actions" in s else {}),
            }
            for s in body.get("statement", [])
        ]
        yield "aws_iam_policy_document", f"data.aws_iam_policy_document.{name}", {"Statement": statements}


def _parse(value: str, resource_type: str, name: str) -> dict:
    if value.startswith("${data.aws_iam_policy_document."):
        return {}  # the data source itself is read and judged
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        pytest.fail(f"{resource_type}.{name}: policy is not a readable JSON document: {value[:80]}")


def test_no_policy_in_any_stack_allows_wildcard_actions_or_unscoped_data_resources(stack):
    documents = list(policy_documents(stack))
    assert len(documents) > 20
    violations = [
        v for resource_type, address, doc in documents for v in policy_violations(resource_type, address, doc)
    ]
    assert violations == []


def test_roles_hold_no_managed_policy_outside_the_reasoned_exceptions(stack):
    attached = {body["policy_arn"] for body in stack.resources("aws_iam_role_policy_attachment").values()}
    in_stack = {a for a in attached if a.startswith("${aws_iam_policy.")}
    assert attached - in_stack <= set(MANAGED_POLICY_EXCEPTIONS)
    assert all(len(reason) > 40 for reason in {**MANAGED_POLICY_EXCEPTIONS, **STAR_RESOURCE_EXCEPTIONS}.values())


def test_the_checker_catches_each_kind_of_excess():
    def statements(*items: dict) -> dict:
        return {"Statement": list(items)}

    star = statements({"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"})
    service_star = statements({"Sid": "B", "Effect": "Allow", "Action": ["glue:*"], "Resource": ["arn:x"]})
    unscoped = statements({"Sid": "C", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"})
    unscoped_arn = statements(
        {"Sid": "D", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "arn:aws:kms:eu-west-2:1:*"}
    )
    not_action = statements({"Sid": "E", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})
    for document in (star, service_star, unscoped, unscoped_arn, not_action):
        assert policy_violations("aws_iam_role_policy", "x", document)


def test_the_checker_accepts_denies_key_policies_and_unscoped_non_data_actions():
    deny = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    key_policy = {"Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}]}
    metrics = {"Statement": [{"Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": "*"}]}
    assert policy_violations("aws_s3_bucket_policy", "x", deny) == []
    assert policy_violations("aws_kms_key", "x", key_policy) == []
    assert policy_violations("aws_iam_role_policy", "x", metrics) == []


def _roles(stack) -> dict[str, dict]:
    return {body["name"].removeprefix(f"{stack.name}-"): body for body in stack.resources("aws_iam_role").values()}


def _role_policy(stack, role_suffix: str) -> dict[str, dict]:
    role_id = next(k for k, b in stack.resources("aws_iam_role").items() if b["name"] == f"{stack.name}-{role_suffix}")
    statements = {}
    for body in stack.resources("aws_iam_role_policy").values():
        if body["role"] == f"${{aws_iam_role.{role_id}.id}}":
            statements |= {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}
    return statements


def test_every_persona_and_service_has_a_role(stack):
    assert {p.value for p in Persona} | {s.value for s in ServiceRole} <= set(_roles(stack))


def test_service_roles_trust_only_their_service(stack):
    roles = _roles(stack)
    for service, principal in SERVICE_PRINCIPALS.items():
        (statement,) = json.loads(roles[service.value]["assume_role_policy"])["Statement"]
        assert statement["Principal"] == {"Service": principal}


def test_the_instance_role_reads_only_curated_objects_and_publishes_only_its_namespace(stack):
    statements = _role_policy(stack, "analytics-instances")
    assert statements["ReadPiiFreeCurated"]["Action"] == ["s3:GetObject"]
    assert all("/curated/" in r for r in statements["ReadPiiFreeCurated"]["Resource"])
    assert statements["PublishServiceMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Northwind/AnalyticsService"}
    }
    s3_actions = {a for s in statements.values() for a in s["Action"] if a.startswith("s3:")}
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}


def test_the_instance_profile_carries_the_instance_role(stack):
    profile = stack.one("aws_iam_instance_profile")
    role_id = next(
        k for k, b in stack.resources("aws_iam_role").items() if b["name"] == f"{stack.name}-analytics-instances"
    )
    assert profile["role"] == f"${{aws_iam_role.{role_id}.name}}"


def test_no_persona_reaches_lake_data_through_iam_lake_formation_vends_that_access(stack):
    lake = next(
        k for k, b in stack.resources("aws_s3_bucket").items() if b["bucket"].startswith("northwind-data-lake-")
    )
    objects = f"${{aws_s3_bucket.{lake}.arn}}/"
    # Query results and erasure requests are the exceptions: no catalog table describes them, so Lake Formation
    # cannot govern them, and IAM scopes each to its prefix.
    results = {
        Persona.ANALYTICS_ENGINEER: [f"{objects}{QUERY_RESULTS_PREFIX}analytics/*"],
        Persona.GOVERNANCE_SECURITY: [f"{objects}reports/erasure/requests/*", f"{objects}reports/erasure/*"],
    }
    for persona in Persona:
        statements = _role_policy(stack, persona.value).values()
        reached = [r for s in statements for r in s["Resource"] if r.startswith(objects)]
        assert reached == results.get(persona, [])
        assert any(s["Action"] == ["lakeformation:GetDataAccess"] for s in statements) is (
            persona not in (Persona.GOVERNANCE_SECURITY, Persona.DEVOPS_SRE)
        )


def _props() -> IdentityProps:
    return IdentityProps(
        name_prefix="northwind-unit",
        account_id="111111111111",
        region="eu-west-2",
        lake_bucket_arn="arn:aws:s3:::lake",
        artifacts_bucket_arn="arn:aws:s3:::artifacts",
        lake_kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/lake",
        secrets_kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/secrets",
        pipelines_kms_key_arn="arn:aws:kms:eu-west-2:111111111111:key/pipelines",
        zone_database_names={z: f"northwind_unit_{z}" for z in ("raw", "curated", "quarantine", "reports")},
        deploy_role_arn="arn:aws:iam::111111111111:role/deploy",
        saml_provider_arn="arn:aws:iam::111111111111:saml-provider/northwind-workforce",
        session_instance_group="northwind-unit-analytics",
    )


def test_other_capabilities_add_secret_log_and_custom_grants_to_the_instance_role():
    secret = "arn:aws:secretsmanager:eu-west-2:111111111111:secret:rds!db-1"
    log_group = "arn:aws:logs:eu-west-2:111111111111:log-group:/northwind/unit/app"

    def build(scope):
        identity = Identity(scope, "identity", _props())
        identity.grant_secret_read(ServiceRole.ANALYTICS_INSTANCES, "database-secret", secret, "arn:aws:kms:k")
        identity.grant_log_write(ServiceRole.ANALYTICS_INSTANCES, "service-logs", log_group)
        identity.add_policy(
            ServiceRole.ANALYTICS_INSTANCES, "extra", [Statement("DescribeTags", ("ec2:DescribeTags",))]
        )

    policies = {
        b["name"]: json.loads(b["policy"]) for b in synth_construct(build)["resource"]["aws_iam_role_policy"].values()
    }
    secret_read = policies["analytics-instances-database-secret"]["Statement"]
    assert secret_read[0]["Resource"] == [secret]
    assert secret_read[1]["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-2.amazonaws.com"}}
    assert policies["analytics-instances-service-logs"]["Statement"][0]["Resource"] == [log_group, f"{log_group}:*"]
    assert "analytics-instances-extra" in policies


def test_identity_props_refuse_a_malformed_account_and_missing_zone_databases():
    with pytest.raises(ValueError, match="12-digit"):
        IdentityProps(**{**_props().__dict__, "account_id": "12"})
    with pytest.raises(ValueError, match="give a database for each zone"):
        IdentityProps(**{**_props().__dict__, "zone_database_names": {"raw": "x"}})


def test_glue_jobs_get_a_lake_key_grant_for_client_side_bookmark_encryption_only(stack):
    lake = next(k for k, b in stack.resources("aws_kms_key").items() if b["tags"]["purpose"] == "lake")
    (grant,) = [g for g in stack.resources("aws_kms_grant").values() if g["key_id"] == f"${{aws_kms_key.{lake}.arn}}"]
    role = next(k for k, b in stack.resources("aws_iam_role").items() if b["name"] == f"{stack.name}-glue-jobs")
    assert grant["grantee_principal"] == f"${{aws_iam_role.{role}.arn}}"
    assert sorted(grant["operations"]) == ["Decrypt", "Encrypt", "GenerateDataKey"]


def test_every_persona_that_reads_the_catalog_may_decrypt_it_through_glue_only(stack):
    for persona in Persona:
        statements = _role_policy(stack, persona.value)
        if "ReadCatalog" not in statements:
            continue
        key_use = statements["UseCatalogKeyThroughGlue"]
        assert key_use["Condition"] == {"StringEquals": {"kms:ViaService": "glue.eu-west-2.amazonaws.com"}}
        writes = "ManageTables" in statements
        assert ("kms:Encrypt" in key_use["Action"]) is writes


def test_statement_ids_are_unique_within_every_policy_as_iam_requires(stack):
    duplicated = []
    for _, address, document in policy_documents(stack):
        sids = [s["Sid"] for s in _as_list(document.get("Statement", [])) if s.get("Sid")]
        duplicated += [f"{address}: {sid}" for sid in set(sids) if sids.count(sid) > 1]
    assert duplicated == []
