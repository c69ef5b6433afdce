"""The environment side of the promotion pipeline: the role its smoke test assumes in the environment's account."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.delivery.props import SmokeTestAccessProps
from modules.delivery.roles import role_trust
from modules.policy import Statement, policy_json


def smoke_test_statements(props: SmokeTestAccessProps) -> list[Statement]:
    """Read the environment's alarms; start and watch only the dry-run jobs. Nothing else."""
    statements = [
        Statement(
            sid="ReadEnvironmentAlarms",
            actions=("cloudwatch:DescribeAlarms",),
            resources=(f"arn:aws:cloudwatch:{props.region}:{props.account_id}:alarm:{props.alarm_prefix}*",),
        )
    ]
    if props.dry_run_job_arns:
        statements.append(
            Statement(
                sid="RunDryRunJobs",
                actions=("glue:GetJobRun", "glue:StartJobRun"),
                resources=props.dry_run_job_arns,
            )
        )
    return statements


class SmokeTestAccess(Construct):
    """``<stack>-smoke-test``: trusted by the delivery account's smoke-test build of this environment only.

    Exposes ``role``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: SmokeTestAccessProps) -> None:
        super().__init__(scope, construct_id)
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description="Northwind delivery: the promotion pipeline's smoke test after each apply",
            assume_role_policy=role_trust(props.trusted_role_arn),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self, "policy", role=self.role.id, name="smoke-test", policy=policy_json(smoke_test_statements(props))
        )
