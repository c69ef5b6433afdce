"""Schema drift per file: added columns are reported, removed required or retyped columns are breaking."""

from __future__ import annotations

from etl.contracts import load_contract
from etl.curate.drift import FieldConversion, SchemaDrift, combined_drift, detect_drift, drift_message

LINES = load_contract("order_lines")  # orderID, productID, unitPrice, quantity, discount: all required
ALL_PRESENT = 0b11111


def test_an_added_column_is_reported_but_not_breaking():
    drift = detect_drift(LINES, ALL_PRESENT, ["couponCode"], {})
    assert drift == SchemaDrift(added=("couponCode",))
    assert "added couponCode (ignored)" in drift_message(LINES, drift)
    assert "quarantined" not in drift_message(LINES, drift)


def test_a_removed_required_column_is_breaking_and_the_message_says_how_to_fix_it():
    drift = detect_drift(LINES, ALL_PRESENT & ~0b100, [], {})
    assert drift == SchemaDrift(removed=("unitPrice",), breaking=True)
    message = drift_message(LINES, drift, "raw/order_lines/date=2026-11-29/lines.csv")
    assert message.startswith("raw/order_lines/date=2026-11-29/lines.csv: schema drift")
    assert "removed unitPrice (required)" in message and "quarantined whole" in message
    assert "etl/contracts/order_lines.yaml" in message and "new contract version" in message


def test_a_removed_optional_column_is_reported_but_not_breaking():
    orders = load_contract("orders")
    region = [f.name for f in orders.source_fields].index("ship_region")
    mask = sum(1 << i for i in range(len(orders.source_fields))) & ~(1 << region)
    drift = detect_drift(orders, mask, [], {})
    assert (drift.removed, drift.breaking) == (("shipRegion",), False)


def test_a_column_none_of_whose_values_convert_is_retyped_and_breaking():
    conversions = {"unit_price": FieldConversion(converted=0, failed=4), "quantity": FieldConversion(3, 1)}
    drift = detect_drift(LINES, ALL_PRESENT, [], conversions)
    assert (drift.retyped, drift.breaking) == (("unitPrice",), True)
    assert "retyped unitPrice (no value converts to decimal(10,2))" in drift_message(LINES, drift)


def test_a_file_without_readable_records_reports_no_removed_columns():
    assert detect_drift(LINES, None, [], {}) == SchemaDrift()
    assert drift_message(LINES, SchemaDrift()) == ""


def test_the_drift_of_a_run_joins_every_files_drift_and_is_breaking_when_one_is():
    one, other = SchemaDrift(added=("b",)), SchemaDrift(removed=("a",), breaking=True)
    assert combined_drift([one, other]) == SchemaDrift(added=("b",), removed=("a",), breaking=True)
    assert combined_drift([]) == SchemaDrift()
