"""Customer-managed keys: one per purpose, rotating, aliased, with explicit key policies."""

from __future__ import annotations

import json

import pytest

from modules.encryption import EncryptionProps

PURPOSES = {"lake", "database", "logs", "secrets"}


def _keys_by_purpose(stack) -> dict[str, dict]:
    return {key["tags"]["purpose"]: key for key in stack.resources("aws_kms_key").values()}


def test_there_is_a_rotating_key_for_each_purpose(stack):
    keys = _keys_by_purpose(stack)
    assert set(keys) >= PURPOSES
    assert all(key["enable_key_rotation"] is True for key in keys.values())


def test_every_key_has_an_alias_named_after_environment_and_purpose(stack):
    env_name = stack.name.removeprefix("northwind-")
    aliases = {alias["name"] for alias in stack.resources("aws_kms_alias").values()}
    assert {f"alias/northwind-{env_name}-{purpose}" for purpose in PURPOSES} <= aliases


def test_no_key_policy_grants_kms_star_and_only_key_administrators_administer(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    for key in stack.resources("aws_kms_key").values():
        policy = json.loads(key["policy"])
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert "kms:*" not in actions and "*" not in actions
            if "kms:PutKeyPolicy" in actions or "kms:ScheduleKeyDeletion" in actions:
                assert statement["Principal"] == {"AWS": f"arn:aws:iam::{env.account_id}:root"}
                assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] in (
                    [env.deploy_role_arn],
                    [env.break_glass_role_arn],
                )


def test_key_use_through_services_is_confined_to_the_account_and_region(synthesized):
    lake_key = _keys_by_purpose(synthesized["prod"])["lake"]
    statements = {s["Sid"]: s for s in json.loads(lake_key["policy"])["Statement"]}
    use = statements["UseThroughServicesInThisAccount"]
    assert use["Condition"]["StringEquals"]["kms:CallerAccount"] == "333333333333"
    assert use["Condition"]["StringLike"]["kms:ViaService"] == [
        "s3.eu-west-2.amazonaws.com",
        "glue.eu-west-2.amazonaws.com",
        "firehose.eu-west-2.amazonaws.com",
    ]


def test_encryption_props_refuse_a_construct_without_key_administrators():
    with pytest.raises(ValueError, match="key_admin_role_arns: at least one key administrator"):
        EncryptionProps(
            name_prefix="northwind-x",
            account_id="1" * 12,
            region="eu-west-2",
            key_admin_role_arns=(),
            break_glass_role_arn="arn:aws:iam::111111111111:role/break-glass",
        )
