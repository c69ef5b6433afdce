"""The Northwind sample the generator scales: customers, products and categories read from the export."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CUSTOMER_COLUMNS = (
    "customerID",
    "companyName",
    "contactName",
    "contactTitle",
    "address",
    "city",
    "region",
    "postalCode",
    "country",
    "phone",
    "fax",
)
ADDRESS_AT = CUSTOMER_COLUMNS.index("address")


class SampleError(ValueError):
    """The sample export cannot be read; the message names the file and how to fix it."""


@dataclass(frozen=True)
class NorthwindSample:
    """The parts of the sample export the generator builds on."""

    customers: list[list[str]]
    products: list[list[str]]
    product_columns: list[str]
    categories_csv: bytes


def _repair_unquoted_address(record: list[str]) -> list[str]:
    # The export writes addresses such as "24, place Kléber" without quotes: one field too many.
    extra = len(record) - len(CUSTOMER_COLUMNS)
    if extra <= 0:
        return record
    address = ",".join(record[ADDRESS_AT : ADDRESS_AT + extra + 1])
    return [*record[:ADDRESS_AT], address, *record[ADDRESS_AT + extra + 1 :]]


def _records(path: Path, errors: str) -> list[list[str]]:
    with path.open(encoding="utf-8", errors=errors, newline="") as handle:
        return list(csv.reader(handle))


def read_sample(sample_dir: Path, errors: str = "strict") -> NorthwindSample:
    """Read customers (addresses repaired), products and categories from the Northwind export.

    ``errors`` is the decoding policy: strict when the sample is scaled into new data, ``"replace"`` where only
    ids and countries are taken from a source that may hold damaged rows (curation quarantines those rows).
    """
    try:
        customers = _records(sample_dir / "customers.csv", errors)[1:]
        product_columns, *products = _records(sample_dir / "products.csv", errors) or [[]]
    except UnicodeDecodeError as error:
        raise SampleError(
            f"{sample_dir} is not a clean UTF-8 Northwind export ({error.reason} at byte {error.start}); "
            "scale the shipped sample (etl/samples/northwind) or repair the file"
        ) from None
    return NorthwindSample(
        customers=[_repair_unquoted_address(record) for record in customers if record],
        products=[record for record in products if record],
        product_columns=product_columns,
        categories_csv=(sample_dir / "categories.csv").read_bytes(),
    )
