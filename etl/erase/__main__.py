"""``python -m etl.erase`` (``make erase-customer``): erase one customer from a local lake and, when given, a
serving database, and print the audit record's figures. In AWS the ``erase_customer`` Glue job runs the same
code against the lake bucket, its replica and the serving database (docs/runbooks/erasure.md)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.erase.audit import ErasureRecord
from etl.erase.objects import StoreObjects
from etl.erase.run import ErasureRequest, ErasureRequestError, LakeTarget, erase_customer
from etl.lake import LocalLakeStore
from etl.pipeline import DEFAULT_LOCAL_DIR

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=__doc__)


def summary_table(record: ErasureRecord) -> Table:
    """Records removed per store, zone and dataset, then serving rows deleted."""
    table = Table(title=f"Erasure {record.request_id} ({record.status})")
    for column in ("store", "zone/dataset", "objects scanned", "rewritten", "versions deleted", "records removed"):
        table.add_column(column, justify="left" if column in ("store", "zone/dataset") else "right")
    for store in record.stores:
        for where, count in sorted(store.counts.items()):
            table.add_row(
                store.store,
                where,
                str(count.objects_scanned),
                str(count.objects_rewritten),
                str(count.versions_deleted),
                str(count.records_removed),
            )
    for name, rows in record.serving_rows_deleted.items():
        table.add_row("serving database", name, "", "", "", str(rows))
    return table


@app.command()
def main(
    customer_id: Annotated[str, typer.Option(help="The customer's key as the order system knows it.")],
    request_id: Annotated[str, typer.Option(help="The erasure request's id (the ticket).")],
    requested_by: Annotated[str, typer.Option(help="Who asked: a ticket reference or a role, never a name.")],
    lake: Annotated[Path, typer.Option(help="Lake root folder.")] = DEFAULT_LOCAL_DIR / "lake",
    database_url: Annotated[
        str | None, typer.Option(help="libpq connection string of the serving database; unset: lake only.")
    ] = None,
) -> None:
    """Erase one customer and print what was removed; the audit record goes to the lake's reports zone."""
    console = Console(width=None if sys.stdout.isatty() else 150)
    try:
        request = ErasureRequest(customer_id, request_id, requested_by)
    except ErasureRequestError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    if not lake.is_dir():
        console.print(f"[red]error:[/red] no lake at {lake}; pass --lake")
        raise typer.Exit(2)
    store = LocalLakeStore(lake)
    started = datetime.now(UTC)
    connection = psycopg.connect(database_url) if database_url else None
    try:
        record = erase_customer(
            request,
            [LakeTarget(StoreObjects(store), store)],
            store,
            resolve_pseudonym_key(),
            connection,
            console.print,
        )
    finally:
        if connection is not None:
            connection.close()
    console.print(summary_table(record))
    seconds = (datetime.now(UTC) - started).total_seconds()
    console.print(
        f"erased {record.lake_records_removed} lake record(s) and {sum(record.serving_rows_deleted.values())} serving "
        f"row(s) in {seconds:.1f} s; audit record {lake / record.key}"
    )


if __name__ == "__main__":
    app()
