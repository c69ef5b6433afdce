"""Daily market indicators per country, one CSV per month as the vendor delivers them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd

COLUMNS = ("indicator_date", "country", "indicator", "value", "unit", "source")
# indicator -> (unit, typical level, daily relative volatility)
INDICATORS = {
    "consumer_confidence": ("index", 100.0, 0.004),
    "freight_index": ("index points", 1500.0, 0.01),
    "fx_usd": ("USD per local unit", 1.0, 0.003),
    "retail_sales_index": ("index", 100.0, 0.005),
}
SOURCE = "Northwind Market Data feed"


def indicator_frame(countries: list[str], start: date, end: date, rng: np.random.Generator) -> pd.DataFrame:
    """One row per day in [start, end] x country x indicator; each series is a random walk around its level."""
    days = pd.date_range(start, end, freq="D")
    frames = []
    for country in countries:
        for indicator, (unit, level, volatility) in INDICATORS.items():
            walk = level * np.exp(np.cumsum(rng.normal(0.0, volatility, size=len(days))))
            if indicator == "fx_usd" and country == "USA":
                walk = np.ones(len(days))
            frames.append(
                pd.DataFrame(
                    {
                        "indicator_date": days.strftime("%Y-%m-%d"),
                        "country": country,
                        "indicator": indicator,
                        "value": np.char.mod("%.4f", walk),
                        "unit": unit,
                        "source": SOURCE,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True).sort_values(["indicator_date", "country", "indicator"], kind="stable")


def monthly_files(countries: list[str], start: date, end: date, seed: int) -> Iterator[tuple[str, bytes]]:
    """``(market-indicators-YYYY-MM.csv, bytes)`` per month between ``start`` and ``end``."""
    frame = indicator_frame(countries, start, end, np.random.default_rng([seed, 7]))
    for month, rows in frame.groupby(frame["indicator_date"].str.slice(0, 7), sort=True):
        buffer = io.StringIO()
        rows.to_csv(buffer, index=False, lineterminator="\n", columns=list(COLUMNS))
        yield f"market-indicators-{month}.csv", buffer.getvalue().encode("utf-8")
