"""The command line, and the issue's demonstration run over a batch with injected 429s and 5xx."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from etl.enrich.vehicle_valuation.cli import main, read_plates
from etl.enrich.vehicle_valuation.enricher import Outcome, StopReason, ValuationEnricher
from tests.support.rapidapi_stub import RapidApiStub, Reply

from .conftest import API_KEY, fast_settings

SHOW_BATCH = """plate,state,mileage
7ABC123,CA,42000
8XYZ999,NY,
5KLM456,TX,61000
3JKL321,FL,
6PQR654,WA,15000
7abc-123,ca,42000
2STU987,IL,
9VWX111,OH,88000
1BAD!,CA,
4MNO222,ZZ,
4GHI852,AZ,
"""
# Call numbers (over the whole run) the stub fails: two 429s with Retry-After, three 5xx.
SHOW_FAULTS = {
    2: Reply.rate_limited(retry_after="1", reset="1"),
    3: Reply.server_error(503),
    6: Reply.rate_limited(retry_after="1", reset="1"),
    7: Reply.server_error(502),
    8: Reply.server_error(500),
}


@pytest.fixture
def plates_file(tmp_path: Path) -> Path:
    path = tmp_path / "plates.csv"
    path.write_text(SHOW_BATCH, encoding="utf-8")
    return path


@pytest.fixture
def local_key(monkeypatch):
    monkeypatch.setenv("RAPIDAPI_KEY", API_KEY)


def run_cli(stub: RapidApiStub, plates: Path, lake: Path, *extra: str) -> int:
    return main(["--plates", str(plates), "--lake", str(lake), "--base-url", stub.base_url, *extra])


def test_show_a_batch_with_injected_429s_and_5xx_then_a_second_run_makes_zero_calls(
    stub, plates_file, lake, clock, sleeps
):
    stub.script_calls(SHOW_FAULTS)
    batch = read_plates(plates_file, period=None)
    settings = fast_settings(stub.base_url, run_budget=10)

    first = ValuationEnricher.open(lake, settings, API_KEY, clock=clock, sleep=sleeps).run(
        batch.requests, batch.invalid
    )
    calls_after_first = len(stub.calls)
    second = ValuationEnricher.open(
        lake, settings.model_copy(update={"run_budget": 0}), API_KEY, clock=clock, sleep=sleeps
    ).run(batch.requests, batch.invalid)

    figures = {
        name: {
            "lookups": len(run.results),
            "calls_made": run.calls_made,
            "billable": run.billable_calls,
            "retries": run.retries,
            "fetched": run.count(Outcome.FETCHED),
            "cache_hits": run.count(Outcome.CACHED),
            "budget_stops": run.budget_stops,
            "invalid_inputs": len(run.invalid_inputs),
        }
        for name, run in (("first", first), ("second", second))
    }
    print(json.dumps(figures))
    assert figures["first"] == {
        "lookups": 9,
        "calls_made": 10,
        "billable": 8,
        "retries": 5,
        "fetched": 5,
        "cache_hits": 1,
        "budget_stops": 3,
        "invalid_inputs": 2,
    }
    assert first.stop_reason is StopReason.BUDGET
    assert sorted(sleeps.waits, reverse=True)[:2] == [1.0, 1.0]
    assert figures["second"] == {
        "lookups": 9,
        "calls_made": 0,
        "billable": 0,
        "retries": 0,
        "fetched": 0,
        "cache_hits": 6,
        "budget_stops": 3,
        "invalid_inputs": 2,
    }
    assert len(stub.calls) == calls_after_first == 10


def test_the_cli_prints_progress_and_a_summary_and_exits_1_when_plates_are_left(
    stub, plates_file, tmp_path, local_key, capsys
):
    code = run_cli(stub, plates_file, tmp_path / "lake", "--budget", "3")

    out = capsys.readouterr().out
    assert code == 1
    assert "9 plate(s) to look up, 2 invalid line(s), budget 3" in out
    assert "invalid input, not looked up: line 10: plate '1BAD!' is invalid" in out
    assert "invalid input, not looked up: line 11: state_code 'ZZ' is invalid" in out
    assert "[1/9] CA plate " in out
    assert "[9/9] AZ plate " in out
    assert (
        "summary: lookups 9, fetched 3, cache hits 1, failed 0, not looked up 5 (budget stops 5), "
        "invalid inputs 2, calls made 3, billable 3 (this month 3), retries 0, quota remaining 997/1000"
    ) in out
    assert "stopped calling: run budget of 3 API call(s) reached" in out
    assert "7ABC123" not in out


def test_the_cli_exits_0_when_every_plate_has_a_valuation(stub, tmp_path, local_key, capsys):
    plates = tmp_path / "plates.csv"
    plates.write_text("7ABC123,CA\n\n8XYZ999,NY,12000\n", encoding="utf-8")

    first = run_cli(stub, plates, tmp_path / "lake", "--budget", "5", "--period", "90")
    second = run_cli(stub, plates, tmp_path / "lake", "--budget", "0", "--period", "90")

    assert (first, second) == (0, 0)
    assert len(stub.calls) == 2
    assert {call.params["period"] for call in stub.calls} == {"90"}
    assert "cache hits 2" in capsys.readouterr().out


def test_a_file_of_only_invalid_lines_makes_no_call(stub, tmp_path, local_key, capsys):
    plates = tmp_path / "plates.csv"
    plates.write_text("plate,state\nA,CA\n7ABC123,PR\n7ABC123,CA,lots\n7ABC123,CA,1,extra\n", encoding="utf-8")

    code = run_cli(stub, plates, tmp_path / "lake", "--budget", "5")

    out = capsys.readouterr().out
    assert code == 1
    assert stub.calls == []
    assert "line 2: plate 'A' is invalid: a plate is 2 to 8 letters or digits" in out
    assert "line 3: state_code 'PR' is invalid" in out
    assert "line 4: mileage 'lots' is invalid: mileage is a whole number of miles" in out
    assert "line 5: expected plate,state[,mileage], got 4 column(s)" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--lake", "L", "--budget", "1"], "Missing option '--plates'"),
        (["--plates", "missing.csv", "--lake", "L", "--budget", "1"], "plates file missing.csv does not exist"),
        (["--plates", "P", "--lake", "L", "--budget", "-1"], "Invalid value for '--budget'"),
        (["--plates", "P", "--lake", "L", "--budget", "1", "--period", "400"], "Invalid value for '--period'"),
        (["--plates", "P", "--lake", "L", "--budget", "1", "--base-url", "ftp://x"], "--base-url 'ftp://x'"),
    ],
)
def test_usage_mistakes_print_one_line_and_exit_2(tmp_path, monkeypatch, local_key, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    Path("P").write_text("7ABC123,CA\n", encoding="utf-8")

    code = main(arguments)

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ")
    assert message in err


def test_a_plates_file_that_is_not_utf8_is_a_usage_mistake(tmp_path, local_key, capsys):
    plates = tmp_path / "plates.csv"
    plates.write_bytes(b"\xff\xfe7ABC123,CA\n")

    code = main(["--plates", str(plates), "--lake", str(tmp_path / "lake"), "--budget", "1"])

    assert code == 2
    assert "cannot be read as UTF-8" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "--budget" in capsys.readouterr().out


def test_the_package_runs_as_a_module(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["python -m etl.enrich.vehicle_valuation", "--lake", "L"])

    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("etl.enrich.vehicle_valuation", run_name="__main__")

    assert exit_.value.code == 2
    assert "Missing option '--plates'" in capsys.readouterr().err
