"""A plates CSV (``plate,state[,mileage]``): every line validated before any call, nothing dropped."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from etl.enrich.vehicle_valuation.errors import InvalidLookupError
from etl.enrich.vehicle_valuation.validation import LookupRequest, validate_lookup

PLATES_COLUMNS = "plate,state[,mileage]"


@dataclass(frozen=True)
class PlateBatch:
    """The valid lookups of a plates file, and one message per invalid line."""

    requests: list[LookupRequest]
    invalid: list[str]


def parse_plates(text: str, period: int | None) -> PlateBatch:
    """Validate every line of a plates CSV's text; each invalid line is one message, nothing is dropped."""
    requests: list[LookupRequest] = []
    invalid: list[str] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not any(cell.strip() for cell in row) or (number == 1 and row[0].strip().lower() == "plate"):
            continue
        if len(row) not in (2, 3):
            invalid.append(f"line {number}: expected {PLATES_COLUMNS}, got {len(row)} column(s)")
            continue
        try:
            requests.append(validate_lookup(row[0], row[1], row[2] if len(row) == 3 else None, period))
        except InvalidLookupError as error:
            invalid.append(f"line {number}: {error}")
    return PlateBatch(requests=requests, invalid=invalid)
