"""``python -m etl.generate --order-lines N --events M --seed S --out DIR``: write a generated source folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from etl.generate.dataset import GeneratorSpec, GeneratorSpecError, generate
from etl.generate.malformed import MalformedKind
from etl.generate.sample import SampleError
from etl.samples import NORTHWIND_EXPORT

DEFAULT_SAMPLE = NORTHWIND_EXPORT

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    order_lines: Annotated[int, typer.Option(help="Order lines to generate (orders follow the sample's shape).")],
    events: Annotated[int, typer.Option(help="Clickstream events to generate.")],
    out: Annotated[Path, typer.Option(help="Folder to write the source files into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed and sizes give the same bytes.")] = 1,
    sample: Annotated[Path, typer.Option(help="The Northwind export to scale.")] = DEFAULT_SAMPLE,
    clickstream_days: Annotated[int, typer.Option(help="Days the clickstream spans from 2026-10-01.")] = 30,
    malformed: Annotated[
        list[MalformedKind] | None, typer.Option(help="Inject this kind of broken input (repeatable).")
    ] = None,
) -> None:
    """Generate a deterministic Northwind-shaped source folder at the requested volume."""
    console = Console()
    started = time.perf_counter()
    try:
        spec = GeneratorSpec(
            order_lines=order_lines,
            events=events,
            seed=seed,
            sample_dir=sample,
            clickstream_days=clickstream_days,
            malformed=tuple(malformed or ()),
        )
    except GeneratorSpecError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    try:
        result = generate(spec, out)
    except SampleError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    console.print(
        f"wrote {result.orders:,} orders / {result.order_lines:,} order lines, {result.events:,} events in "
        f"{result.clickstream_files} hourly files, {result.market_files} market files to {out} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for injection in result.injections:
        console.print(f"injected {injection.kind.value}: {injection.rows} row(s) in {injection.file}")


if __name__ == "__main__":
    app()
