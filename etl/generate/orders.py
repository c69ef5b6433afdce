"""Orders, order lines, customers and products at any order-line count, in the export's CSV format."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from etl.generate.sample import CUSTOMER_COLUMNS, NorthwindSample

ORDER_COLUMNS = (
    "orderID",
    "customerID",
    "employeeID",
    "orderDate",
    "requiredDate",
    "shippedDate",
    "shipVia",
    "freight",
    "shipName",
    "shipAddress",
    "shipCity",
    "shipRegion",
    "shipPostalCode",
    "shipCountry",
)
ORDER_LINE_COLUMNS = ("orderID", "productID", "unitPrice", "quantity", "discount")
FIRST_ORDER_ID = 10248
FIRST_ORDER_DATE = date(1996, 7, 4)
ORDER_DAYS = 672
# The sample's shape: lines per order 1..6 and the discounts it uses, with their frequencies.
LINES_PER_ORDER = np.array([1, 2, 3, 4, 5, 6])
LINES_PER_ORDER_WEIGHTS = np.array([138, 283, 248, 125, 33, 3]) / 830
DISCOUNTS = np.array(["0", "0.05", "0.1", "0.15", "0.2", "0.25"])
DISCOUNT_WEIGHTS = np.array([0.62, 0.09, 0.08, 0.07, 0.07, 0.07])
CUSTOMERS_PER_ORDER = 1 / 9
PRODUCTS_PER_ORDER_LINE = 1 / 2000
SHIPPED_NULL_SHARE = 0.025


@dataclass(frozen=True)
class OrderFiles:
    """The generated export, as the bytes of each CSV file."""

    orders_csv: bytes
    order_lines_csv: bytes
    customers_csv: bytes
    products_csv: bytes
    customer_ids: np.ndarray
    product_ids: np.ndarray
    order_ids: np.ndarray
    countries: list[str]


def _csv(columns: tuple[str, ...] | list[str], frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    buffer.write(",".join(columns) + "\n")
    frame.to_csv(buffer, header=False, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8")


def customer_code(index: int) -> str:
    """A five-letter customer code for synthetic customer ``index`` (0 -> "XAAAA"; X marks them synthetic)."""
    letters = []
    for _ in range(4):
        index, remainder = divmod(index, 26)
        letters.append(chr(ord("A") + remainder))
    return "X" + "".join(reversed(letters))


def scale_customers(sample: NorthwindSample, count: int) -> pd.DataFrame:
    """The sample's customers, then clones of them (new code, numbered company name) up to ``count``."""
    base = pd.DataFrame(sample.customers, columns=list(CUSTOMER_COLUMNS))
    extra = count - len(base)
    if extra <= 0:
        return base
    clones = base.iloc[np.arange(extra) % len(base)].reset_index(drop=True)
    clones["customerID"] = [customer_code(i) for i in range(extra)]
    clones["companyName"] = clones["companyName"] + " " + (np.arange(extra) // len(base) + 2).astype(str)
    return pd.concat([base, clones], ignore_index=True)


def scale_products(sample: NorthwindSample, count: int) -> pd.DataFrame:
    """The sample's products, then numbered variants of them with new ids up to ``count``."""
    base = pd.DataFrame(sample.products, columns=sample.product_columns)
    extra = count - len(base)
    if extra <= 0:
        return base
    clones = base.iloc[np.arange(extra) % len(base)].reset_index(drop=True)
    clones["productID"] = (np.arange(extra) + len(base) + 1).astype(str)
    clones["productName"] = clones["productName"] + " No. " + (np.arange(extra) // len(base) + 2).astype(str)
    return pd.concat([base, clones], ignore_index=True)


def _timestamps(days: np.ndarray) -> np.ndarray:
    stamps = np.datetime64(FIRST_ORDER_DATE, "D") + days.astype("timedelta64[D]")
    return np.char.add(np.datetime_as_string(stamps, unit="D"), " 00:00:00.000")


def generate_orders(sample: NorthwindSample, order_lines: int, rng: np.random.Generator) -> OrderFiles:
    """``order_lines`` order lines spread over orders shaped like the sample's, with their customers and
    products."""
    draws = rng.choice(LINES_PER_ORDER, size=order_lines, p=LINES_PER_ORDER_WEIGHTS)
    ends = np.cumsum(draws)
    order_count = int(np.searchsorted(ends, order_lines) + 1)
    lines_per_order = draws[:order_count].copy()
    lines_per_order[-1] -= ends[order_count - 1] - order_lines

    customers = scale_customers(sample, max(len(sample.customers), int(order_count * CUSTOMERS_PER_ORDER)))
    products = scale_products(sample, max(len(sample.products), int(order_lines * PRODUCTS_PER_ORDER_LINE)))

    order_ids = np.arange(order_count) + FIRST_ORDER_ID
    order_days = np.sort(rng.integers(0, ORDER_DAYS, size=order_count))
    buyer = customers.iloc[rng.integers(0, len(customers), size=order_count)].reset_index(drop=True)
    shipped_days = order_days + rng.integers(1, 36, size=order_count)
    shipped = np.where(rng.random(order_count) < SHIPPED_NULL_SHARE, "NULL", _timestamps(shipped_days))
    orders = pd.DataFrame(
        {
            "orderID": order_ids,
            "customerID": buyer["customerID"],
            "employeeID": rng.integers(1, 10, size=order_count),
            "orderDate": _timestamps(order_days),
            "requiredDate": _timestamps(order_days + rng.choice([14, 28, 42], size=order_count)),
            "shippedDate": shipped,
            "shipVia": rng.integers(1, 4, size=order_count),
            "freight": np.char.mod("%.2f", np.round(rng.lognormal(3.3, 1.2, size=order_count), 2)),
            "shipName": buyer["companyName"],
            "shipAddress": buyer["address"],
            "shipCity": buyer["city"],
            "shipRegion": buyer["region"],
            "shipPostalCode": buyer["postalCode"],
            "shipCountry": buyer["country"],
        }
    )

    line_order = np.repeat(np.arange(order_count), lines_per_order)
    position = np.arange(order_lines) - np.repeat(np.cumsum(lines_per_order) - lines_per_order, lines_per_order)
    # Consecutive products from a random start keep (orderID, productID) unique within an order.
    first_product = rng.integers(0, len(products), size=order_count)
    product_at = (first_product[line_order] + position) % len(products)
    lines = pd.DataFrame(
        {
            "orderID": order_ids[line_order],
            "productID": products["productID"].to_numpy()[product_at],
            "unitPrice": products["unitPrice"].to_numpy()[product_at],
            "quantity": np.minimum(rng.geometric(1 / 22, size=order_lines), 130),
            "discount": rng.choice(DISCOUNTS, size=order_lines, p=DISCOUNT_WEIGHTS),
        }
    )
    return OrderFiles(
        orders_csv=_csv(ORDER_COLUMNS, orders),
        order_lines_csv=_csv(ORDER_LINE_COLUMNS, lines),
        customers_csv=_csv(CUSTOMER_COLUMNS, customers),
        products_csv=_csv(sample.product_columns, products),
        customer_ids=customers["customerID"].to_numpy(),
        product_ids=products["productID"].astype(int).to_numpy(),
        order_ids=order_ids,
        countries=sorted(customers["country"].unique()),
    )
