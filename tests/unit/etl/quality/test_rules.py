"""Every contract rule evaluated per row; a row failing several rules carries all its failures."""

from __future__ import annotations

import pytest

from etl.contracts import LogicalType
from etl.curate.conform import conform
from etl.quality.engine import evaluate
from etl.quality.rules import Rule, all_rules
from tests.unit.etl.curate.builders import field, raw_batch, widget_contract

GOOD = {
    "widget_id": "1",
    "label": "Alpha",
    "price": "9.99",
    "kind": "a",
    "made_on": "2026-11-01",
    "seen_at": "2026-11-29T10:00:00Z",
    "serial": "S1",
    "owner": "ann",
}


def _failures(spark, rows, contract=None):
    contract = contract or widget_contract()
    evaluated = evaluate(conform(raw_batch(spark, contract, rows), contract), contract)
    return {
        row["widget_id_raw"]: sorted((f["rule"], f["field"], f["raw_value"]) for f in row["_failures"])
        for row in evaluated.selectExpr("_raw_widget_id AS widget_id_raw", "_failures").collect()
    }


CASES = {
    "required": ({"label": None}, ("required", "label", None)),
    "type": ({"price": "cheap"}, ("type", "price", "cheap")),
    "above maximum": ({"price": "100.01"}, ("range", "price", "100.01")),
    "below minimum": ({"price": "-1"}, ("range", "price", "-1")),
    "enum": ({"kind": "c"}, ("enum", "kind", "c")),
    "pattern": ({"label": "alpha"}, ("pattern", "label", "alpha")),
    "date in another format": ({"made_on": "01/11/2026"}, ("type", "made_on", "01/11/2026")),
    "impossible date": ({"made_on": "2026-02-30"}, ("type", "made_on", "2026-02-30")),
    "timestamp before minimum": ({"seen_at": "1999-12-31T23:59:59Z"}, ("range", "seen_at", "1999-12-31T23:59:59Z")),
}
SEVERAL = {"widget_id": "0", "label": None, "price": "x", "kind": "z", "serial": "S0"}


@pytest.fixture(scope="module")
def case_failures(spark):
    """One batch holding a good row, one row per single-rule case and one row failing several rules."""
    rows = [GOOD, {**GOOD, **SEVERAL}]
    rows += [
        {**GOOD, "widget_id": str(index), "serial": f"S{index}", **change}
        for index, (change, _) in enumerate(CASES.values(), start=2)
    ]
    return _failures(spark, rows)


@pytest.mark.parametrize("case", CASES)
def test_a_row_breaking_one_rule_fails_that_rule_with_its_raw_value(case_failures, case):
    index = list(CASES).index(case) + 2
    assert case_failures[str(index)] == [CASES[case][1]]
    assert case_failures["1"] == []


def test_a_row_failing_several_rules_is_one_row_carrying_every_failure(case_failures):
    assert case_failures["0"] == [
        ("enum", "kind", "z"),
        ("range", "widget_id", "0"),
        ("required", "label", None),
        ("type", "price", "x"),
    ]


def test_duplicate_keys_keep_the_record_from_the_latest_file_and_quarantine_the_rest(spark):
    contract = widget_contract()
    rows = [
        {**GOOD, "label": "Old", "_source_file": "raw/widgets/date=2026-11-27/w.csv"},
        {**GOOD, "label": "New", "serial": "S9", "_source_file": "raw/widgets/date=2026-11-29/w.csv"},
        {**GOOD, "label": "Mid", "serial": "S8", "_source_file": "raw/widgets/date=2026-11-28/w.csv"},
    ]
    evaluated = evaluate(conform(raw_batch(spark, contract, rows), contract), contract)
    result = {row["label"]: [f["rule"] for f in row["_failures"]] for row in evaluated.collect()}
    assert result == {"New": [], "Old": ["duplicate_key"], "Mid": ["duplicate_key"]}


def test_a_unique_field_that_is_not_the_key_fails_the_unique_rule_on_repeats(spark):
    failures = _failures(spark, [GOOD, {**GOOD, "widget_id": "2"}])
    assert sorted(failures.values()) == [[], [("unique", "serial", "S1")]]


def test_a_row_the_reader_could_not_read_fails_only_its_read_rule(spark):
    failures = _failures(spark, [{"widget_id": "7", "_read_error": "column_count"}])
    assert failures == {"7": [("column_count", None, "7,,,,,,,")]}


def test_the_rule_list_names_every_rule_of_the_contract_once():
    rules = all_rules(widget_contract())
    assert len(rules) == len(set(rules))
    assert Rule("duplicate_key", "widget_id") in rules
    assert Rule("unique", "serial") in rules
    assert Rule("range", "price") in rules
    assert Rule("unreadable_file", None) in rules
    assert not any(rule.field == "seen_date" for rule in rules)


def test_an_integer_field_rejects_fractions_instead_of_truncating_them(spark):
    contract = widget_contract(
        fields=(field("widget_id", LogicalType.INTEGER, "int", required=True, primary_key=True),)
    )
    failures = _failures(spark, [{"widget_id": "12.5"}, {"widget_id": "12"}], contract)
    assert failures == {"12.5": [("type", "widget_id", "12.5")], "12": []}
