"""The landing function: lands SFTP arrivals and staged clickstream objects as S3 reports them
(docs/adr/0066-arrivals-land-through-a-lambda.md)."""

from __future__ import annotations

import json

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget, CloudwatchEventTargetRetryPolicy
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import LambdaFunctionEventInvokeConfig
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from etl.ingest.arrivals import INCOMING_PREFIX, REJECTED_PREFIX
from modules.arrivals.props import HANDLER, METRICS_NAMESPACE, RUNTIME, ArrivalsProps
from modules.naming import resource_name
from modules.observability.log_groups import encrypted_log_group
from modules.policy import Statement, assume_role_policy, policy_json

# Failed landings wait here for a person; SQS keeps a message at most 14 days.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
PERIOD_SECONDS = 300
# Lambda needs these to attach the function to its subnets; Describe takes no resource.
ENI_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
)


class ArrivalLanding(Construct):
    """A Lambda function from the etl package (``etl.functions.land_arrival``), one invocation at a time, in the
    private subnets with a security group that reaches only S3, invoked by two EventBridge rules: objects
    created under ``incoming/`` of the transfer bucket and under the clickstream staging prefix of the lake.
    A landing that still fails after Lambda's retries goes to an encrypted dead-letter queue. Three alarms go
    to the alert topic: the function failed, a landing waits in the dead-letter queue, an arrival was rejected.

    The deployment package is uploaded to the artifacts bucket under its content hash.

    Exposes ``function``, ``role``, ``dead_letter_queue``, ``log_group``, ``rules`` and ``alarms``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ArrivalsProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.log_group = encrypted_log_group(
            self,
            "log-group",
            name=f"/aws/lambda/{props.function_name}",
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        self.dead_letter_queue = SqsQueue(
            self,
            "dead-letter-queue",
            name=f"{props.function_name}-failed",
            kms_master_key_id=props.function_kms_key_arn,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        )
        security_group = self._security_group()
        self.role = self._role()
        package = self._upload()
        self.function = LambdaFunction(
            self,
            "function",
            function_name=props.function_name,
            description="Lands SFTP arrivals and staged clickstream objects in the lake's raw zone",
            role=self.role.arn,
            runtime=RUNTIME,
            handler=HANDLER,
            architectures=["arm64"],
            s3_bucket=package.bucket,
            s3_key=package.key,
            memory_size=props.memory_mib,
            timeout=props.timeout_seconds,
            # A dataset's manifest is read, extended and written back: one landing at a time.
            reserved_concurrent_executions=1,
            kms_key_arn=props.function_kms_key_arn,
            environment=LambdaFunctionEnvironment(
                variables={
                    "TRANSFER_BUCKET": props.transfer_bucket_name,
                    "LAKE_BUCKET": props.lake_bucket_name,
                    "LAKE_KMS_KEY_ID": props.lake_kms_key_arn,
                    "STAGING_PREFIX": props.staging_prefix,
                    "METRICS_NAMESPACE": METRICS_NAMESPACE,
                }
            ),
            vpc_config=LambdaFunctionVpcConfig(
                subnet_ids=list(props.subnet_ids), security_group_ids=[security_group.id]
            ),
            dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=self.dead_letter_queue.arn),
            logging_config=LambdaFunctionLoggingConfig(log_format="Text", log_group=self.log_group.name),
            depends_on=[self.log_group, package],
        )
        LambdaFunctionEventInvokeConfig(
            self,
            "retries",
            function_name=self.function.function_name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=6 * 3600,
        )
        self.rules = {
            "sftp-arrivals": self._rule("sftp-arrivals", props.transfer_bucket_name, INCOMING_PREFIX),
            "clickstream-staged": self._rule("clickstream-staged", props.lake_bucket_name, props.staging_prefix),
        }
        self.alarms = self._alarms()

    def _upload(self) -> S3Object:
        """The package at its content-hashed key; the new object exists before the old one goes."""
        code = self.props.code
        asset = TerraformAsset(self, "package-asset", path=str(code.package), type=AssetType.FILE)
        return S3Object(
            self,
            "package",
            bucket=code.bucket_name,
            key=code.key,
            source=asset.path,
            server_side_encryption="aws:kms",
            kms_key_id=code.kms_key_arn,
            bucket_key_enabled=True,
            lifecycle={"create_before_destroy": True},
        )

    def _security_group(self) -> SecurityGroup:
        props = self.props
        group = SecurityGroup(
            self,
            "function-sg",
            name=resource_name(props.name_prefix, "land-arrivals"),
            description="The landing function: HTTPS to S3 through its gateway endpoint only",
            vpc_id=props.vpc_id,
            tags={"Name": f"{props.name_prefix}-land-arrivals"},
        )
        VpcSecurityGroupEgressRule(
            self,
            "function-to-s3",
            security_group_id=group.id,
            description="HTTPS to S3 through the gateway endpoint",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=props.s3_prefix_list_id,
        )
        return group

    def _role(self) -> IamRole:
        props = self.props
        role = IamRole(
            self,
            "role",
            name=resource_name(props.name_prefix, "land-arrivals", max_length=64),
            description="Northwind landing function: arrivals and staged clickstream into the raw zone",
            assume_role_policy=assume_role_policy(
                "lambda.amazonaws.com", source_account=props.account_id, source_arn=props.function_arn
            ),
            max_session_duration=3600,
        )
        IamRolePolicy(self, "policy", role=role.id, name="land-arrivals", policy=policy_json(self._statements()))
        return role

    def _statements(self) -> list[Statement]:
        props = self.props
        transfer, lake = props.transfer_bucket_arn, props.lake_bucket_arn
        regional = f"arn:aws:ec2:{props.region}:{props.account_id}"
        via = {"s3": f"s3.{props.region}.amazonaws.com", "sqs": f"sqs.{props.region}.amazonaws.com"}
        return [
            Statement(
                sid="ListArrivals",
                actions=("s3:ListBucket",),
                resources=(transfer,),
                conditions={"StringLike": {"s3:prefix": [f"{INCOMING_PREFIX}*", f"{REJECTED_PREFIX}*"]}},
            ),
            Statement(
                sid="TakeArrivals",
                actions=("s3:DeleteObject", "s3:GetObject"),
                resources=(f"{transfer}/{INCOMING_PREFIX}*",),
            ),
            Statement(
                sid="KeepRejectedFiles", actions=("s3:PutObject",), resources=(f"{transfer}/{REJECTED_PREFIX}*",)
            ),
            Statement(
                sid="ListRawZone",
                actions=("s3:ListBucket",),
                resources=(lake,),
                conditions={"StringLike": {"s3:prefix": ["raw/*"]}},
            ),
            Statement(sid="LandInRawZone", actions=("s3:GetObject", "s3:PutObject"), resources=(f"{lake}/raw/*",)),
            Statement(
                sid="TakeStagedClickstream",
                actions=("s3:DeleteObject",),
                resources=(f"{lake}/{props.staging_prefix}*",),
            ),
            Statement(
                sid="UseLakeKeyThroughS3",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(props.lake_kms_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": via["s3"]}},
            ),
            Statement(sid="ParkFailedLandings", actions=("sqs:SendMessage",), resources=(self.dead_letter_queue.arn,)),
            Statement(
                sid="UseFunctionKey",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(props.function_kms_key_arn,),
                conditions={"StringEquals": {"kms:ViaService": [via["sqs"], f"lambda.{props.region}.amazonaws.com"]}},
            ),
            Statement(
                sid="WriteLogs",
                actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                resources=(f"{self.log_group.arn}:*",),
            ),
            Statement(sid="DescribeNetworkInterfaces", actions=("ec2:DescribeNetworkInterfaces",), resources=("*",)),
            Statement(
                sid="AttachToSubnets",
                actions=ENI_ACTIONS,
                resources=(f"{regional}:network-interface/*", f"{regional}:subnet/*", f"{regional}:security-group/*"),
            ),
        ]

    def _rule(self, name: str, bucket_name: str, prefix: str) -> CloudwatchEventRule:
        props = self.props
        rule = CloudwatchEventRule(
            self,
            f"{name}-rule",
            name=resource_name(props.name_prefix, name),
            description=f"Objects created under {prefix} of {bucket_name}, for the landing function",
            event_pattern=json.dumps(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [bucket_name]}, "object": {"key": [{"prefix": prefix}]}},
                }
            ),
        )
        CloudwatchEventTarget(
            self,
            f"{name}-target",
            rule=rule.name,
            target_id="land-arrivals",
            arn=self.function.arn,
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_event_age_in_seconds=24 * 3600, maximum_retry_attempts=185
            ),
        )
        LambdaPermission(
            self,
            f"{name}-permission",
            statement_id=f"invoke-from-{name}",
            action="lambda:InvokeFunction",
            function_name=self.function.function_name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            source_account=props.account_id,
        )
        return rule

    def _alarms(self) -> dict[str, CloudwatchMetricAlarm]:
        props = self.props
        common = {
            "period": PERIOD_SECONDS,
            "evaluation_periods": 1,
            "statistic": "Sum",
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "threshold": 1,
            "treat_missing_data": "notBreaching",
            "actions_enabled": True,
            "alarm_actions": [props.alert_topic_arn],
            "ok_actions": [props.alert_topic_arn],
        }
        specs = {
            "landing-failed": (
                "The landing function failed; Lambda retries twice, then parks the event in its dead-letter queue",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": props.function_name},
                "the-landing-function-failed",
            ),
            "landing-dead-letters": (
                "A landing failed for good and waits in the dead-letter queue",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": f"{props.function_name}-failed"},
                "a-landing-waits-in-the-dead-letter-queue",
            ),
            "arrival-rejected": (
                "A partner's SFTP upload was rejected and kept under rejected/ with its reason",
                METRICS_NAMESPACE,
                "Arrivals",
                {"Outcome": "rejected"},
                "a-file-was-rejected",
            ),
        }
        alarms = {}
        for key, (description, namespace, metric, dimensions, anchor) in specs.items():
            overrides = {"statistic": "Maximum"} if namespace == "AWS/SQS" else {}
            alarms[key] = CloudwatchMetricAlarm(
                self,
                f"alarm-{key}",
                alarm_name=f"{props.name_prefix}-{key}",
                alarm_description=f"{description}. Runbook: {props.runbook_url}#{anchor}",
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                **{**common, **overrides},
            )
        return alarms
