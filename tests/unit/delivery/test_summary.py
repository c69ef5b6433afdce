"""The approval summary of a JSON plan: counts as Terraform counts, and the changes a reviewer must not miss."""

from __future__ import annotations

import json

import pytest

from scripts.promote.summary import HEADLINE_LIMIT, new_grants, summarise


def _change(address: str, actions: list[str], before=None, after=None, **extra) -> dict:
    resource_type = address.split(".")[0]
    change = {"actions": actions, "before": before, "after": after, "after_unknown": extra.pop("after_unknown", {})}
    if "replace_paths" in extra:
        change["replace_paths"] = extra.pop("replace_paths")
    return {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": address.split(".")[1],
        "change": change,
        **extra,
    }


def _plan(*changes: dict, drift: tuple[dict, ...] = ()) -> dict:
    return {"format_version": "1.2", "resource_changes": list(changes), "resource_drift": list(drift)}


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_replacement_counts_as_one_add_and_one_destroy_and_names_the_argument_that_forces_it():
    summary = summarise(
        _plan(
            _change(
                "aws_db_instance.serving",
                ["delete", "create"],
                {"identifier": "old"},
                {"identifier": "new"},
                replace_paths=[["identifier"]],
                action_reason="replace_because_cannot_update",
            ),
            _change("aws_sns_topic.alerts", ["create"], None, {"name": "alerts"}),
        ),
        "northwind-dev",
    )
    assert summary.counts == {"add": 2, "change": 0, "destroy": 1, "replace": 1, "forget": 0}
    assert summary.headline().startswith("Plan: 2 to add, 0 to change, 1 to destroy (1 replaced)")
    rendered = summary.render("ab" * 32)
    assert "## Replaced: destroyed, then created again (1)" in rendered
    assert "`aws_db_instance.serving`: identifier cannot change in place" in rendered
    assert "Saved plan sha256 `" + "ab" * 32 + "`" in rendered


def test_destroying_or_replacing_a_data_bearing_resource_is_called_out_first():
    summary = summarise(
        _plan(
            _change(
                "aws_s3_bucket.lake",
                ["delete"],
                {"bucket": "lake"},
                None,
                action_reason="delete_because_no_resource_config",
            ),
            _change("aws_kms_key.lake", ["create", "delete"], {}, {}, replace_paths=[["customer_master_key_spec"]]),
            _change("aws_sns_topic.alerts", ["delete"], {"name": "alerts"}, None),
        ),
        "northwind-prod",
    )
    assert summary.attention == [
        "data: `aws_s3_bucket.lake` destroyed, a bucket and its objects",
        "data: `aws_kms_key.lake` replaced, a key: data encrypted with it becomes unreadable",
    ]
    rendered = summary.render()
    assert rendered.index("## Look twice (2)") < rendered.index("## Replaced") < rendered.index("## Destroyed (2)")
    assert "`aws_s3_bucket.lake` (no longer in the configuration)" in rendered
    assert "look twice: 2 data" in summary.headline()


