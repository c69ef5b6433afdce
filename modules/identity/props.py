"""Props of the identity construct: the personas and service roles, and the resources they touch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from etl.lake import ZONES


class Persona(StrEnum):
    """The brief's people, each a role reached through the workforce identity provider."""

    DATA_ENGINEER = "data-engineer"
    ANALYTICS_ENGINEER = "analytics-engineer"
    APPLICATION_ENGINEER = "application-engineer"
    GOVERNANCE_SECURITY = "governance-security"
    DEVOPS_SRE = "devops-sre"


class ServiceRole(StrEnum):
    """Roles the platform's services assume."""

    GLUE_JOBS = "glue-jobs"
    # The one job that logs in to the serving database as its owner (migrations; creates the load's login).
    GLUE_SERVING_BOOTSTRAP = "glue-serving-bootstrap"
    # The erasure job: deletes object versions of the lake (and its replica), which no other job may.
    GLUE_ERASURE = "glue-erasure"
    PIPELINE_ORCHESTRATION = "pipeline-orchestration"
    PIPELINE_SCHEDULER = "pipeline-scheduler"
    ANALYTICS_INSTANCES = "analytics-instances"
    LAKE_FORMATION_ACCESS = "lake-formation-access"


# The service principal that assumes each service role.
SERVICE_PRINCIPALS: Mapping[ServiceRole, str] = {
    ServiceRole.GLUE_JOBS: "glue.amazonaws.com",
    ServiceRole.GLUE_SERVING_BOOTSTRAP: "glue.amazonaws.com",
    ServiceRole.GLUE_ERASURE: "glue.amazonaws.com",
    ServiceRole.PIPELINE_ORCHESTRATION: "states.amazonaws.com",
    ServiceRole.PIPELINE_SCHEDULER: "scheduler.amazonaws.com",
    ServiceRole.ANALYTICS_INSTANCES: "ec2.amazonaws.com",
    ServiceRole.LAKE_FORMATION_ACCESS: "lakeformation.amazonaws.com",
}


@dataclass(frozen=True)
class IdentityProps:
    """Inputs of ``Identity``.

    Attributes:
        name_prefix: ``northwind-<env>``; roles are ``<prefix>-<persona or service>``, and the platform's job,
            log-group, database and Auto Scaling names start with it.
        account_id: the environment's account; persona roles trust only its identities.
        region: the environment's region (ARNs are regional).
        lake_bucket_arn: the zoned lake bucket.
        artifacts_bucket_arn: the bucket of job scripts and wheels.
        lake_kms_key_arn: the lake key (objects, catalog, job bookmarks).
        secrets_kms_key_arn: the key of the platform's Secrets Manager secrets.
        pipelines_kms_key_arn: the key of the pipelines' state machines (execution history, execution logs)
            and of their schedules' payloads.
        zone_database_names: zone -> Glue database name, for every lake zone.
        deploy_role_arn: the role Terraform applies with (the promotion pipeline's apply step assumes it).
        saml_provider_arn: the account's workforce SAML identity provider (created by the account bootstrap);
            persona roles trust only it.
        session_instance_group: the Auto Scaling group whose instances the DevOps/SRE persona may open Session
            Manager sessions on (matched by the ``aws:autoscaling:groupName`` tag EC2 Auto Scaling sets).
        metrics_namespace: the CloudWatch namespace the analytics instances publish to.
            Default: ``Northwind/AnalyticsService``.
        pipeline_metrics_namespace: the CloudWatch namespace the Glue jobs publish the pipeline metrics to.
            Default: ``Northwind/Pipeline``.
        instance_readable_datasets: datasets whose curated prefix the analytics instances may read directly
            from S3; only datasets without PII belong here (``modules.classification.pii_free_datasets``), the
            rest is reached through Lake Formation. Default: none.
    """

    name_prefix: str
    account_id: str
    region: str
    lake_bucket_arn: str
    artifacts_bucket_arn: str
    lake_kms_key_arn: str
    secrets_kms_key_arn: str
    pipelines_kms_key_arn: str
    zone_database_names: Mapping[str, str]
    deploy_role_arn: str
    saml_provider_arn: str
    session_instance_group: str
    metrics_namespace: str = "Northwind/AnalyticsService"
    pipeline_metrics_namespace: str = "Northwind/Pipeline"
    instance_readable_datasets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"IdentityProps.account_id: {self.account_id!r} is not a 12-digit AWS account id")
        if set(self.zone_database_names) != set(ZONES):
            raise ValueError(f"IdentityProps.zone_database_names: give a database for each zone {', '.join(ZONES)}")


def service_source_arn(service: ServiceRole, props: IdentityProps) -> str | None:
    """The resources a service role's service may act for (its trust's ``aws:SourceArn``); None for EC2, whose
    role assumption for an instance profile carries no source (``modules.policy.TRUST_WITHOUT_SOURCE_CONTEXT``)."""
    regional = f"{props.region}:{props.account_id}"
    return {
        ServiceRole.GLUE_JOBS: f"arn:aws:glue:{regional}:*",
        ServiceRole.GLUE_SERVING_BOOTSTRAP: f"arn:aws:glue:{regional}:*",
        ServiceRole.GLUE_ERASURE: f"arn:aws:glue:{regional}:*",
        ServiceRole.PIPELINE_ORCHESTRATION: f"arn:aws:states:{regional}:stateMachine:{props.name_prefix}-*",
        # Schedules without a group of their own belong to the account's default schedule group.
        ServiceRole.PIPELINE_SCHEDULER: f"arn:aws:scheduler:{regional}:schedule-group/default",
        ServiceRole.ANALYTICS_INSTANCES: None,
        ServiceRole.LAKE_FORMATION_ACCESS: f"arn:aws:lakeformation:{regional}:*",
    }[service]
