"""Glue 5.0 entry script for the vehicle valuation enrichment: look up the requested plates within the month's
call budget and publish what the month has spent.

The plates to value are a CSV (``plate,state[,mileage]``) the asset team keeps at ``PLATES_KEY`` in the lake.
A run makes at most ``--run_call_budget`` calls, and never more than what is left of ``--monthly_call_budget``
this calendar month (UTC); it then publishes its calls, the month's calls, the month's estimated cost and the
share of the budget used (``etl.enrich.vehicle_valuation.budget``), on which the budget alarm fires at 80 %.
Valuations land in the raw zone through the client's cache, for curation to read. Only the ``__main__`` block
knows about Glue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from etl.enrich.vehicle_valuation.budget import MonthlyBudget, budget_metrics
from etl.enrich.vehicle_valuation.enricher import RunSummary, ValuationEnricher
from etl.enrich.vehicle_valuation.errors import ValuationError
from etl.enrich.vehicle_valuation.limits import MonthlyUsage
from etl.enrich.vehicle_valuation.plates import PlateBatch, parse_plates
from etl.enrich.vehicle_valuation.settings import DATASET, LOCAL_KEY_ENV_VAR, ClientSettings
from etl.jobs import JobArgument, JobArgumentError, parse_int, parse_run_date, present, require, run_entry
from etl.lake import LakeStore, S3LakeStore
from etl.metrics import publish
from etl.secrets import SecretUnavailableError, read_secret

log = logging.getLogger(__name__)
# The plates to value: inside the dataset's raw prefix (so its retention applies), outside its partitions.
PLATES_KEY = f"raw/{DATASET}/_requests/plates.csv"
# The datasets this job lands: their contracts' schedules start it before curation.
LANDS = (DATASET,)
ARGUMENTS = (
    JobArgument("run_date", "the day of the run, YYYY-MM-DD"),
    JobArgument("lake_bucket", "the lake bucket"),
    JobArgument("lake_kms_key_id", "the lake KMS key every write is encrypted with"),
    JobArgument("rapidapi_secret_id", "the Secrets Manager id of the RapidAPI key"),
    JobArgument("valuation_base_url", "the root of the vehicle valuation API"),
    JobArgument("monthly_call_budget", "API calls allowed in a calendar month (UTC)"),
    JobArgument("run_call_budget", "API calls allowed in one run"),
    JobArgument("cost_per_call_usd", "what a billable call costs, for the estimated-cost metric"),
    JobArgument("metrics_namespace", "the CloudWatch namespace of the pipeline metrics"),
)


@dataclass(frozen=True)
class ValuationJobArgs:
    """The enrichment job's arguments, parsed once."""

    run_date: date
    lake_bucket: str
    lake_kms_key_id: str
    rapidapi_secret_id: str
    base_url: str
    budget: MonthlyBudget
    metrics_namespace: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> ValuationJobArgs:
        """Job arguments as Glue resolves them (all strings)."""
        given = require(raw, ARGUMENTS)
        try:
            cost = float(given["cost_per_call_usd"])
        except ValueError:
            raise JobArgumentError(f"--cost_per_call_usd {given['cost_per_call_usd']!r} is not a number") from None
        try:
            budget = MonthlyBudget(
                monthly_calls=parse_int("monthly_call_budget", given["monthly_call_budget"], 0, minimum=1),
                run_calls=parse_int("run_call_budget", given["run_call_budget"], 0, minimum=1),
                cost_per_call_usd=cost,
            )
        except ValueError as error:
            raise JobArgumentError(str(error)) from None
        return cls(
            run_date=parse_run_date(given["run_date"]),
            lake_bucket=given["lake_bucket"],
            lake_kms_key_id=given["lake_kms_key_id"],
            rapidapi_secret_id=given["rapidapi_secret_id"],
            base_url=given["valuation_base_url"],
            budget=budget,
            metrics_namespace=given["metrics_namespace"],
        )


def requested_plates(store: LakeStore) -> PlateBatch:
    """The plates the asset team asked for; none when the request file is absent."""
    if not store.exists(PLATES_KEY):
        return PlateBatch(requests=[], invalid=[])
    return parse_plates(store.get_bytes(PLATES_KEY).decode("utf-8", errors="replace"), period=None)


def main(
    args: ValuationJobArgs,
    store: LakeStore | None = None,
    cloudwatch: object | None = None,
    clock=lambda: datetime.now(UTC),
) -> RunSummary:
    """Value the requested plates within the budget, then publish the month's spend."""
    import boto3

    store = store or S3LakeStore(args.lake_bucket, args.lake_kms_key_id, boto3.client("s3"))
    allowance = args.budget.run_allowance(MonthlyUsage.load(store, clock()))
    batch = requested_plates(store)
    api_key = read_secret(args.rapidapi_secret_id, LOCAL_KEY_ENV_VAR)
    settings = ClientSettings(base_url=args.base_url, run_budget=allowance)
    enricher = ValuationEnricher.open(store, settings, api_key, clock=clock)
    summary = enricher.run(batch.requests, batch.invalid)
    data = budget_metrics(args.budget, summary, enricher.cost.usage, clock())
    publish(cloudwatch or boto3.client("cloudwatch"), args.metrics_namespace, data)
    log.info(
        "vehicle_valuations: %d plate(s), %d invalid line(s), %d call(s) of %d allowed, month %d/%d call(s) (%.1f%%)%s",
        len(batch.requests),
        len(batch.invalid),
        summary.calls_made,
        allowance,
        enricher.cost.usage.calls_made,
        args.budget.monthly_calls,
        args.budget.used_percent(enricher.cost.usage),
        f"; stopped calling: {summary.stop_message}" if summary.stop_message else "",
    )
    return summary


if __name__ == "__main__":
    import sys

    from awsglue.utils import getResolvedOptions

    run_entry(
        "ingest_vehicle_valuations",
        lambda: main(ValuationJobArgs.parse(getResolvedOptions(sys.argv, present(ARGUMENTS, sys.argv)))),
        (SecretUnavailableError, ValuationError),
    )