def test_a_policy_change_lists_only_what_it_newly_grants():
    before = _policy({"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]})
    after = _policy(
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": ["arn:aws:s3:::b/*"],
        },
        {"Sid": "Deny", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    )
    summary = summarise(
        _plan(_change("aws_iam_role_policy.jobs", ["update"], {"policy": before}, {"policy": after})), "northwind-dev"
    )
    assert summary.attention == ["access: `aws_iam_role_policy.jobs` grants s3:PutObject on arn:aws:s3:::b/*"]


def test_a_policy_change_that_only_removes_access_needs_no_second_look():
    before = _policy({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"})
    after = _policy({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"})
    summary = summarise(
        _plan(_change("aws_iam_role_policy.jobs", ["update"], {"policy": before}, {"policy": after})), "northwind-dev"
    )
    assert summary.attention == []
    assert summary.headline() == "Plan: 0 to add, 1 to change, 0 to destroy."


def test_a_new_trust_names_the_principal_and_a_policy_known_only_at_apply_says_so():
    trust = _policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444444444444:role/x"}, "Action": "sts:AssumeRole"}
    )
    summary = summarise(
        _plan(
            _change("aws_iam_role.smoke", ["create"], None, {"assume_role_policy": trust}),
            _change("aws_iam_role_policy.smoke", ["create"], None, {"name": "p"}, after_unknown={"policy": True}),
        ),
        "northwind-dev",
    )
    assert summary.attention == [
        'access: `aws_iam_role.smoke` grants sts:AssumeRole to {"AWS": "arn:aws:iam::444444444444:role/x"}',
        "access: `aws_iam_role_policy.smoke` grants policy known only at apply",
    ]


def test_conditional_grants_are_marked_and_a_settings_change_names_its_arguments():
    assert new_grants(
        None,
        {"policy": _policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "k", "Condition": {"a": {}}})},
    ) == ["kms:Decrypt on k (conditional)"]
    summary = summarise(
        _plan(
            _change(
                "aws_lakeformation_data_lake_settings.settings",
                ["update"],
                {"admins": ["a"], "read_only_admins": []},
                {"admins": ["a"], "read_only_admins": ["plan"]},
            )
        ),
        "northwind-dev",
    )
    assert summary.attention == [
        'access: `aws_lakeformation_data_lake_settings.settings` update: read_only_admins=["plan"]'
    ]


def test_a_replaced_grant_is_called_out_with_what_forces_it():
    summary = summarise(
        _plan(
            _change(
                "aws_lakeformation_permissions.tables",
                ["delete", "create"],
                {"lf_tag_policy": [{"expression": "a"}]},
                {"lf_tag_policy": [{"expression": "b"}]},
                replace_paths=[["lf_tag_policy"]],
            )
        ),
        "northwind-prod",
    )
    assert summary.attention == [
        'access: `aws_lakeformation_permissions.tables` replace: lf_tag_policy=[{"expression": "b"}]'
    ]


def test_network_changes_carry_the_range_and_ports():
    summary = summarise(
        _plan(
            _change(
                "aws_vpc_security_group_ingress_rule.https",
                ["create"],
                None,
                {"cidr_ipv4": "0.0.0.0/0", "from_port": 443, "to_port": 443, "ip_protocol": "tcp"},
            )
        ),
        "northwind-dev",
    )
    assert summary.attention == [
        "network: `aws_vpc_security_group_ingress_rule.https` create "
        "(cidr_ipv4=0.0.0.0/0, from_port=443, to_port=443, ip_protocol=tcp)"
    ]


def test_drift_and_forgotten_resources_are_reported_and_reads_and_no_ops_are_not_counted():
    summary = summarise(
        _plan(
            _change("aws_iam_role.old", ["forget"], {"name": "old"}, None),
            _change("aws_sns_topic.same", ["no-op"], {"name": "x"}, {"name": "x"}),
            {"address": "data.aws_region.here", "mode": "data", "type": "aws_region", "change": {"actions": ["read"]}},
            drift=(_change("aws_s3_bucket.lake", ["update"], {}, {}),),
        ),
        "northwind-dev",
    )
    assert summary.counts == {"add": 0, "change": 0, "destroy": 0, "replace": 0, "forget": 1}
    assert summary.drift == ["`aws_s3_bucket.lake` (update)"]
    assert "1 drift" in summary.headline() and ", 1 to forget" in summary.headline()
    assert "## Forgotten (removed from state, left in AWS) (1)" in summary.render()


def test_a_plan_without_changes_says_so():
    assert summarise(_plan(), "northwind-dev").headline() == "No changes: the environment already matches this commit."


def test_the_headline_stays_short_enough_for_the_approval_message():
    many = [_change(f"aws_s3_bucket.b{i}", ["delete"], {"bucket": "b"}, None) for i in range(3)] + [
        _change(f"aws_iam_role_policy.p{i}", ["create"], None, {}, after_unknown={"policy": True}) for i in range(3)
    ]
    summary = summarise(_plan(*many, drift=tuple(many)), "northwind-prod")
    assert len(summary.headline()) <= HEADLINE_LIMIT


def test_long_sections_are_cut_with_a_count_of_the_rest():
    summary = summarise(_plan(*(_change(f"aws_sns_topic.t{i}", ["create"], None, {}) for i in range(45))), "s")
    assert "- ... and 5 more (see plan.json)" in summary.render()


def test_something_other_than_a_terraform_json_plan_is_refused():
    with pytest.raises(ValueError, match="not a Terraform JSON plan"):
        summarise({"resource": {}}, "northwind-dev")
