"""Write a new environment's definition from an existing one and give it its place in the promotion order.

    python -m scripts.new_environment qa --like stage --account-id 555555555555 --vpc-cidr 10.40.0.0/16 \
        --hostname analytics.qa.northwind.example --after dev

Copies ``environments/<like>.yaml`` to ``environments/<name>.yaml`` with the new name, account, VPC range,
state bucket and lock table, and the service's domain (the stack finds the ISSUED certificate for it, which
``scripts.service_certificate`` requests), inserts the name into ``environments/delivery/delivery.yaml``'s
promotion after ``--after``, adds it to every suppression in ``policy/suppressions.yaml`` that names
``--like`` (listed, to be reviewed: each reason must hold for the new environment too), and validates every
definition. Nothing is written when the result would not validate.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from environments import (
    DEFINITIONS_DIR,
    DELIVERY_DEFINITION,
    EnvironmentDefinitionError,
    load_delivery,
    load_environments,
)
from scripts.policy_gate import SUPPRESSIONS_FILE

app = typer.Typer(add_completion=False, help=__doc__)
PROMOTION_LINE = re.compile(r"^promotion: \[(?P<names>[^\]]*)\]$", re.MULTILINE)


class ScaffoldError(ValueError):
    """The new environment cannot be written as asked; the message says why."""


def definition_for(like: dict, name: str, account_id: str, vpc_cidr: str, hostname: str) -> dict:
    """``like``'s settings with what must differ per environment replaced."""
    definition = {**like, "name": name, "account_id": account_id}
    definition["state"] = {
        **like["state"],
        "bucket": f"northwind-terraform-state-{name}",
        "lock_table": f"northwind-terraform-locks-{name}",
    }
    definition["network"] = {**like["network"], "vpc_cidr": vpc_cidr}
    definition["compute"] = {**like["compute"], "certificate_domain": hostname}
    return definition


def with_promotion(delivery_text: str, name: str, after: str) -> str:
    """The delivery definition with ``name`` promoted right after ``after``; comments are kept."""
    match = PROMOTION_LINE.search(delivery_text)
    if match is None:
        raise ScaffoldError(f"{DELIVERY_DEFINITION}: no one-line 'promotion: [...]' to extend")
    names = [n.strip() for n in match.group("names").split(",") if n.strip()]
    if after not in names:
        raise ScaffoldError(f"--after {after}: not in the promotion order ({', '.join(names)})")
    if name in names:
        raise ScaffoldError(f"{name} is already promoted to")
    names.insert(names.index(after) + 1, name)
    return delivery_text[: match.start()] + f"promotion: [{', '.join(names)}]" + delivery_text[match.end() :]


SUPPRESSION_ENVIRONMENTS = re.compile(r"^(?P<indent>\s+environments: \[)(?P<names>[^\]]*)\]$", re.MULTILINE)


def with_suppressions(text: str, name: str, like: str) -> tuple[str, int]:
    """The suppressions file with ``name`` beside ``like`` in every entry that names ``like``; comments and
    reasons are kept as written."""
    count = 0

    def extend(match: re.Match) -> str:
        nonlocal count
        names = [n.strip() for n in match.group("names").split(",")]
        if like not in names or name in names:
            return match.group(0)
        count += 1
        return f"{match.group('indent')}{', '.join([*names, name])}]"

    return SUPPRESSION_ENVIRONMENTS.sub(extend, text), count


def scaffold(
    directory: Path,
    name: str,
    like: str,
    account_id: str,
    vpc_cidr: str,
    hostname: str,
    after: str,
    suppressions: Path = SUPPRESSIONS_FILE,
) -> tuple[Path, int]:
    """Write ``<name>.yaml``, the promotion entry and the suppressions ``like`` holds, then validate; on failure
    nothing stays written. Returns the new file and how many suppressions now name ``name``."""
    target = directory / f"{name}.yaml"
    if target.exists():
        raise ScaffoldError(f"{target.name} exists already; edit it instead")
    source = directory / f"{like}.yaml"
    if not source.is_file():
        raise ScaffoldError(f"--like {like}: no {source.name} in {directory}")
    delivery_file = directory / DELIVERY_DEFINITION
    previous_delivery = delivery_file.read_text(encoding="utf-8")
    previous_suppressions = suppressions.read_text(encoding="utf-8")
    definition = definition_for(
        yaml.safe_load(source.read_text(encoding="utf-8")), name, account_id, vpc_cidr, hostname
    )
    header = f"# Created from {like}.yaml by scripts/new_environment.py; review every setting before merging.\n"
    target.write_text(header + yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    try:
        delivery_file.write_text(with_promotion(previous_delivery, name, after), encoding="utf-8")
        load_delivery(directory, load_environments(directory))
    except (EnvironmentDefinitionError, ScaffoldError):
        target.unlink()
        delivery_file.write_text(previous_delivery, encoding="utf-8")
        raise
    extended, count = with_suppressions(previous_suppressions, name, like)
    suppressions.write_text(extended, encoding="utf-8")
    return target, count


@app.command()
def main(
    name: Annotated[str, typer.Argument(help="The new environment's name (at most 5 characters).")],
    like: Annotated[str, typer.Option(help="The environment to copy (stage for a production-like one).")],
    account_id: Annotated[str, typer.Option(help="The new environment's AWS account (12 digits).")],
    vpc_cidr: Annotated[str, typer.Option(help="A free private range, /16 to /20.")],
    hostname: Annotated[str, typer.Option(help="The service's public name; its certificate is requested for it.")],
    after: Annotated[str, typer.Option(help="The environment it is promoted after.")],
    definitions: Annotated[Path, typer.Option(help="Folder of environment definitions.")] = DEFINITIONS_DIR,
    suppressions: Annotated[Path, typer.Option(help="The reviewed suppressions file.")] = SUPPRESSIONS_FILE,
) -> None:
    try:
        written, count = scaffold(definitions, name, like, account_id, vpc_cidr, hostname, after, suppressions)
    except (EnvironmentDefinitionError, ScaffoldError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"wrote {written} (promoted after {after}); {count} suppressions of {like} now name {name} too: review "
        f"each reason in {suppressions.name}. Every definition validates. Next: the account bootstrap"
    )


if __name__ == "__main__":
    sys.exit(app())
