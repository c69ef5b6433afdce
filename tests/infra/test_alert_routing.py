"""The alert topic carries alarms, findings and the delivery approvals: every environment delivers it to
someone."""

from __future__ import annotations

import pytest
import yaml

from environments import DEFINITIONS_DIR, EnvironmentDefinitionError, load_environments


def test_every_environment_subscribes_someone_to_the_topic_carrying_alarms_findings_and_approvals(synthesized):
    """Each environment's alert topic, and the delivery account's approval topic every approval notifies and its
    alert topic a stopped promotion reaches."""
    for stack in synthesized.values():
        for topic in stack.resources("aws_sns_topic"):
            subscriptions = [
                s
                for s in stack.resources("aws_sns_topic_subscription").values()
                if s["topic_arn"] == f"${{aws_sns_topic.{topic}.arn}}"
            ]
            assert subscriptions, f"{stack.name} {topic}"
            assert all(s["protocol"] in ("email", "https") and s["endpoint"] for s in subscriptions)
    delivery = synthesized["delivery"]
    assert len(delivery.resources("aws_sns_topic")) == 2
    (topic,) = [
        key for key, t in delivery.resources("aws_sns_topic").items() if t["name"] == "northwind-delivery-approvals"
    ]
    approvals = [
        a for stage in delivery.one("aws_codepipeline")["stage"] for a in stage["action"] if a["category"] == "Approval"
    ]
    assert approvals and all(
        a["configuration"]["NotificationArn"] == f"${{aws_sns_topic.{topic}.arn}}" for a in approvals
    )


def test_an_environment_without_alert_subscriptions_is_refused_naming_the_field(tmp_path):
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        definition = yaml.safe_load(path.read_text())
        if definition["name"] == "stage":
            definition["alarms"].pop("subscriptions")
        (tmp_path / path.name).write_text(yaml.safe_dump(definition))
    with pytest.raises(EnvironmentDefinitionError, match=r"stage\.yaml: alarms\.subscriptions: Field required"):
        load_environments(tmp_path)
