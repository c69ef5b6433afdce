"""Mandatory tags on every taggable resource of every stack; a classification on every data store.

"Taggable" is read from the provider bindings themselves: a resource type whose class exposes ``tags_all``
receives the provider's default tags. Auto Scaling groups take tags as ``tag`` blocks instead.
"""

from __future__ import annotations

import importlib
from functools import cache

MANDATORY = ("environment", "owner", "cost-center")
CLASSIFICATIONS = {"confidential-pii", "restricted", "internal", "licensed"}
DATA_STORES = {
    "aws_s3_bucket",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_dynamodb_table",
    "aws_glue_catalog_database",
    "aws_backup_vault",
}


@cache
def is_taggable(resource_type: str) -> bool:
    module = importlib.import_module(f"cdktf_cdktf_provider_aws.{resource_type.removeprefix('aws_')}")
    classes = [value for value in vars(module).values() if getattr(value, "TF_RESOURCE_TYPE", None) == resource_type]
    assert classes, f"no provider class found for {resource_type}"
    return hasattr(classes[0], "tags_all")


def _effective_tags(stack, body: dict) -> dict[str, str]:
    # A resource uses the default provider unless it names an alias ("aws.replica").
    alias = body.get("provider", "aws").partition(".")[2] or None
    (provider,) = [p for p in stack.config["provider"]["aws"] if p.get("alias") == alias]
    defaults = provider.get("default_tags", [{}])[0].get("tags", {})
    return {**defaults, **body.get("tags", {})}


def test_every_taggable_resource_carries_environment_owner_and_cost_center(stack):
    missing = []
    for resource_type, name, body in stack.all_resources():
        if resource_type == "aws_autoscaling_group":
            tags = {t["key"]: t["value"] for t in body.get("tag", [])}
        elif is_taggable(resource_type):
            tags = _effective_tags(stack, body)
        else:
            continue
        missing += [f"{resource_type}.{name}: {key}" for key in MANDATORY if not tags.get(key)]
    assert missing == []


def test_the_environment_tag_names_the_stacks_environment(stack):
    env_name = stack.name.removeprefix("northwind-")
    for provider in stack.config["provider"]["aws"]:
        assert provider["default_tags"][0]["tags"]["environment"] == env_name


def test_every_data_store_carries_a_known_data_classification(stack):
    unclassified = [
        f"{resource_type}.{name}"
        for resource_type, name, body in stack.all_resources()
        if resource_type in DATA_STORES and body.get("tags", {}).get("data-classification") not in CLASSIFICATIONS
    ]
    assert unclassified == []


def test_the_tag_walk_sees_taggable_and_untaggable_types():
    assert is_taggable("aws_vpc") and is_taggable("aws_kms_key")
    assert not is_taggable("aws_route") and not is_taggable("aws_kms_alias")
