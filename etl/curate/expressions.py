"""Column expressions the raw readers and the rule engine share."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F


def values_where(items: Sequence[tuple[Column, Column]], element_type: str) -> Column:
    """An array of each item's value whose condition holds, in ``items`` order; empty when none holds (a null
    condition does not hold). ``element_type`` is the values' Spark SQL type.

    Nearly every row has no such value, and those rows get the empty array from one generated test of the
    conditions: filtering an array is a lambda Spark runs row by row outside its generated code, which took a
    third of the time of reading a JSON line when every row paid for it.
    """
    if not items:
        return F.array().cast(f"array<{element_type}>")
    any_holds = reduce(operator.or_, (condition for condition, _ in items))
    chosen = F.filter(F.array(*(F.when(c, value) for c, value in items)), lambda item: item.isNotNull())
    return F.when(any_holds, chosen).otherwise(F.array()).cast(f"array<{element_type}>")
