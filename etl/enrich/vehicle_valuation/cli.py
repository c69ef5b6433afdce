"""``python -m etl.enrich.vehicle_valuation``: look up a CSV of plates, with a budget, and summarise the run.

Exit codes: 0 every valid plate has a valuation and no input was invalid; 1 some plates are invalid, failed or
were not looked up (all listed); 2 a usage mistake (one line on stderr, nothing looked up).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import pydantic
import typer
from botocore.exceptions import BotoCoreError, ClientError

from etl.enrich.vehicle_valuation.enricher import LookupResult, Outcome, RunSummary, ValuationEnricher
from etl.enrich.vehicle_valuation.errors import ValuationError
from etl.enrich.vehicle_valuation.plates import PLATES_COLUMNS, PlateBatch, parse_plates
from etl.enrich.vehicle_valuation.settings import DEFAULT_BASE_URL, LOCAL_KEY_ENV_VAR, ClientSettings
from etl.lake import LocalLakeStore
from etl.secrets import SecretUnavailableError, read_secret


class UsageMistakeError(ValuationError):
    """The command line or the plates file cannot be used as given."""


def read_plates(path: Path, period: int | None) -> PlateBatch:
    """Validate every line of ``path`` (CSV ``plate,state[,mileage]``, optional header, blank lines ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageMistakeError(f"plates file {path} does not exist; pass a CSV of {PLATES_COLUMNS}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageMistakeError(f"plates file {path} cannot be read as UTF-8 text: {error}") from None
    return parse_plates(text, period)


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def run_enrichment(
    plates: Annotated[Path, typer.Option("--plates", help=f"CSV of {PLATES_COLUMNS}; a header line is optional.")],
    lake: Annotated[Path, typer.Option("--lake", help="Root directory of the local lake (cache, audit, usage).")],
    budget: Annotated[
        int, typer.Option("--budget", min=0, help="Hard cap on API calls in this run, retries included.")
    ],
    base_url: Annotated[str, typer.Option("--base-url", help="Root of the API.")] = DEFAULT_BASE_URL,
    secret_id: Annotated[
        str | None,
        typer.Option(
            "--secret-id",
            help=f"Secrets Manager id of the API key (northwind-<env>/rapidapi); unset: ${LOCAL_KEY_ENV_VAR} (local).",
        ),
    ] = None,
    period: Annotated[
        int | None, typer.Option("--period", min=1, max=365, help="Sales period in days, 1 to 365.")
    ] = None,
    ttl_days: Annotated[
        float, typer.Option("--ttl-days", min=0, max=365, help="Reuse cached valuations younger than this many days.")
    ] = 7.0,
) -> int:
    """Look up vehicle market values for a file of plates, within a budget of API calls."""
    try:
        settings = ClientSettings(base_url=base_url, run_budget=budget, cache_ttl=timedelta(days=ttl_days))
    except pydantic.ValidationError:
        raise UsageMistakeError(f"--base-url {base_url!r} is not an http:// or https:// URL") from None
    batch = read_plates(plates, period)
    try:
        api_key = read_secret(secret_id, LOCAL_KEY_ENV_VAR)
    except (SecretUnavailableError, BotoCoreError, ClientError) as error:
        raise UsageMistakeError(f"cannot read the API key: {error}") from None
    enricher = ValuationEnricher.open(LocalLakeStore(lake), settings, api_key)
    typer.echo(f"{len(batch.requests)} plate(s) to look up, {len(batch.invalid)} invalid line(s), budget {budget}")
    for message in batch.invalid:
        typer.echo(f"invalid input, not looked up: {message}")
    total = len(batch.requests)
    progress = iter(range(1, total + 1))

    def report(result: LookupResult) -> None:
        typer.echo(f"[{next(progress)}/{total}] {_describe(result)}")

    summary = enricher.run(batch.requests, batch.invalid, on_result=report)
    typer.echo(_summary_line(summary))
    if summary.stop_message:
        typer.echo(f"stopped calling: {summary.stop_message}")
    complete = summary.count(Outcome.FETCHED) + summary.count(Outcome.CACHED) == total and not batch.invalid
    return 0 if complete else 1


def _describe(result: LookupResult) -> str:
    plate = f"{result.state_code} plate {result.plate_sha256[:12]}"
    detail = f" ({result.message})" if result.message else ""
    return f"{plate}: {result.outcome.value}, {result.calls} call(s), {result.retries} retry(ies){detail}"


def _summary_line(summary: RunSummary) -> str:
    quota = "unknown" if summary.quota_remaining is None else f"{summary.quota_remaining}/{summary.quota_limit}"
    return (
        f"summary: lookups {len(summary.results)}, fetched {summary.count(Outcome.FETCHED)}, "
        f"cache hits {summary.count(Outcome.CACHED)}, failed {summary.count(Outcome.FAILED)}, "
        f"not looked up {summary.count(Outcome.NOT_LOOKED_UP)} (budget stops {summary.budget_stops}), "
        f"invalid inputs {len(summary.invalid_inputs)}, calls made {summary.calls_made}, "
        f"billable {summary.billable_calls} (this month {summary.month_billable_calls}), "
        f"retries {summary.retries}, quota remaining {quota}"
    )


def _usage_message(error: typer.TyperException) -> str:
    # Typer's usage errors name the option in format_message(); its other exceptions only in str().
    format_message = getattr(error, "format_message", None)
    return format_message() if callable(format_message) else str(error)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a usage mistake prints one line on stderr and returns 2."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # urllib3 logs request URLs, which carry the plate, at DEBUG.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    command = typer.main.get_command(app)
    try:
        return int(
            command.main(
                args=list(argv) if argv is not None else None,
                prog_name="python -m etl.enrich.vehicle_valuation",
                standalone_mode=False,
            )
            or 0
        )
    except typer.TyperException as error:
        typer.echo(f"error: {_usage_message(error)} (see --help)", err=True)
        return 2
    except UsageMistakeError as error:
        typer.echo(f"error: {error}", err=True)
        return 2
