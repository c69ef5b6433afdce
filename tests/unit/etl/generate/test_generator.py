"""The volume generator: deterministic output in the raw formats, at the requested sizes."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etl.generate.__main__ import app
from etl.generate.clickstream import STAGES
from etl.generate.dataset import CompanionSpec, GeneratorSpec, GeneratorSpecError, generate, write_sample_companions

ORDER_HEADER = (
    "orderID,customerID,employeeID,orderDate,requiredDate,shippedDate,shipVia,freight,shipName,shipAddress,"
    "shipCity,shipRegion,shipPostalCode,shipCountry"
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _events(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((folder / "clickstream").glob("*.jsonl.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]


@pytest.fixture(scope="module")
def generated(tmp_path_factory, northwind_sample_dir):
    spec = GeneratorSpec(
        order_lines=3_000, events=4_000, seed=11, sample_dir=northwind_sample_dir, clickstream_days=2, workers=1
    )
    return spec, generate(spec, tmp_path_factory.mktemp("generated"))


def test_the_same_seed_and_sizes_give_byte_identical_files_whatever_the_worker_count(generated, tmp_path):
    spec, first = generated
    again = generate(GeneratorSpec(**{**spec.__dict__, "workers": 2}), tmp_path / "again")

    assert _digests(first.folder) == _digests(again.folder)


def test_a_different_seed_gives_different_orders(generated, tmp_path):
    spec, first = generated
    other = generate(GeneratorSpec(**{**spec.__dict__, "seed": 12}), tmp_path / "other")

    assert (first.folder / "orders.csv").read_bytes() != (other.folder / "orders.csv").read_bytes()


def test_order_lines_come_to_the_requested_count_with_unique_keys_of_existing_orders(generated):
    _, result = generated
    header, *lines = _rows(result.folder / "order-details.csv")
    order_header, *orders = _rows(result.folder / "orders.csv")

    assert header == ["orderID", "productID", "unitPrice", "quantity", "discount"]
    assert ",".join(order_header) == ORDER_HEADER
    assert len(lines) == 3_000
    assert len({(line[0], line[1]) for line in lines}) == 3_000
    assert {line[0] for line in lines} == {order[0] for order in orders}
    assert all(len(order) == 14 for order in orders)


def test_customers_and_products_grow_beyond_the_sample_with_unique_ids(generated, northwind_sample_dir):
    _, result = generated
    _, *customers = _rows(result.folder / "customers.csv")
    _, *sample_customers = _rows(northwind_sample_dir / "customers.csv")
    _, *orders = _rows(result.folder / "orders.csv")

    assert len(customers) > len(sample_customers)
    assert len({customer[0] for customer in customers}) == len(customers)
    assert {order[1] for order in orders} <= {customer[0] for customer in customers}


def test_clickstream_has_the_requested_events_and_a_funnel_that_narrows_stage_by_stage(generated):
    _, result = generated
    events = _events(result.folder)
    sessions_at = {stage: {e["session_id"] for e in events if e["event_type"] == stage} for stage in STAGES}

    assert len(events) == 4_000
    assert [len(sessions_at[stage]) for stage in STAGES] == sorted(
        (len(sessions_at[stage]) for stage in STAGES), reverse=True
    )
    assert len(sessions_at["purchase"]) > 0
    assert all((e["order_id"] is not None) == (e["event_type"] == "purchase") for e in events)
    assert all(e["event_time"].endswith("Z") for e in events)
    assert len({e["event_id"] for e in events}) == 4_000


def test_each_hourly_file_holds_only_its_hour_in_time_order(generated):
    _, result = generated
    for path in sorted((result.folder / "clickstream").glob("*.jsonl.gz")):
        times = [json.loads(line)["event_time"] for line in gzip.decompress(path.read_bytes()).splitlines()]
        hour = path.name.removeprefix("events-").removesuffix(".jsonl.gz")
        assert times == sorted(times)
        assert {t[:13].replace("-", "").replace("T", "") for t in times} == {hour}


def test_market_indicators_cover_every_day_country_and_indicator_once(generated):
    _, result = generated
    rows = [row for path in sorted((result.folder / "market-drop").glob("*.csv")) for row in _rows(path)[1:]]
    keys = Counter((row[0], row[1], row[2]) for row in rows)
    days = {row[0] for row in rows}
    countries = {row[1] for row in rows}

    assert set(keys.values()) == {1}
    assert len(keys) == len(days) * len(countries) * 4
    assert {row[2] for row in rows} == {"consumer_confidence", "freight_index", "fx_usd", "retail_sales_index"}


def test_sample_companions_refer_to_the_samples_own_customers(tmp_path, northwind_sample_dir):
    spec = CompanionSpec(500, 3, date(2026, 10, 24), 2, market_start=date(1998, 4, 1), market_end=date(1998, 4, 3))
    write_sample_companions(northwind_sample_dir, tmp_path, spec)
    customers = {row[0] for row in _rows(northwind_sample_dir / "customers.csv")[1:]}

    known = {e["customer_id"] for e in _events(tmp_path)} - {None}
    assert known and known <= customers


def _copy_sample(sample_dir: Path, target: Path) -> Path:
    target.mkdir()
    for path in sample_dir.glob("*.csv"):
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_a_source_with_a_non_utf8_customer_name_still_gets_companions_for_every_customer(
    tmp_path, northwind_sample_dir
):
    source = _copy_sample(northwind_sample_dir, tmp_path / "source")
    with (source / "customers.csv").open("ab") as handle:
        handle.write("ZZLAT,Caf\xe9 Latin,Ana,Owner,Rue 1,Lyon,NULL,69001,France,NULL,NULL\n".encode("latin-1"))
    spec = CompanionSpec(2000, 3, date(2026, 10, 24), 2, market_start=date(1998, 4, 1), market_end=date(1998, 4, 3))
    write_sample_companions(source, tmp_path / "out", spec)
    customers = {row[0] for row in _rows(northwind_sample_dir / "customers.csv")[1:]} | {"ZZLAT"}
    known = {e["customer_id"] for e in _events(tmp_path / "out")} - {None}
    assert known and known <= customers


def test_a_source_order_with_a_damaged_id_gets_no_companion_events_and_stops_nothing(tmp_path, northwind_sample_dir):
    source = _copy_sample(northwind_sample_dir, tmp_path / "source")
    with (source / "orders.csv").open("ab") as handle:
        handle.write(b"1O249,VINET,5,1996-07-05 00:00:00.000,1996-08-16 00:00:00.000,NULL,1,11.61\n")
    spec = CompanionSpec(2000, 3, date(2026, 10, 24), 2, market_start=date(1998, 4, 1), market_end=date(1998, 4, 3))
    write_sample_companions(source, tmp_path / "out", spec)
    orders = {int(row[0]) for row in _rows(northwind_sample_dir / "orders.csv")[1:]}
    purchased = {e["order_id"] for e in _events(tmp_path / "out")} - {None}
    assert purchased and purchased <= orders


def test_scaling_a_sample_that_is_not_utf8_is_one_line_naming_the_folder(tmp_path, northwind_sample_dir):
    sample = _copy_sample(northwind_sample_dir, tmp_path / "sample")
    with (sample / "customers.csv").open("ab") as handle:
        handle.write("ZZLAT,Caf\xe9,Ana,Owner,Rue 1,Lyon,NULL,69001,France,NULL,NULL\n".encode("latin-1"))
    arguments = ["--order-lines", "50", "--events", "60", "--sample", str(sample), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2
    # The console wraps long lines; compare the words.
    assert f"{sample} is not a clean UTF-8 Northwind export" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("order_lines", 0, "order lines must be at least 1"),
        ("events", -5, "events must be at least 1"),
        ("clickstream_days", 0, "clickstream days must be at least 1"),
    ],
)
def test_impossible_sizes_are_refused_with_the_reason(northwind_sample_dir, field, value, message):
    sizes = {"order_lines": 10, "events": 10, "clickstream_days": 1, field: value}
    with pytest.raises(GeneratorSpecError, match=message):
        GeneratorSpec(seed=1, sample_dir=northwind_sample_dir, **sizes)


def test_the_cli_writes_a_folder_and_answers_bad_sizes_with_one_line(tmp_path, northwind_sample_dir):
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "--order-lines",
            "50",
            "--events",
            "60",
            "--clickstream-days",
            "1",
            "--sample",
            str(northwind_sample_dir),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    bad = runner.invoke(app, ["--order-lines", "0", "--events", "60", "--out", str(tmp_path / "bad")])

    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "out" / "orders.csv").is_file()
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == ["error: order lines must be at least 1, got 0"]
