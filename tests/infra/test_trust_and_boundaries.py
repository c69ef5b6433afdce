"""Who may assume each role of every stack, the environments' and the delivery account's, and the ceiling on what
it may do. Walks every ``aws_iam_role``, so roles any capability adds are held to the same rules."""

from __future__ import annotations

import fnmatch
import json

import pytest

from modules.identity import MFA_SESSION_TAG, PermissionsBoundary, Persona
from modules.policy import TRUST_WITHOUT_SOURCE_CONTEXT, assume_role_policy
from scripts.account_policies import boundary_document
from tests.infra.construct_synth import synth_construct
from tests.infra.stack_json import as_list, role_statements

BOUNDARY = "${data.aws_iam_policy.permissions-boundary.arn}"
# The ARN service prefix a service principal's resources carry (for its aws:SourceArn).
SOURCE_ARN_SERVICE = {
    "backup.amazonaws.com": "backup",
    "cloudtrail.amazonaws.com": "cloudtrail",
    "codebuild.amazonaws.com": "codebuild",
    "codepipeline.amazonaws.com": "codepipeline",
    "firehose.amazonaws.com": "firehose",
    "glue.amazonaws.com": "glue",
    "lakeformation.amazonaws.com": "lakeformation",
    "lambda.amazonaws.com": "lambda",
    "monitoring.rds.amazonaws.com": "rds",
    "s3.amazonaws.com": "s3",
    "scheduler.amazonaws.com": "scheduler",
    "states.amazonaws.com": "states",
    "transfer.amazonaws.com": "transfer",
    "vpc-flow-logs.amazonaws.com": "ec2",
}


def _trust(role: dict) -> list[dict]:
    return as_list(json.loads(role["assume_role_policy"])["Statement"])


def _account(stack, environments, delivery):
    name = stack.name.removeprefix("northwind-")
    return delivery if name == delivery.name else environments[name]


def test_every_role_of_every_stack_carries_its_accounts_permissions_boundary(any_stack, environments, delivery):
    roles = any_stack.resources("aws_iam_role")
    unbounded = sorted(b["name"] for b in roles.values() if b.get("permissions_boundary") != BOUNDARY)
    assert unbounded == [] and len(roles) >= 11
    lookup = any_stack.config["data"]["aws_iam_policy"]["permissions-boundary"]
    assert lookup["arn"] == _account(any_stack, environments, delivery).permissions_boundary_arn


def test_every_service_role_trusts_its_service_only_for_this_account_and_its_resources(
    any_stack, environments, delivery
):
    stack = any_stack
    env = _account(stack, environments, delivery)
    for role in stack.resources("aws_iam_role").values():
        for statement in _trust(role):
            service = statement["Principal"].get("Service")
            if service is None or service in TRUST_WITHOUT_SOURCE_CONTEXT:
                continue
            where = f"{role['name']} ({service})"
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": env.account_id}, where
            source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]
            arn_service = SOURCE_ARN_SERVICE[service]
            if arn_service == "s3":
                assert source_arn.startswith("arn:aws:s3:::northwind-data-lake-"), where
            else:
                assert source_arn.startswith(f"arn:aws:{arn_service}:{env.region}:{env.account_id}:"), where


def test_a_service_trust_without_a_source_account_is_refused_unless_the_service_sends_none():
    with pytest.raises(ValueError, match="name the source account"):
        assume_role_policy("glue.amazonaws.com", source_account=None)
    with pytest.raises(ValueError, match="EC2 takes an instance role"):
        assume_role_policy("ec2.amazonaws.com", source_account="111111111111")
    assert "Condition" not in assume_role_policy("ec2.amazonaws.com", source_account=None)


