"""A plan in Terraform's JSON plan format built from two synthesized stacks, where no real plan can run.

``terraform plan`` needs the AWS provider and the environment's state; neither is reachable from a laptop or
CI without credentials. This builds what the change between two commits would look like to the summariser:
``before`` is the older commit's configuration (as if applied exactly), ``after`` the newer one's, in the
``terraform show -json`` shape (``resource_changes`` with ``change.actions``, ``before``, ``after``,
``after_unknown``, ``replace_paths``, ``action_reason``).

It is an approximation, and says where: values that reference other resources (``${...}``) are unknown after
the change, as in a real plan when the referenced resource is created or replaced; an attribute in
``FORCES_REPLACEMENT`` (the provider's "forces new resource" arguments, from its documentation) turns an update
into a replacement; anything the provider would compute (defaults, normalised JSON) is not seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TERRAFORM_VERSION = "1.11.4"
PROVIDER = "registry.terraform.io/hashicorp/aws"
META_ARGUMENTS = frozenset({"//", "depends_on", "lifecycle", "provider", "count", "for_each", "provisioner"})
REFERENCE = re.compile(r"\$\{(?:[a-z0-9_]+\()*([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)")
# Arguments the AWS provider documents as "forces new resource", for the resource types these stacks use.
FORCES_REPLACEMENT: Mapping[str, frozenset[str]] = {
    "aws_autoscaling_group": frozenset({"name", "name_prefix"}),
    "aws_backup_vault": frozenset({"name", "kms_key_arn"}),
    "aws_cloudwatch_log_group": frozenset({"name", "name_prefix"}),
    "aws_cloudwatch_metric_alarm": frozenset({"alarm_name"}),
    "aws_codebuild_project": frozenset({"name"}),
    "aws_codepipeline": frozenset({"name"}),
    "aws_db_instance": frozenset(
        {"identifier", "engine", "kms_key_id", "storage_encrypted", "username", "availability_zone", "db_name"}
    ),
    "aws_db_parameter_group": frozenset({"name", "family"}),
    "aws_db_subnet_group": frozenset({"name"}),
    "aws_dynamodb_table": frozenset({"name"}),
    "aws_eip": frozenset({"domain"}),
    "aws_glue_catalog_database": frozenset({"name", "catalog_id"}),
    "aws_glue_connection": frozenset({"name", "catalog_id"}),
    "aws_glue_job": frozenset({"name"}),
    "aws_glue_security_configuration": frozenset({"name", "encryption_configuration"}),
    "aws_iam_instance_profile": frozenset({"name", "path"}),
    "aws_iam_policy": frozenset({"name", "path"}),
    "aws_iam_role": frozenset({"name", "name_prefix", "path"}),
    "aws_iam_role_policy": frozenset({"name", "role"}),
    "aws_iam_role_policy_attachment": frozenset({"role", "policy_arn"}),
    "aws_iam_service_linked_role": frozenset({"aws_service_name", "custom_suffix"}),
    "aws_kms_alias": frozenset({"name"}),
    "aws_kms_grant": frozenset({"key_id", "grantee_principal", "operations", "name", "retiring_principal"}),
    "aws_lakeformation_lf_tag": frozenset({"key"}),
    "aws_lakeformation_permissions": frozenset({"principal", "permissions", "lf_tag_policy", "database", "table"}),
    "aws_lakeformation_resource": frozenset({"arn"}),
    "aws_launch_template": frozenset({"name"}),
    "aws_lb": frozenset({"name", "internal", "load_balancer_type"}),
    "aws_lb_target_group": frozenset({"name", "port", "protocol", "vpc_id", "target_type"}),
    "aws_nat_gateway": frozenset({"allocation_id", "subnet_id", "connectivity_type"}),
    "aws_route": frozenset({"route_table_id", "destination_cidr_block"}),
    "aws_route_table": frozenset({"vpc_id"}),
    "aws_route_table_association": frozenset({"subnet_id"}),
    "aws_s3_bucket": frozenset({"bucket", "bucket_prefix"}),
    "aws_secretsmanager_secret": frozenset({"name", "name_prefix"}),
    "aws_security_group": frozenset({"name", "name_prefix", "description", "vpc_id"}),
    "aws_sns_topic": frozenset({"name", "name_prefix", "fifo_topic"}),
    "aws_sns_topic_subscription": frozenset({"topic_arn", "protocol", "endpoint"}),
    "aws_subnet": frozenset({"vpc_id", "cidr_block", "availability_zone"}),
    "aws_vpc": frozenset({"cidr_block", "instance_tenancy"}),
    "aws_vpc_endpoint": frozenset({"vpc_id", "service_name", "vpc_endpoint_type"}),
    "aws_vpc_security_group_egress_rule": frozenset({"security_group_id"}),
    "aws_vpc_security_group_ingress_rule": frozenset({"security_group_id"}),
    "aws_wafv2_web_acl": frozenset({"name", "scope"}),
    "aws_wafv2_web_acl_association": frozenset({"resource_arn", "web_acl_arn"}),
}
# Every bucket sub-resource is bound to its bucket for life.
BUCKET_SUBRESOURCE = "aws_s3_bucket_"


def forces_replacement(resource_type: str) -> frozenset[str]:
    if resource_type.startswith(BUCKET_SUBRESOURCE):
        return frozenset({"bucket"})
    return FORCES_REPLACEMENT.get(resource_type, frozenset())


def _resources(config: Mapping) -> dict[str, tuple[str, str, dict]]:
    """address -> (type, name, arguments without meta-arguments)."""
    found = {}
    for resource_type, by_name in config.get("resource", {}).items():
        for name, body in by_name.items():
            found[f"{resource_type}.{name}"] = (
                resource_type,
                name,
                {k: v for k, v in body.items() if k not in META_ARGUMENTS},
            )
    return found


def _references(value: object) -> set[str]:
    if isinstance(value, str):
        return {m.group(1) for m in REFERENCE.finditer(value) if not m.group(1).startswith(("var.", "local."))}
    if isinstance(value, Mapping):
        return set().union(*(_references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    return set()


def _known(arguments: Mapping, changing: set[str], renewed: set[str]) -> tuple[dict, dict]:
    """Split the ``after`` arguments into known values and Terraform's ``after_unknown`` markers: a changing
    argument that references a resource being created or replaced is known only at apply (one referencing an
    existing resource takes its value from state, shown here as the reference)."""
    known, unknown = {}, {}
    for key, value in arguments.items():
        if key in changing and _references(value) & renewed:
            unknown[key] = True
        else:
            known[key] = value
    return known, unknown


def plan_between(before_config: Mapping, after_config: Mapping) -> dict:
    """The JSON plan that takes a stack from ``before_config`` to ``after_config`` (both ``cdk.tf.json``)."""
    before, after = _resources(before_config), _resources(after_config)
    new_identity = {a for a in after if a not in before}
    changed_keys: dict[str, set[str]] = {}
    for address in after.keys() & before.keys():
        old, new = before[address][2], after[address][2]
        changed_keys[address] = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    # A replaced or new resource gets new attribute values: whatever references it changes too, and a
    # reference in an argument that forces replacement replaces the referrer (Terraform's propagation).
    while True:
        replaced = {a for a, keys in changed_keys.items() if keys & forces_replacement(after[a][0])}
        renewed = new_identity | replaced
        grew = False
        for address, keys in changed_keys.items():
            for key, value in after[address][2].items():
                if key not in keys and _references(value) & renewed:
                    keys.add(key)
                    grew = True
        if not grew:
            break
    changes = []
    for address in sorted(before.keys() | after.keys()):
        if address not in after:
            resource_type, name, old = before[address]
            changes.append(
                _change(address, resource_type, name, ["delete"], old, None, {}, "delete_because_no_resource_config")
            )
            continue
        resource_type, name, new = after[address]
        if address not in before:
            known, unknown = _known(new, set(new), renewed)
            changes.append(_change(address, resource_type, name, ["create"], None, known, unknown))
            continue
        keys = changed_keys[address]
        # Unchanged arguments keep the values already in state; only changed references are unknown.
        known, unknown = _known(new, keys, renewed)
        forcing = sorted(keys & forces_replacement(resource_type))
        actions = ["delete", "create"] if forcing else ["update"] if keys else ["no-op"]
        entry = _change(
            address,
            resource_type,
            name,
            actions,
            before[address][2],
            known,
            unknown,
            "replace_because_cannot_update" if forcing else None,
        )
        if forcing:
            entry["change"]["replace_paths"] = [[key] for key in forcing]
        changes.append(entry)
    return {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "resource_changes": changes,
        "applyable": any(c["change"]["actions"] != ["no-op"] for c in changes),
        "complete": True,
        "errored": False,
    }


def _change(
    address: str,
    resource_type: str,
    name: str,
    actions: list[str],
    before: Mapping | None,
    after: Mapping | None,
    after_unknown: Mapping,
    reason: str | None = None,
) -> dict:
    entry: dict[str, object] = {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "provider_name": PROVIDER,
        "change": {
            "actions": actions,
            "before": dict(before) if before is not None else None,
            "after": dict(after) if after is not None else None,
            "after_unknown": dict(after_unknown),
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }
    if reason:
        entry["action_reason"] = reason
    return entry
