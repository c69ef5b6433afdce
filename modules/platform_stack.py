"""One Terraform stack per environment, composed from the capability constructs.

This is the only place that turns an ``EnvironmentConfig`` into construct props; constructs below it see
values, never the environment's name.
"""

from __future__ import annotations

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from constructs import Construct

from environments import EnvironmentConfig
from modules.encryption import Encryption, EncryptionProps
from modules.naming import PROJECT, name_prefix
from modules.network import NatMode, Network, NetworkProps

AZ_SUFFIXES = "abc"


def mandatory_tags(env: EnvironmentConfig) -> dict[str, str]:
    """Tags every resource carries through the provider's default tags."""
    return {
        "project": PROJECT,
        "environment": env.name,
        "owner": env.tags.owner,
        "cost-center": env.tags.cost_center,
        "managed-by": "cdktf",
    }


class EnvironmentStack(TerraformStack):
    """Everything one environment runs, in one state (see docs/adr/0002-one-stack-per-environment.md)."""

    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env.stack_name)
        self.env = env
        prefix = name_prefix(env.name)
        S3Backend(
            self,
            bucket=env.state.bucket,
            key=f"{env.stack_name}/terraform.tfstate",
            region=env.state.region,
            encrypt=True,
            dynamodb_table=env.state.lock_table,
        )
        AwsProvider(
            self,
            "aws",
            region=env.region,
            allowed_account_ids=[env.account_id],
            assume_role=[AwsProviderAssumeRole(role_arn=env.deploy_role_arn, session_name=f"{prefix}-cdktf")],
            default_tags=[AwsProviderDefaultTags(tags=mandatory_tags(env))],
        )

        self.encryption = Encryption(
            self,
            "encryption",
            EncryptionProps(
                name_prefix=prefix,
                account_id=env.account_id,
                region=env.region,
                key_admin_role_arns=(env.deploy_role_arn,),
            ),
        )
        self.network = Network(
            self,
            "network",
            NetworkProps(
                name_prefix=prefix,
                region=env.region,
                vpc_cidr=env.network.vpc_cidr,
                availability_zones=tuple(f"{env.region}{s}" for s in AZ_SUFFIXES[: env.network.az_count]),
                nat_mode=NatMode(env.network.nat_strategy.value),
                flow_log_retention_days=env.network.flow_log_retention_days,
                logs_kms_key_arn=self.encryption.key_arn("logs"),
            ),
        )
        TerraformOutput(self, "vpc_id", value=self.network.vpc.id)
