"""Set the value of one platform secret, out of band: the stack creates the secret, never its value.

python -m scripts.set_secret ENV SECRET [--generate] [--replace]

The value is read from standard input (hidden when it is a terminal) or, for a secret the platform may
generate (the pseudonymization key), generated with ``--generate``. It is never printed. A secret whose
change rewrites derived data (the pseudonymization key) is only replaced with ``--replace``
(docs/runbooks/key-rotation.md).
"""

from __future__ import annotations

import getpass
import secrets
import sys
from typing import Annotated

import typer
from rich.console import Console

from modules.naming import name_prefix
from modules.platform_secrets import PlatformSecret, Rotation, platform_secret
from scripts.cli import environment_or_exit

console = Console(highlight=False, stderr=True, soft_wrap=True)
app = typer.Typer(add_completion=False, help=__doc__)
GENERATED_BYTES = 48


class SecretValueError(RuntimeError):
    """The value cannot be set; the message says why and what to do."""


def _has_value(client: object, name: str) -> bool:
    versions = client.list_secret_version_ids(SecretId=name)["Versions"]
    return any("AWSCURRENT" in version.get("VersionStages", []) for version in versions)


def set_value(client: object, secret: PlatformSecret, name: str, value: str, *, replace: bool) -> str:
    """Store ``value`` as the current version of secret ``name``; returns the new version id."""
    if not value.strip():
        raise SecretValueError(f"no value given for {name}; pipe it on standard input or use --generate")
    try:
        client.describe_secret(SecretId=name)
    except client.exceptions.ResourceNotFoundException:
        raise SecretValueError(f"secret {name} does not exist; deploy the environment's stack first") from None
    if secret.rotation is Rotation.NEVER_AUTOMATIC and _has_value(client, name) and not replace:
        raise SecretValueError(
            f"{name} already has a value and changing it changes derived data; follow "
            f"docs/runbooks/key-rotation.md#{secret.runbook_anchor}, then pass --replace"
        )
    return client.put_secret_value(SecretId=name, SecretString=value.strip())["VersionId"]


def read_value(secret: PlatformSecret, generate: bool) -> str:
    """The value from ``--generate`` or standard input (never echoed)."""
    if generate:
        if not secret.generated:
            raise SecretValueError(f"{secret.key} is issued by a third party; pipe it on standard input")
        return secrets.token_urlsafe(GENERATED_BYTES)
    if sys.stdin.isatty():
        return getpass.getpass(f"value of {secret.key} (not shown): ")
    return sys.stdin.read()


@app.command()
def main(
    env: Annotated[str, typer.Argument(help="Environment name, e.g. dev.")],
    secret_key: Annotated[str, typer.Argument(metavar="SECRET", help="pseudonym-key, catalog-token or rapidapi.")],
    generate: Annotated[bool, typer.Option(help="Generate a random value (pseudonym-key only).")] = False,
    replace: Annotated[bool, typer.Option(help="Replace a value whose change rewrites derived data.")] = False,
) -> None:
    """Set one secret's value in the environment's account and region."""
    import boto3

    environment = environment_or_exit(env, console)
    try:
        secret = platform_secret(secret_key)
        name = secret.name(name_prefix(environment.name))
        client = boto3.client("secretsmanager", region_name=environment.region)
        version = set_value(client, secret, name, read_value(secret, generate), replace=replace)
    except (KeyError, SecretValueError) as error:
        console.print(f"[red]error:[/] {str(error).strip(chr(39))}")
        raise typer.Exit(1) from None
    console.print(f"set {name} in {environment.region}: new current version {version} (value not shown)")


if __name__ == "__main__":
    sys.exit(app())
