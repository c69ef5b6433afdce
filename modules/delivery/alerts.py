"""When a promotion stops, someone hears: the pipeline's failed, stopped or cancelled executions and its failed
approvals (rejected, or not answered within CodePipeline's seven days) reach the delivery account's encrypted
alert topic and its subscribers."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
)
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from constructs import Construct

from modules.delivery.props import PipelineAlertsProps
from modules.encryption.construct import key_administration, key_reader_statements
from modules.observability.alert_topic import PUBLISH_KEY_ACTIONS, encrypted_alert_topic
from modules.policy import Statement, policy_json
from modules.runbooks import with_runbook

# CANCELED: the pipeline's definition changed under a running execution; its commit goes no further either.
STOPPED_EXECUTION_STATES = ("CANCELED", "FAILED", "STOPPED")
EXECUTION_STATE_CHANGE = "CodePipeline Pipeline Execution State Change"
ACTION_STATE_CHANGE = "CodePipeline Action Execution State Change"


def alert_key_policy(props: PipelineAlertsProps) -> str:
    """Administrators manage the key; EventBridge encrypts messages for the alert topic only, as AWS documents
    it for an encrypted topic: ``kms:Decrypt`` and ``kms:GenerateDataKey*`` under the
    ``kms:EncryptionContext:aws:sns:topicArn`` SNS sets. EventBridge's KMS requests carry no source account or
    ARN, so no source condition is set on them (it would drop every event)."""
    return policy_json(
        [
            *key_administration(props.account_id, props.key_admin_role_arns, props.break_glass_role_arn),
            *key_reader_statements(props.account_id, props.key_reader_role_arns),
            Statement(
                sid="EventBridgePublishesToTheAlertTopic",
                actions=PUBLISH_KEY_ACTIONS,
                principals={"Service": "events.amazonaws.com"},
                conditions={"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": props.topic_arn}},
            ),
        ]
    )


class PipelineAlerts(Construct):
    """The alert topic (its own key), its subscribers, and the rules publishing to it.

    Exposes ``topic``, ``topic_policy``, ``key`` and ``rules`` (name -> ``CloudwatchEventRule``).
    """

    def __init__(self, scope: Construct, construct_id: str, props: PipelineAlertsProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.key, self.topic = encrypted_alert_topic(
            self,
            name_prefix=props.name_prefix,
            topic_name=props.topic_name,
            display_name="Northwind promotion alerts",
            key_policy=alert_key_policy(props),
            purpose="pipeline-alerts",
            subscribers=props.subscribers,
        )
        self.topic_policy = SnsTopicPolicy(
            self,
            "alert-topic-policy",
            arn=self.topic.arn,
            policy=policy_json(
                [
                    Statement(
                        sid="EventBridgeRulesOfThisAccount",
                        actions=("sns:Publish",),
                        resources=(self.topic.arn,),
                        principals={"Service": "events.amazonaws.com"},
                        conditions={
                            "StringEquals": {"aws:SourceAccount": props.account_id},
                            "ArnLike": {
                                "aws:SourceArn": f"arn:aws:events:{props.region}:{props.account_id}:rule/"
                                f"{props.name_prefix}-*"
                            },
                        },
                    )
                ]
            ),
        )
        self.rules: dict[str, CloudwatchEventRule] = {}
        self._rule(
            "stopped-executions",
            "A promotion stopped: an execution of the pipeline failed, was stopped or cancelled",
            EXECUTION_STATE_CHANGE,
            {"state": list(STOPPED_EXECUTION_STATES)},
            {"pipeline": "$.detail.pipeline", "execution": "$.detail.execution-id", "state": "$.detail.state"},
            "Pipeline <pipeline> execution <execution> <state>; its commit goes no further",
        )
        self._rule(
            "failed-approvals",
            "An approval of the pipeline failed: rejected, or not answered within CodePipeline's seven days",
            ACTION_STATE_CHANGE,
            {"type": {"category": ["Approval"]}, "state": ["FAILED"]},
            {"stage": "$.detail.stage", "execution": "$.detail.execution-id"},
            "The <stage> approval of execution <execution> was rejected or expired; the commit waits for a new one",
        )

    def _rule(
        self,
        key: str,
        description: str,
        detail_type: str,
        detail: dict,
        paths: dict[str, str],
        message: str,
    ) -> None:
        props = self.props
        rule = CloudwatchEventRule(
            self,
            key,
            name=f"{props.name_prefix}-{key}",
            description=with_runbook(description, props.runbook_section),
            event_pattern=json.dumps(
                {
                    "source": ["aws.codepipeline"],
                    "detail-type": [detail_type],
                    "resources": [props.pipeline_arn],
                    "detail": detail,
                }
            ),
        )
        CloudwatchEventTarget(
            self,
            f"{key}-to-topic",
            rule=rule.name,
            target_id="alert-topic",
            arn=self.topic.arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=paths, input_template=json.dumps(with_runbook(message, props.runbook_section))
            ),
            # EventBridge drops, without an error, every event a topic's policy refuses.
            depends_on=[self.topic_policy],
        )
        self.rules[key] = rule
