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
    PIPELINE_ORCHESTRATION = "pipeline-orchestration"
    PIPELINE_SCHEDULER = "pipeline-scheduler"
    ANALYTICS_INSTANCES = "analytics-instances"
    DELIVERY_PIPELINE = "delivery-pipeline"
    LAKE_FORMATION_ACCESS = "lake-formation-access"


# The service principal that assumes each service role.
SERVICE_PRINCIPALS: Mapping[ServiceRole, str] = {
    ServiceRole.GLUE_JOBS: "glue.amazonaws.com",
    ServiceRole.GLUE_SERVING_BOOTSTRAP: "glue.amazonaws.com",
    ServiceRole.PIPELINE_ORCHESTRATION: "states.amazonaws.com",
    ServiceRole.PIPELINE_SCHEDULER: "scheduler.amazonaws.com",
    ServiceRole.ANALYTICS_INSTANCES: "ec2.amazonaws.com",
    ServiceRole.DELIVERY_PIPELINE: "codebuild.amazonaws.com",
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
        zone_database_names: zone -> Glue database name, for every lake zone.
        deploy_role_arn: the role Terraform assumes; the delivery pipeline may assume it, nothing else.
        metrics_namespace: the CloudWatch namespace the analytics instances publish to.
            Default: ``Northwind/AnalyticsService``.
        pipeline_metrics_namespace: the CloudWatch namespace the Glue jobs publish the pipeline metrics to.
            Default: ``Northwind/Pipeline``.
        saml_provider_name: the account's workforce SAML identity provider, set up with the account like the
            deploy role; persona roles trust only it. Default: ``northwind-workforce``.
    """

    name_prefix: str
    account_id: str
    region: str
    lake_bucket_arn: str
    artifacts_bucket_arn: str
    lake_kms_key_arn: str
    secrets_kms_key_arn: str
    zone_database_names: Mapping[str, str]
    deploy_role_arn: str
    metrics_namespace: str = "Northwind/AnalyticsService"
    pipeline_metrics_namespace: str = "Northwind/Pipeline"
    saml_provider_name: str = "northwind-workforce"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"IdentityProps.account_id: {self.account_id!r} is not a 12-digit AWS account id")
        if set(self.zone_database_names) != set(ZONES):
            raise ValueError(f"IdentityProps.zone_database_names: give a database for each zone {', '.join(ZONES)}")

    @property
    def saml_provider_arn(self) -> str:
        """ARN of the workforce identity provider the persona roles trust."""
        return f"arn:aws:iam::{self.account_id}:saml-provider/{self.saml_provider_name}"
