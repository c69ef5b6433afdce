"""A JSON plan between two synthesized stacks: replacements propagate through references, removals delete."""

from __future__ import annotations

import copy
import json

from scripts.promote.summary import summarise
from scripts.promote.synth_plan import forces_replacement, plan_between


def _stack(**resources: dict) -> dict:
    config: dict = {"resource": {}}
    for address, body in resources.items():
        resource_type, name = address.split("__")
        config["resource"].setdefault(resource_type, {})[name] = body
    return config


def _by_address(plan: dict) -> dict[str, dict]:
    return {entry["address"]: entry for entry in plan["resource_changes"]}


BUCKET = {"bucket": "northwind-dev-artifacts", "//": {"metadata": {"path": "x"}}}
POLICY = {"bucket": "${aws_s3_bucket.artifacts.id}", "policy": '{"Statement": []}'}
TOPIC = {"name": "alerts"}


def test_renaming_a_bucket_replaces_it_and_every_bucket_sub_resource_that_references_it():
    before = _stack(
        aws_s3_bucket__artifacts=BUCKET, aws_s3_bucket_policy__artifacts=POLICY, aws_sns_topic__alerts=TOPIC
    )
    after = copy.deepcopy(before)
    after["resource"]["aws_s3_bucket"]["artifacts"]["bucket"] = "northwind-dev-artifacts-2"
    changes = _by_address(plan_between(before, after))
    bucket, policy = changes["aws_s3_bucket.artifacts"], changes["aws_s3_bucket_policy.artifacts"]
    assert bucket["change"]["actions"] == ["delete", "create"]
    assert bucket["change"]["replace_paths"] == [["bucket"]]
    assert bucket["action_reason"] == "replace_because_cannot_update"
    assert policy["change"]["actions"] == ["delete", "create"]
    assert policy["change"]["after_unknown"] == {"bucket": True}
    assert changes["aws_sns_topic.alerts"]["change"]["actions"] == ["no-op"]
    assert "//" not in bucket["change"]["before"]


def test_a_resource_only_in_the_older_commit_is_deleted_and_one_only_in_the_newer_is_created():
    plan = plan_between(_stack(aws_sns_topic__old=TOPIC), _stack(aws_sns_topic__new={"name": "new"}))
    changes = _by_address(plan)
    assert changes["aws_sns_topic.old"]["change"]["actions"] == ["delete"]
    assert changes["aws_sns_topic.old"]["action_reason"] == "delete_because_no_resource_config"
    assert changes["aws_sns_topic.new"]["change"]["actions"] == ["create"]
    assert plan["format_version"] == "1.2" and plan["applyable"] is True


def test_an_argument_that_can_change_in_place_is_an_update_with_unchanged_values_kept_known():
    before = _stack(aws_s3_bucket__artifacts=BUCKET, aws_s3_bucket_policy__artifacts=POLICY)
    after = copy.deepcopy(before)
    after["resource"]["aws_s3_bucket_policy"]["artifacts"]["policy"] = '{"Statement": [{"Effect": "Allow"}]}'
    policy = _by_address(plan_between(before, after))["aws_s3_bucket_policy.artifacts"]
    assert policy["change"]["actions"] == ["update"]
    assert policy["change"]["after_unknown"] == {}
    assert policy["change"]["after"]["bucket"] == "${aws_s3_bucket.artifacts.id}"


def test_the_same_synthesized_stack_twice_plans_no_change(synthesized):
    config = synthesized["dev"].config
    plan = plan_between(config, config)
    assert {tuple(c["change"]["actions"]) for c in plan["resource_changes"]} == {("no-op",)}
    assert plan["applyable"] is False
    assert summarise(plan, "northwind-dev").headline().startswith("No changes")


def test_renaming_the_serving_database_in_a_synthesized_stack_replaces_it_and_calls_out_its_data(synthesized):
    before = synthesized["prod"].config
    after = json.loads(json.dumps(before))
    ((key, instance),) = after["resource"]["aws_db_instance"].items()
    instance["identifier"] = "northwind-prod-serving-2"
    summary = summarise(plan_between(before, after), "northwind-prod")
    (replaced,) = summary.of_kind("replace")
    assert replaced.address == f"aws_db_instance.{key}" and replaced.replace_paths == (("identifier",),)
    assert f"data: `aws_db_instance.{key}` replaced, the database and its automated backups" in summary.attention


def test_a_changed_reference_to_an_existing_resource_stays_known_as_written():
    before = _stack(
        aws_s3_bucket__artifacts=BUCKET, aws_glue_job__curate={"name": "j", "default_arguments": {"--wheel": "a"}}
    )
    after = copy.deepcopy(before)
    after["resource"]["aws_glue_job"]["curate"]["default_arguments"] = {
        "--wheel": "s3://${aws_s3_bucket.artifacts.bucket}/b"
    }
    job = _by_address(plan_between(before, after))["aws_glue_job.curate"]
    assert job["change"]["actions"] == ["update"] and job["change"]["after_unknown"] == {}
    assert job["change"]["after"]["default_arguments"] == {"--wheel": "s3://${aws_s3_bucket.artifacts.bucket}/b"}


def test_bucket_sub_resources_are_bound_to_their_bucket():
    assert forces_replacement("aws_s3_bucket_versioning") == {"bucket"}
    assert "identifier" in forces_replacement("aws_db_instance")
    assert forces_replacement("aws_unknown_thing") == frozenset()