def test_persona_roles_trust_only_saml_sessions_the_identity_provider_signed_in_with_mfa(stack):
    roles = {b["name"].removeprefix(f"{stack.name}-"): b for b in stack.resources("aws_iam_role").values()}
    for persona in Persona:
        (statement,) = _trust(roles[persona.value])
        assert statement["Principal"] == {"Federated": "${data.aws_iam_saml_provider.workforce-identity-provider.arn}"}
        assert statement["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
        # aws:MultiFactorAuthPresent is never set for SAML sessions: the IdP asserts MFA as a signed session tag.
        assert statement["Condition"] == {
            "StringEquals": {
                "SAML:aud": "https://signin.aws.amazon.com/saml",
                f"aws:RequestTag/{MFA_SESSION_TAG}": "true",
            }
        }
        assert roles[persona.value]["max_session_duration"] == 3600


def test_the_sre_persona_starts_sessions_only_on_this_environments_analytics_instances(stack):
    statements = role_statements(stack, "devops-sre")
    start = [s for s in statements.values() if "ssm:StartSession" in s["Action"]]
    by_resource = {r: s for s in start for r in s["Resource"]}
    instances = by_resource[
        "arn:aws:ec2:eu-west-2:" + stack.config["provider"]["aws"][0]["allowed_account_ids"][0] + ":instance/*"
    ]
    assert instances["Condition"] == {
        "StringEquals": {"ssm:resourceTag/aws:autoscaling:groupName": f"{stack.name}-analytics"}
    }
    document = by_resource["arn:aws:ssm:eu-west-2::document/SSM-SessionManagerRunShell"]
    assert document["Condition"] == {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    assert all(set(s["Resource"]) in ({r} for r in by_resource) for s in start)


def test_the_sre_persona_resumes_and_ends_only_its_own_sessions(stack):
    (statement,) = [s for s in role_statements(stack, "devops-sre").values() if "ssm:TerminateSession" in s["Action"]]
    assert statement["Action"] == ["ssm:ResumeSession", "ssm:TerminateSession"]
    # "$${" is Terraform's escape: IAM receives the policy variable ${aws:userid} untouched.
    assert statement["Condition"] == {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["$${aws:userid}*"]}}


def _boundary(env) -> tuple[list[str], list[str]]:
    document = json.loads(boundary_document(env))
    allow = [a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]
    deny = [a for s in document["Statement"] if s["Effect"] == "Deny" and "Condition" not in s for a in s["Action"]]
    return allow, deny


def _matches(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def test_every_action_a_role_of_the_stacks_is_granted_lies_within_the_boundary_so_none_is_cut_silently(
    any_stack, environments, delivery
):
    allow, deny = _boundary(_account(any_stack, environments, delivery))
    for policy in any_stack.resources("aws_iam_role_policy").values():
        for statement in as_list(json.loads(policy["policy"])["Statement"]):
            for action in as_list(statement["Action"]):
                assert _matches(action, allow) and not _matches(action, deny), f"{policy['name']}: {action}"


def test_the_delivery_accounts_boundary_admits_its_builds_and_pipeline_and_denies_iam_changes(delivery):
    allow, deny = _boundary(delivery)
    for action in ("codebuild:StartBuild", "codeconnections:UseConnection", "sts:AssumeRole", "sns:Publish"):
        assert _matches(action, allow) and not _matches(action, deny), action
    for action in ("iam:CreateRole", "iam:PassRole", "glue:StartJobRun", "rds:DeleteDBInstance"):
        assert not _matches(action, allow) or _matches(action, deny), action


def test_the_boundary_denies_iam_changes_and_switching_the_detective_controls_off(environments):
    allow, deny = _boundary(environments["prod"])
    for action in (
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:PassRole",
        "cloudtrail:StopLogging",
        "config:StopConfigurationRecorder",
        "guardduty:DeleteDetector",
        "securityhub:DisableSecurityHub",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "s3:PutBucketPolicy",
        "organizations:LeaveOrganization",
    ):
        assert _matches(action, deny), action
    assert not _matches("cloudtrail:LookupEvents", deny) and _matches("cloudtrail:LookupEvents", allow)


def test_a_role_naming_a_boundary_of_its_own_is_refused_because_the_stacks_boundary_applies_to_all():
    from cdktf import Aspects
    from cdktf_cdktf_provider_aws.iam_role import IamRole

    def build(scope):
        IamRole(scope, "bounded", name="x", assume_role_policy="{}", permissions_boundary="arn:aws:iam::1:policy/other")
        Aspects.of(scope).add(PermissionsBoundary("arn:aws:iam::1:policy/northwind-workload-boundary"))

    with pytest.raises(RuntimeError, match="names its own permissions boundary"):
        synth_construct(build)
