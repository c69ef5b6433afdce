"""Request the erasure of one customer in an environment and wait for it (docs/runbooks/erasure.md).

python -m scripts.erase_customer ENV --customer-id ALFKI --request-id REQ-2026-0042 --requested-by "ticket ..."

Writes the request to the environment's lake bucket, starts the ``erase_customer`` Glue job with the request id
only, waits for it and prints the audit record's figures. Run it as the governance persona.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from etl.erase.run import ErasureRequest, ErasureRequestError
from etl.erase.submit import ErasureRunError, submit_erasure
from modules.lake import lake_bucket_name
from modules.naming import name_prefix
from scripts.cli import environment_or_exit

console = Console(highlight=False, soft_wrap=True)
app = typer.Typer(add_completion=False, help=__doc__)


def erasure_job_name(environment_name: str) -> str:
    """The erasure job of an environment (the processing module names jobs after their entry script)."""
    return f"{name_prefix(environment_name)}-erase-customer"


def summary_lines(record: dict) -> list[str]:
    """Records removed per store, zone and dataset, then serving rows deleted."""
    lines = []
    for store in record["stores"]:
        for where, count in sorted(store["counts"].items()):
            if count["records_removed"]:
                lines.append(
                    f"  {store['store']} {where}: {count['records_removed']} record(s) removed, "
                    f"{count['objects_rewritten']} object(s) rewritten, {count['versions_deleted']} version(s) deleted"
                )
    lines += [f"  serving {table}: {rows} row(s) deleted" for table, rows in record["serving_rows_deleted"].items()]
    return lines


@app.command()
def main(
    env: Annotated[str, typer.Argument(help="Environment name, e.g. prod.")],
    customer_id: Annotated[str, typer.Option(help="The customer's key as the order system knows it.")],
    request_id: Annotated[str, typer.Option(help="The erasure request's id (the ticket).")],
    requested_by: Annotated[str, typer.Option(help="Who asked: a ticket reference or a role, never a name.")],
) -> None:
    """Erase one customer in ``env`` through its erasure job and print what was removed."""
    import boto3

    environment = environment_or_exit(env, console)
    prefix = name_prefix(environment.name)
    try:
        request = ErasureRequest(customer_id, request_id, requested_by)
        clients = (boto3.client(name, region_name=environment.region) for name in ("s3", "glue"))
        record = submit_erasure(
            request,
            lake_bucket_name(environment.name, environment.account_id),
            f"alias/{prefix}-lake",
            erasure_job_name(environment.name),
            tuple(clients),
            console.print,
        )
    except (ErasureRequestError, ErasureRunError) as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    for line in summary_lines(record):
        console.print(line)
    console.print(f"erasure {request_id} {record['status']} in {environment.name}; audit record under reports/erasure/")


if __name__ == "__main__":
    sys.exit(app())
