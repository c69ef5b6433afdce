"""Freshness against the contracts' SLA, and the metrics a curation run publishes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rich.console import Console

from etl.curate.drift import SchemaDrift
from etl.curate.report import DatasetRunReport, RunStatus
from etl.ingest.landing import land_file
from etl.ingest.rows import FileCount
from etl.lake import LocalLakeStore
from etl.metrics import metric_data, publish
from etl.pipeline import freshness_table
from etl.sla import measure, record_curation, share_within_sla

DAY = date(2026, 11, 30)


def _report(dataset: str, status: RunStatus = RunStatus.OK, landed: int = 2, curated: int = 2) -> DatasetRunReport:
    return DatasetRunReport(dataset, DAY, landed, curated, landed - curated, (), SchemaDrift(), status, 0.1)


def test_freshness_is_the_age_of_the_newest_landed_file_curation_read(tmp_path):
    store = LocalLakeStore(tmp_path)
    landed = land_file(store, "orders", DAY, "orders.csv", b"a,b\n1,2\n", FileCount(1))

    newest = record_curation(store, _report("orders"), [landed.key])
    (freshness,) = measure(store, ["orders"], newest + timedelta(hours=30))

    assert (freshness.hours, freshness.sla_hours, freshness.within_sla) == (30.0, 26.0, False)
    assert measure(store, ["orders"], newest + timedelta(hours=2))[0].within_sla


def test_a_run_that_curated_no_file_leaves_freshness_alone(tmp_path):
    store = LocalLakeStore(tmp_path)
    land_file(store, "orders", DAY, "orders.csv", b"x\n", FileCount(1))
    drifted = _report("orders", RunStatus.SCHEMA_DRIFT, curated=0)

    assert record_curation(store, drifted, drifted.curated_files) is None
    (freshness,) = measure(store, ["orders"])
    assert (freshness.hours, freshness.within_sla) == (None, False)


def test_an_older_file_read_again_does_not_make_a_dataset_look_staler(tmp_path):
    store = LocalLakeStore(tmp_path)
    first = land_file(store, "products", DAY, "page-1.json", b"{}", FileCount(1))
    newest = record_curation(store, _report("products"), [first.key])

    assert record_curation(store, _report("products"), []) == newest
    assert record_curation(store, _report("products"), [first.key]) == newest


def test_the_share_within_sla_counts_datasets_never_curated_as_outside(tmp_path):
    store = LocalLakeStore(tmp_path)
    landed = land_file(store, "orders", DAY, "orders.csv", b"x\n", FileCount(1))
    record_curation(store, _report("orders"), [landed.key])
    measured = measure(store, ["orders", "customers"], datetime.now(UTC))

    assert share_within_sla(measured) == 50.0
    assert share_within_sla([]) == 0.0
    console = Console(width=200, record=True)
    console.print(freshness_table(measured))
    text = console.export_text()
    assert "50% of datasets within SLA" in text and "never" in text


def test_a_run_publishes_counts_for_what_it_curated_and_freshness_for_every_dataset(tmp_path):
    store = LocalLakeStore(tmp_path)
    landed = land_file(store, "orders", DAY, "orders.csv", b"x\n", FileCount(1))
    record_curation(store, _report("orders"), [landed.key])
    now = datetime.now(UTC)

    data = metric_data([_report("orders", landed=3, curated=2)], measure(store, ["orders", "customers"], now), now)

    named = {(d["MetricName"], (d.get("Dimensions") or [{}])[0].get("Value")): d["Value"] for d in data}
    assert named[("RowsLanded", "orders")] == 3 and named[("RowsQuarantined", "orders")] == 1
    assert named[("Balanced", "orders")] == 1 and named[("WithinSla", "orders")] == 1
    assert ("FreshnessHours", "customers") not in named and named[("WithinSla", "customers")] == 0
    assert named[("DatasetsWithinSlaPercent", None)] == 50.0

    calls = []

    class Recorder:
        def put_metric_data(self, **request):
            calls.append(request)

    assert publish(Recorder(), "Northwind/Pipeline", data * 40) == len(data) * 40
    assert all(len(call["MetricData"]) <= 150 and call["Namespace"] == "Northwind/Pipeline" for call in calls)
