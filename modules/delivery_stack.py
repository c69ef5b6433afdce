"""The delivery account's stack: the one pipeline that promotes every commit through the environments.

Like ``platform_stack``, the only place that turns a definition (``DeliveryConfig`` and the environments it
promotes to) into construct props.
"""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_codestarconnections_connection import (
    DataAwsCodestarconnectionsConnection,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from environments import DeliveryConfig, DeliveryStep, EnvironmentConfig
from modules.account import use_account
from modules.classification import OPERATIONAL
from modules.delivery import (
    SMOKE_TEST_JOB,
    DeliveryPipeline,
    DeliveryProps,
    PipelineAlerts,
    PipelineAlertsProps,
    PromotionTarget,
    StepRoles,
)
from modules.encryption import Encryption, EncryptionProps, KeyPurpose
from modules.identity import bound_every_role
from modules.lake import SecureBucket, SecureBucketProps
from modules.lake.props import check_bucket_name
from modules.processing import job_name
from modules.runbooks import runbook_section

DELIVERY_KEY_PURPOSES = (
    KeyPurpose("artifacts", "Pipeline artifacts: built stacks, saved plans, release files", via_services=("s3",)),
    KeyPurpose("logs", "Build logs of the promotion pipeline", cloudwatch_logs=True),
    KeyPurpose("approvals", "Approval notifications", via_services=("sns",)),
)
# Pipeline artifacts stay while a rollback may name them; an execution older than this is not rolled back to.
ARTIFACT_VERSION_EXPIRY_DAYS = 90
STOPPED_PROMOTION_RUNBOOK = runbook_section("deploy-and-promote.md", "when-a-promotion-stops")


def promotion_targets(
    delivery: DeliveryConfig, environments: dict[str, EnvironmentConfig]
) -> tuple[PromotionTarget, ...]:
    """The environments in promotion order, with the roles each step of theirs uses on both sides."""
    return tuple(
        PromotionTarget(
            environment=env.name,
            stack_name=env.stack_name,
            account_id=env.account_id,
            region=env.region,
            plan_role_arn=env.plan_role_arn,
            deploy_role_arn=env.deploy_role_arn,
            smoke_test_role_arn=env.smoke_test_role_arn,
            service_hostname=env.compute.certificate_domain,
            roles=StepRoles(
                plan=delivery.step_role_name(DeliveryStep.PLAN, env.name),
                apply=delivery.step_role_name(DeliveryStep.APPLY, env.name),
                smoke=delivery.step_role_name(DeliveryStep.SMOKE, env.name),
            ),
            smoke_job_name=job_name(env.stack_name, SMOKE_TEST_JOB),
        )
        for env in (environments[name] for name in delivery.promotion)
    )


class DeliveryStack(TerraformStack):
    """Keys, the artifact store and its access log, the approval topic, the promotion pipeline and its alerts, in
    the delivery account with its own state (docs/adr/0090-one-promotion-pipeline-in-a-delivery-account.md).
    Every role carries the account bootstrap's permissions boundary, as in the environments' stacks."""

    def __init__(self, scope: Construct, delivery: DeliveryConfig, environments: dict[str, EnvironmentConfig]) -> None:
        super().__init__(scope, delivery.stack_name)
        prefix = delivery.stack_name
        use_account(self, delivery)
        self.permissions_boundary = bound_every_role(self, delivery.permissions_boundary_arn)
        self.encryption = Encryption(
            self,
            "encryption",
            EncryptionProps(
                name_prefix=prefix,
                account_id=delivery.account_id,
                region=delivery.region,
                key_admin_role_arns=(delivery.deploy_role_arn,),
                break_glass_role_arn=delivery.break_glass_role_arn,
                key_reader_role_arns=(delivery.plan_role_arn,),
                purposes=DELIVERY_KEY_PURPOSES,
            ),
        )
        access_logs = SecureBucket(
            self,
            "access-logs",
            SecureBucketProps(
                bucket_name=check_bucket_name(f"{prefix}-access-logs-{delivery.account_id}"),
                account_id=delivery.account_id,
                classification=OPERATIONAL,
                kms_key_arn=None,
                noncurrent_version_expiry_days=ARTIFACT_VERSION_EXPIRY_DAYS,
                abort_incomplete_multipart_days=1,
                access_log_bucket=None,
                is_access_log_destination=True,
            ),
        )
        self.artifacts = SecureBucket(
            self,
            "artifacts",
            SecureBucketProps(
                bucket_name=check_bucket_name(f"{prefix}-artifacts-{delivery.account_id}"),
                account_id=delivery.account_id,
                classification=OPERATIONAL,
                kms_key_arn=self.encryption.key_arn("artifacts"),
                noncurrent_version_expiry_days=ARTIFACT_VERSION_EXPIRY_DAYS,
                abort_incomplete_multipart_days=1,
                access_log_bucket=access_logs,
            ),
        )
        self.approval_topic = SnsTopic(
            self,
            "approval-topic",
            name=f"{prefix}-approvals",
            display_name="Northwind promotion approvals",
            kms_master_key_id=self.encryption.key_arn("approvals"),
        )
        if delivery.approvals_email:
            SnsTopicSubscription(
                self,
                "approvals-email",
                topic_arn=self.approval_topic.arn,
                protocol="email",
                endpoint=delivery.approvals_email,
            )
        # Created by the account bootstrap and activated once in the console: AWS has no API for the handshake.
        connection = DataAwsCodestarconnectionsConnection(self, "github-connection", name=delivery.connection_name)
        self.delivery = DeliveryPipeline(
            self,
            "delivery",
            DeliveryProps(
                name_prefix=prefix,
                account_id=delivery.account_id,
                region=delivery.region,
                repository=delivery.repository,
                branch=delivery.branch,
                connection_arn=connection.arn,
                build_role_name=delivery.step_role_name(DeliveryStep.BUILD),
                targets=promotion_targets(delivery, environments),
                artifacts_bucket_name=self.artifacts.bucket_name,
                artifacts_bucket_arn=self.artifacts.bucket_arn,
                artifacts_kms_key_arn=self.encryption.key_arn("artifacts"),
                logs_kms_key_arn=self.encryption.key_arn("logs"),
                log_retention_days=delivery.log_retention_days,
                approval_topic_arn=self.approval_topic.arn,
                approval_topic_kms_key_arn=self.encryption.key_arn("approvals"),
                build_timeout_minutes=delivery.build_timeout_minutes,
            ),
        )
        self.alerts = PipelineAlerts(
            self,
            "alerts",
            PipelineAlertsProps(
                name_prefix=prefix,
                account_id=delivery.account_id,
                region=delivery.region,
                pipeline_name=self.delivery.props.pipeline_name,
                key_admin_role_arns=(delivery.deploy_role_arn,),
                break_glass_role_arn=delivery.break_glass_role_arn,
                key_reader_role_arns=(delivery.plan_role_arn,),
                subscribers=tuple((s.protocol.value, s.endpoint) for s in delivery.alert_subscriptions),
                runbook_section=STOPPED_PROMOTION_RUNBOOK,
            ),
        )
        TerraformOutput(self, "pipeline_name", value=self.delivery.pipeline.name)
        TerraformOutput(self, "approval_topic_arn", value=self.approval_topic.arn)
        TerraformOutput(self, "alert_topic_arn", value=self.alerts.topic.arn)
