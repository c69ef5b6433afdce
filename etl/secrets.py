"""Secrets come from AWS Secrets Manager at run time; an environment variable stands in only locally.

Values returned here are never logged: callers pass them straight to the client that needs them.
"""

from __future__ import annotations

import os


class SecretUnavailableError(RuntimeError):
    """A secret could be found neither in Secrets Manager nor in the local-development variable."""


def read_secret(secret_id: str | None, local_env_var: str, client: object | None = None) -> str:
    """Return the secret ``secret_id`` from Secrets Manager, or ``$local_env_var`` when no id is given.

    ``secret_id`` is set in AWS (job argument or instance configuration); leaving it unset is the
    local-development path, where the value comes from ``local_env_var``.
    """
    if secret_id:
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        from botocore.exceptions import ClientError

        try:
            response = client.get_secret_value(SecretId=secret_id)
        except ClientError as error:
            # A secret the stack created whose value was never set (a new environment) reads as not found.
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            raise SecretUnavailableError(
                f"secret {secret_id!r} does not exist or has no value yet; check the id, or set its value with "
                "make secret-value (docs/runbooks/key-rotation.md)"
            ) from None
        value = response.get("SecretString")
        if not value:
            raise SecretUnavailableError(f"secret {secret_id!r} has no string value; store it as SecretString")
        return value
    value = os.environ.get(local_env_var, "")
    if not value:
        raise SecretUnavailableError(
            f"no secret configured: pass a Secrets Manager secret id, or for local development set {local_env_var}"
        )
    return value
