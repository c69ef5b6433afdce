"""Secrets Manager secrets the platform reads: encrypted with the secrets key, readable only by their readers."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_policy import SecretsmanagerSecretPolicy
from constructs import Construct

from modules.policy import Statement, policy_json
from modules.secrets.props import SecretReaders, SecretsProps

READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
WRITE_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue")


def resource_policy(secret_arn: str, readers: tuple[str, ...], writers: tuple[str, ...]) -> str:
    """Readers read, writers set values, and every other principal is denied the value, whatever its IAM
    policies say."""
    return policy_json(
        [
            Statement(
                sid="ReadersReadTheValue", actions=READ_ACTIONS, resources=(secret_arn,), principals={"AWS": readers}
            ),
            Statement(
                sid="WritersSetTheValue", actions=WRITE_ACTIONS, resources=(secret_arn,), principals={"AWS": writers}
            ),
            Statement(
                sid="NobodyElseReadsTheValue",
                effect="Deny",
                actions=("secretsmanager:GetSecretValue",),
                resources=(secret_arn,),
                principals={"AWS": "*"},
                conditions={"ArnNotEquals": {"aws:PrincipalArn": list(readers)}},
            ),
        ]
    )


class Secrets(Construct):
    """One ``aws_secretsmanager_secret`` per platform secret, with its resource policy; no value is created here
    (values are set out of band, so none reaches Terraform state).

    Exposes ``secrets`` (key -> ``SecretsmanagerSecret``) and ``secret_arn(key)``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: SecretsProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.secrets: dict[str, SecretsmanagerSecret] = {}
        for entry in props.secrets:
            self._secret(entry)

    def _secret(self, entry: SecretReaders) -> None:
        props = self.props
        key = entry.secret.key
        secret = SecretsmanagerSecret(
            self,
            f"{key}-secret",
            name=entry.secret.name(props.name_prefix),
            description=f"{entry.secret.description}; rotation: {entry.secret.rotation.value}",
            kms_key_id=props.kms_key_arn,
            recovery_window_in_days=props.recovery_window_days,
            tags={"rotation": entry.secret.rotation.value},
        )
        SecretsmanagerSecretPolicy(
            self,
            f"{key}-policy",
            secret_arn=secret.arn,
            block_public_policy=True,
            policy=resource_policy(secret.arn, entry.reader_role_arns, props.writer_role_arns),
        )
        self.secrets[key] = secret

    def secret_arn(self, key: str) -> str:
        """The ARN of the secret called ``key``."""
        if key not in self.secrets:
            raise KeyError(f"no secret {key!r}; known: {', '.join(sorted(self.secrets))}")
        return self.secrets[key].arn
