"""What each role of the promotion pipeline may do, as policy statements.

Every build role reads only the artifacts its step consumes and writes only the one it produces: CodePipeline
keeps an artifact under ``<first 20 characters of the pipeline>/<first 10 of the artifact>/``, so a plan build
of one environment cannot overwrite another's approved plan, and no step but the build writes what it built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from modules.delivery.props import DeliveryProps
from modules.policy import Statement

PIPELINE_FOLDER_LENGTH = 20
ARTIFACT_FOLDER_LENGTH = 10
CONNECTION_ACTIONS = ("codeconnections:UseConnection", "codestar-connections:UseConnection")


def artifact_objects(props: DeliveryProps, artifact: str) -> str:
    """The S3 objects of one pipeline artifact, in every execution."""
    pipeline = props.pipeline_name[:PIPELINE_FOLDER_LENGTH]
    return f"{props.artifacts_bucket_arn}/{pipeline}/{artifact[:ARTIFACT_FOLDER_LENGTH]}/*"


def _through(sid: str, key_arn: str, service: str, region: str) -> Statement:
    return Statement(
        sid=sid,
        actions=("kms:Decrypt", "kms:GenerateDataKey"),
        resources=(key_arn,),
        conditions={"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}},
    )


def _locate_store(props: DeliveryProps) -> Statement:
    return Statement(
        sid="LocateArtifactStore",
        actions=("s3:GetBucketAcl", "s3:GetBucketLocation"),
        resources=(props.artifacts_bucket_arn,),
    )


def build_step_statements(
    props: DeliveryProps,
    log_group_arn: str,
    reads: Iterable[str],
    writes: Iterable[str],
    assumes: str | None = None,
) -> list[Statement]:
    """A build role: its log streams, the artifacts it ``reads`` and ``writes``, and at most one role to assume."""
    statements = [
        Statement(
            sid="WriteBuildLogs",
            actions=("logs:CreateLogStream", "logs:PutLogEvents"),
            resources=(f"{log_group_arn}:log-stream:*",),
        ),
        _locate_store(props),
        Statement(
            sid="ReadInputArtifacts",
            actions=("s3:GetObject", "s3:GetObjectVersion"),
            resources=tuple(artifact_objects(props, a) for a in reads),
        ),
        _through("UseArtifactKeyThroughS3", props.artifacts_kms_key_arn, "s3", props.region),
    ]
    outputs = tuple(artifact_objects(props, a) for a in writes)
    if outputs:
        statements.append(Statement(sid="WriteOutputArtifact", actions=("s3:PutObject",), resources=outputs))
    if assumes:
        statements.append(Statement(sid="AssumeTargetRole", actions=("sts:AssumeRole",), resources=(assumes,)))
    return statements


def rollback_lookup_statement(props: DeliveryProps) -> Statement:
    """The smoke test names the last execution that passed the stage, for the rollback command it prints."""
    return Statement(
        sid="FindRollbackExecution",
        actions=("codepipeline:ListActionExecutions", "codepipeline:ListPipelineExecutions"),
        resources=(props.pipeline_arn,),
    )


def pipeline_statements(props: DeliveryProps, project_arns: tuple[str, ...]) -> list[Statement]:
    """The pipeline's own role: start its builds, read the commit through the connection, move artifacts,
    notify approvers."""
    return [
        Statement(
            sid="RunBuilds", actions=("codebuild:BatchGetBuilds", "codebuild:StartBuild"), resources=project_arns
        ),
        Statement(sid="UseGitHubConnection", actions=CONNECTION_ACTIONS, resources=(props.connection_arn,)),
        _locate_store(props),
        Statement(
            sid="ReadWriteArtifacts",
            actions=("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
            resources=(f"{props.artifacts_bucket_arn}/{props.pipeline_name[:PIPELINE_FOLDER_LENGTH]}/*",),
        ),
        _through("EncryptArtifactsThroughS3", props.artifacts_kms_key_arn, "s3", props.region),
        Statement(sid="NotifyApprovers", actions=("sns:Publish",), resources=(props.approval_topic_arn,)),
        _through("EncryptNotificationsThroughSns", props.approval_topic_kms_key_arn, "sns", props.region),
    ]


def service_trust(service: str, account_id: str, source_arn: str) -> str:
    """Trust of a service principal, confined to one resource of this account (no confused deputy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                }
            ],
        }
    )


def role_trust(role_arn: str) -> str:
    """Trust of exactly one role of another account."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "sts:AssumeRole"}],
        }
    )
