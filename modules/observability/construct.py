"""Observability: the encrypted alert topic, the service log group, Glue job failure alerts, metric alarms and
the environment's dashboard."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from constructs import Construct

from modules.encryption.construct import key_administration, key_reader_statements
from modules.observability.alarms import PERIOD_SECONDS, alarm_specs
from modules.observability.alert_topic import PUBLISH_KEY_ACTIONS, encrypted_alert_topic
from modules.observability.dashboard import dashboard_body
from modules.observability.log_groups import encrypted_log_group
from modules.observability.props import MonitoredResources, ObservabilityProps
from modules.policy import Statement, policy_json
from modules.runbooks import runbook_section, with_runbook

GLUE_FAILURE_STATES = ("FAILED", "TIMEOUT", "ERROR")
GLUE_FAILURE_RUNBOOK = runbook_section("pipeline-failure.md", "a-job-run-outside-a-pipeline-failed")


def alert_key_policy(props: ObservabilityProps) -> str:
    """The alert topic key: administrators manage it; CloudWatch (for this environment's alarms), EventBridge
    and SNS on behalf of the account may encrypt messages for the alert topic with it.

    Each service principal is granted as AWS documents it for an encrypted topic: ``kms:Decrypt`` and
    ``kms:GenerateDataKey*``, confined by the ``kms:EncryptionContext:aws:sns:topicArn`` SNS sets to the topic.
    CloudWatch's requests also carry the alarm as source; EventBridge's carry no source account or ARN (AWS
    documents them as unsupported there), so a source condition on it would silently drop every event. That is
    why the topic has a key of its own instead of sharing the logs key.
    """
    topic_context = {"kms:EncryptionContext:aws:sns:topicArn": props.topic_arn}
    return policy_json(
        [
            *key_administration(props.account_id, props.key_admin_role_arns, props.break_glass_role_arn),
            *key_reader_statements(props.account_id, props.key_reader_role_arns),
            Statement(
                sid="CloudWatchAlarmsOfThisEnvironmentPublish",
                actions=PUBLISH_KEY_ACTIONS,
                principals={"Service": "cloudwatch.amazonaws.com"},
                conditions={
                    "StringEquals": {"aws:SourceAccount": props.account_id, **topic_context},
                    "ArnLike": {"aws:SourceArn": _alarms_of_this_environment(props)},
                },
            ),
            Statement(
                sid="EventBridgePublishesToTheAlertTopic",
                actions=PUBLISH_KEY_ACTIONS,
                principals={"Service": "events.amazonaws.com"},
                conditions={"StringEquals": topic_context},
            ),
            Statement(
                sid="UseThroughSnsInThisAccount",
                actions=(*PUBLISH_KEY_ACTIONS, "kms:DescribeKey"),
                principals={"AWS": f"arn:aws:iam::{props.account_id}:root"},
                conditions={
                    "StringEquals": {
                        "kms:CallerAccount": props.account_id,
                        "kms:ViaService": f"sns.{props.region}.amazonaws.com",
                    }
                },
            ),
        ]
    )


def _alarms_of_this_environment(props: ObservabilityProps) -> str:
    return f"arn:aws:cloudwatch:{props.region}:{props.account_id}:alarm:{props.alarm_name_pattern}"


def _event_rules_of_this_environment(props: ObservabilityProps) -> str:
    return f"arn:aws:events:{props.region}:{props.account_id}:rule/{props.event_rule_name_pattern}"


class Observability(Construct):
    """Alerts, logs and dashboards of one environment.

    Built in steps: the constructor creates the alert topic with its subscribers and the service log group (the
    rest of the stack needs the log group); ``monitor`` adds the metric alarms and the dashboard once the
    database, load balancer and Auto Scaling group exist; ``alert_on_failed_job_runs`` the Glue job failure rule
    once the jobs exist.

    The topic admits this environment's alarms (``<prefix>-*``) and EventBridge rules (``<prefix>-*``) by
    name, so a capability adding a rule or an alarm under the prefix needs no change here; its targets should
    depend on ``topic_policy`` (EventBridge drops events a topic refuses, without an error).

    Exposes ``topic``, ``topic_policy``, ``alert_key``, ``service_log_group``, after ``monitor`` ``alarms``
    (key -> alarm) and ``dashboard``, and after ``alert_on_failed_job_runs`` ``glue_failure_rule``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ObservabilityProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        self.alert_key, self.topic = encrypted_alert_topic(
            self,
            name_prefix=props.name_prefix,
            topic_name=props.topic_name,
            display_name=f"{props.name_prefix} alerts",
            key_policy=alert_key_policy(props),
            purpose="alerts",
            subscribers=((subscriber.protocol, subscriber.endpoint) for subscriber in props.subscribers),
        )
        self.topic_policy = SnsTopicPolicy(self, "alert-topic-policy", arn=self.topic.arn, policy=self._topic_policy())
        self.service_log_group = encrypted_log_group(
            self,
            "service-log-group",
            name=props.service_log_group_name,
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )

    def alert_on_failed_job_runs(self, job_names: list[str]) -> None:
        """Alert when a run of one of ``job_names`` fails, times out or errors.

        Give only the jobs no pipeline runs (the serving bootstrap, started by hand): a failed attempt of a
        pipeline's step is retried by the pipeline, and only the run that still fails after its retries is an
        incident (the pipeline-run alert). Paging on every attempt would page for failures that recover.
        """
        self.glue_failure_rule = CloudwatchEventRule(
            self,
            "glue-job-failures",
            name=f"{self.props.name_prefix}-glue-job-failures",
            description=with_runbook(
                "Runs of the Glue jobs no pipeline runs (started by hand) that failed, timed out or errored",
                GLUE_FAILURE_RUNBOOK,
            ),
            event_pattern=json.dumps(
                {
                    "source": ["aws.glue"],
                    "detail-type": ["Glue Job State Change"],
                    "detail": {"jobName": job_names, "state": list(GLUE_FAILURE_STATES)},
                }
            ),
        )
        CloudwatchEventTarget(
            self,
            "glue-job-failures-to-topic",
            rule=self.glue_failure_rule.name,
            target_id="alert-topic",
            arn=self.topic.arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths={
                    "job": "$.detail.jobName",
                    "run": "$.detail.jobRunId",
                    "state": "$.detail.state",
                    "message": "$.detail.message",
                },
                input_template=json.dumps(
                    with_runbook("Glue job <job> run <run> ended <state>: <message>", GLUE_FAILURE_RUNBOOK)
                ),
            ),
            depends_on=[self.topic_policy],
        )

    def _topic_policy(self) -> str:
        props = self.props
        return policy_json(
            [
                Statement(
                    sid="CloudWatchAlarmsOfThisEnvironment",
                    actions=("sns:Publish",),
                    resources=(self.topic.arn,),
                    principals={"Service": "cloudwatch.amazonaws.com"},
                    conditions={
                        "StringEquals": {"aws:SourceAccount": props.account_id},
                        "ArnLike": {"aws:SourceArn": _alarms_of_this_environment(props)},
                    },
                ),
                Statement(
                    # The Glue job failure rule and the other alerting rules of this environment (pipeline runs).
                    sid="EventBridgeRulesOfThisEnvironment",
                    actions=("sns:Publish",),
                    resources=(self.topic.arn,),
                    principals={"Service": "events.amazonaws.com"},
                    conditions={
                        "StringEquals": {"aws:SourceAccount": props.account_id},
                        "ArnLike": {"aws:SourceArn": _event_rules_of_this_environment(props)},
                    },
                ),
            ]
        )

    def monitor(self, watched: MonitoredResources) -> None:
        """Add the metric alarms (to the topic, on alarm and on recovery) and the dashboard."""
        props = self.props
        for spec in alarm_specs(props.thresholds, watched):
            self.alarms[spec.key] = CloudwatchMetricAlarm(
                self,
                f"alarm-{spec.key}",
                alarm_name=f"{props.name_prefix}-{spec.key}",
                alarm_description=with_runbook(spec.description, spec.runbook),
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=spec.dimensions,
                statistic=spec.statistic,
                period=PERIOD_SECONDS,
                evaluation_periods=props.thresholds.evaluation_periods,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                treat_missing_data=spec.missing_data,
                actions_enabled=True,
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
            )
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=props.name_prefix,
            dashboard_body=dashboard_body(props.region, watched, [alarm.arn for alarm in self.alarms.values()]),
        )
