"""Publish the analytics service's wheelhouse under its content-hashed key, once per content.

python -m scripts.publish_wheelhouse ENV [--wheelhouse dist/wheelhouse]

The delivery pipeline's plan build runs it (``make publish-wheelhouse``) after ``make wheelhouse``; the stack
points the instances at the same key (``ServiceRelease.wheelhouse_prefix``), computed from the same inputs.
Every wheel is written with the lake key (the bucket refuses other uploads), and ``manifest.json`` last: a key
with a manifest is complete and is never written again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from modules.artifacts import REPO_ROOT, service_wheelhouse_hash, wheelhouse_prefix
from modules.naming import artifacts_bucket_name, name_prefix
from scripts.cli import environment_or_exit

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(add_completion=False, help=__doc__)
MANIFEST = "manifest.json"


class PublishError(RuntimeError):
    """The wheelhouse cannot be published; the message says what to do."""


def publish(client: object, bucket: str, prefix: str, wheelhouse: Path, kms_key: str) -> list[str]:
    """Upload every wheel of ``wheelhouse`` under ``prefix``, then the manifest; returns the keys written
    (none when the prefix already holds a complete wheelhouse)."""
    wheels = sorted(wheelhouse.glob("*.whl"))
    if not wheels:
        raise PublishError(f"no wheels in {wheelhouse}; run `make wheelhouse` first")
    listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}{MANIFEST}").get("Contents", [])
    if listed:
        return []
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
    written = []
    for wheel in wheels:
        key = f"{prefix}{wheel.name}"
        client.put_object(Bucket=bucket, Key=key, Body=wheel.read_bytes(), **encryption)
        written.append(key)
    manifest = json.dumps({"wheels": [wheel.name for wheel in wheels]}, indent=2).encode()
    client.put_object(Bucket=bucket, Key=f"{prefix}{MANIFEST}", Body=manifest, **encryption)
    return [*written, f"{prefix}{MANIFEST}"]


@app.command()
def main(
    env: Annotated[str, typer.Argument(help="Environment name, e.g. dev.")],
    wheelhouse: Annotated[Path, typer.Option(help="The built wheelhouse.")] = REPO_ROOT / "dist" / "wheelhouse",
) -> None:
    """Publish the wheelhouse to the environment's artifacts bucket."""
    import boto3

    environment = environment_or_exit(env, console)
    prefix = name_prefix(environment.name)
    bucket = artifacts_bucket_name(prefix, environment.account_id)
    compute = environment.compute
    key_prefix = wheelhouse_prefix(compute.service_package, compute.service_version, service_wheelhouse_hash())
    client = boto3.client("s3", region_name=environment.region)
    try:
        written = publish(client, bucket, key_prefix, wheelhouse, f"alias/{prefix}-lake")
    except PublishError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    verdict = f"{len(written)} object(s) written" if written else "already published, nothing written"
    console.print(f"wheelhouse s3://{bucket}/{key_prefix}: {verdict}")


if __name__ == "__main__":
    sys.exit(app())
