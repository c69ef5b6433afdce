"""Every contract rule evaluated per row; a row failing several rules carries all its failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from etl.contracts import ForeignKey, LogicalType
from etl.curate.columns import DIGEST
from etl.curate.conform import conform
from etl.quality.engine import (
    check_references,
    evaluate,
    judge_duplicates,
    repeated_key_hashes,
    repeated_keys,
    row_digest,
)
from etl.quality.rules import Rule, all_rules
from tests.unit.etl.curate.builders import field, raw_batch, widget_contract

RUN = date(2026, 11, 29)

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


def _judged(spark, rows, contract=None):
    contract = contract or widget_contract()
    evaluated = evaluate(conform(raw_batch(spark, contract, rows), contract), contract, RUN)
    return judge_duplicates(evaluated.withColumn(DIGEST, row_digest(contract)), contract)


def _failures(spark, rows, contract=None):
    return {
        row["widget_id_raw"]: sorted((f["rule"], f["field"], f["raw_value"]) for f in row["_failures"])
        for row in _judged(spark, rows, contract).selectExpr("_raw_widget_id AS widget_id_raw", "_failures").collect()
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
    "timestamp after the run date": ({"seen_at": "2026-11-30T00:00:00Z"}, ("range", "seen_at", "2026-11-30T00:00:00Z")),
    "date after the run date": ({"made_on": "2099-01-01"}, ("range", "made_on", "2099-01-01")),
    "JSON array where a string is expected": (
        {"serial": '["S", 9]', "_type_mismatch": ["serial"]},
        ("type", "serial", '["S", 9]'),
    ),
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


def test_the_latest_delivery_of_a_key_wins_by_landing_order_and_older_ones_are_not_quarantined(spark):
    rows = [
        {**GOOD, "label": "Old", "_delivery": 1, "_source_file": "raw/widgets/date=2026-11-29/b.csv"},
        {**GOOD, "label": "New", "_delivery": 3, "_source_file": "raw/widgets/date=2026-11-29/a.csv"},
        {**GOOD, "label": "Mid", "_delivery": 2, "_source_file": "raw/widgets/date=2026-11-29/c.csv"},
        {**GOOD, "label": "New", "_delivery": 0, "_source_file": "raw/widgets/date=2026-11-28/z.csv"},
    ]
    judged = _judged(spark, rows).collect()
    assert sorted((r["label"], r["_delivery"], r["_outcome"], len(r["_failures"])) for r in judged) == [
        ("Mid", 2, "superseded", 0),
        ("New", 0, "redelivered", 0),
        ("New", 3, "latest", 0),
        ("Old", 1, "superseded", 0),
    ]


def test_inside_one_delivery_an_exact_repeat_and_a_conflicting_record_are_quarantined_under_their_own_rules(spark):
    rows = [
        {**GOOD, "widget_id": "1", "serial": "S1"},
        {**GOOD, "widget_id": "1", "serial": "S1"},  # exact repeat of the next record
        {**GOOD, "widget_id": "1", "serial": "S1", "_delivery": 0},
        {**GOOD, "widget_id": "2", "serial": "S2", "label": "First"},
        {**GOOD, "widget_id": "2", "serial": "S2", "label": "Second"},  # later in the file: wins
    ]
    judged = sorted(_judged(spark, rows).collect(), key=lambda r: r["_position"])
    assert [([f["rule"] for f in r["_failures"]], r["_outcome"]) for r in judged] == [
        (["duplicate_row"], None),
        (["duplicate_row"], None),
        ([], "latest"),
        (["duplicate_key"], None),
        ([], "latest"),
    ]
    assert judged[3]["_failures"][0]["raw_value"] == "2"


def test_only_keys_two_passing_rows_carry_count_as_repeated_and_their_hashes_are_found_first(spark):
    contract = widget_contract()
    rows = [
        {**GOOD, "widget_id": "1", "serial": "S1"},
        {**GOOD, "widget_id": "1", "serial": "S1", "_delivery": 1},
        {**GOOD, "widget_id": "2", "serial": "S2"},
        {**GOOD, "widget_id": "2", "serial": "S2", "price": "cheap"},  # a failing row does not repeat its key
        {**GOOD, "widget_id": "3", "serial": "S3"},
    ]
    evaluated = evaluate(conform(raw_batch(spark, contract, rows), contract), contract, RUN)
    assert [r["widget_id"] for r in repeated_keys(evaluated, contract).collect()] == [1]
    hashes = [r[0] for r in repeated_key_hashes(evaluated, contract).collect()]
    assert hashes == [
        r[0] for r in evaluated.where("widget_id = 1").selectExpr("xxhash64(widget_id)").limit(1).collect()
    ]
    assert repeated_key_hashes(evaluated.where("widget_id <> 1"), contract).count() == 0


def test_a_row_failing_a_rule_never_wins_its_key_over_an_older_valid_one(spark):
    rows = [{**GOOD, "_delivery": 1}, {**GOOD, "price": "cheap", "_delivery": 2}]
    judged = sorted(_judged(spark, rows).collect(), key=lambda r: r["_delivery"])
    assert [(r["_outcome"], [f["rule"] for f in r["_failures"]]) for r in judged] == [("latest", []), (None, ["type"])]


def test_a_unique_field_that_is_not_the_key_fails_the_unique_rule_on_repeats(spark):
    failures = _failures(spark, [GOOD, {**GOOD, "widget_id": "2"}])
    assert sorted(failures.values()) == [[], [("unique", "serial", "S1")]]


def test_a_reference_to_no_curated_parent_row_fails_the_foreign_key_rule(spark):
    contract = widget_contract(foreign_keys=(ForeignKey("kind", "kinds", "kind"),))
    evaluated = evaluate(
        conform(
            raw_batch(
                spark,
                contract,
                [GOOD, {**GOOD, "widget_id": "2", "kind": "b"}, {**GOOD, "widget_id": "3", "kind": None}],
            ),
            contract,
        ),
        contract,
        RUN,
    )
    parents = {"kinds": spark.createDataFrame([("a",)], "kind string")}
    checked = check_references(evaluated, contract, parents)
    failures = {
        r["_raw_widget_id"]: [(f["rule"], f["field"], f["raw_value"]) for f in r["_row_failures"]]
        for r in checked.collect()
    }
    assert failures == {"1": [], "2": [("foreign_key", "kind", "b")], "3": []}


def test_a_row_the_reader_could_not_read_fails_only_its_read_rule(spark):
    failures = _failures(spark, [{"widget_id": "7", "_read_error": "column_count"}])
    assert failures == {"7": [("column_count", None, "7,,,,,,,")]}


def test_the_rule_list_names_every_rule_of_the_contract_once():
    rules = all_rules(widget_contract())
    assert len(rules) == len(set(rules))
    assert Rule("duplicate_key", "widget_id") in rules and Rule("duplicate_row", "widget_id") in rules
    assert Rule("unique", "serial") in rules and Rule("schema_drift", None) in rules
    assert Rule("range", "price") in rules
    assert Rule("unreadable_file", None) in rules
    assert not any(rule.field == "seen_date" for rule in rules)


def test_an_integer_field_rejects_fractions_instead_of_truncating_them(spark):
    contract = widget_contract(
        fields=(field("widget_id", LogicalType.INTEGER, "int", required=True, primary_key=True),)
    )
    failures = _failures(spark, [{"widget_id": "12.5"}, {"widget_id": "12"}], contract)
    assert failures == {"12.5": [("type", "widget_id", "12.5")], "12": []}


def test_a_timestamp_without_a_zone_fails_the_type_rule_where_the_contract_requires_one(spark):
    base = widget_contract()
    zoned = tuple(replace(f, requires_zone=True) if f.name == "seen_at" else f for f in base.fields)
    rows = [GOOD, {**GOOD, "widget_id": "2", "serial": "S2", "seen_at": "2026-11-29 10:00:00"}]
    assert _failures(spark, rows, widget_contract(fields=zoned)) == {
        "1": [],
        "2": [("type", "seen_at", "2026-11-29 10:00:00")],
    }
