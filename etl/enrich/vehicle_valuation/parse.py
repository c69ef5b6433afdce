"""The contract's fields from one raw valuation document, tolerant of the unpublished response shape.

Every value is None when absent or unparseable; nothing here raises on odd input, and the raw document
stays in the lake untouched. Values are typed for the curated zone: ``datetime`` (UTC) for timestamps,
``date`` for dates, ``Decimal`` (cents) for money, ``int`` for counts and ``float`` for percentages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

_CENT = Decimal("0.01")
# Currency signs, thousands separators, percent signs and spaces around a number: "$12,345.50", "94 %".
_NUMBER_NOISE = re.compile(r"[\s$,%]")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_VEHICLE_PARTS = ("year", "make", "model", "trim")


def extract_valuation_fields(document: dict) -> dict[str, object]:
    """The vehicle_valuations contract's source fields, in contract order, from one raw document."""
    whole = _mapping(document)
    request = _mapping(whole.get("request"))
    response = _mapping(whole.get("response"))
    prices = _mapping(response.get("market_prices"))
    period_start, period_end = _period(response.get("sales_period"))
    return {
        "plate_sha256": _text(request.get("plate_sha256")),
        "state_code": _text(request.get("state_code")),
        "requested_at": _timestamp(request.get("requested_at")),
        "request_mileage": _integer(request.get("mileage")),
        "period_days": _integer(request.get("period")),
        "status_code": _integer(whole.get("status_code")),
        "vehicle": _vehicle(response.get("vehicle")),
        "mileage": _integer(response.get("mileage")),
        "average_market_price": _money(response.get("average_market_price")),
        "standard_deviation": _money(response.get("standard_deviation")),
        "sample_count": _integer(response.get("count")),
        "statistical_confidence": _number(response.get("statistical_confidence")),
        "market_price_below": _money(prices.get("below")),
        "market_price_average": _money(prices.get("average")),
        "market_price_above": _money(prices.get("above")),
        "sales_period_start": period_start,
        "sales_period_end": period_end,
        "api_status": _text(response.get("status")),
        "api_message": _text(response.get("message")),
    }


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(_NUMBER_NOISE.sub("", str(value)))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _number(value: object) -> float | None:
    number = _decimal(value)
    return float(number) if number is not None else None


def _money(value: object) -> Decimal | None:
    number = _decimal(value)
    return number.quantize(_CENT, rounding=ROUND_HALF_EVEN) if number is not None else None


def _integer(value: object) -> int | None:
    number = _decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _vehicle(value: object) -> str | None:
    """A description string as given, or the year/make/model/trim of a structured vehicle joined by spaces."""
    if isinstance(value, Mapping):
        parts = [_text(value.get(part)) for part in _VEHICLE_PARTS]
        return " ".join(part for part in parts if part) or None
    return _text(value)


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    us_date = _US_DATE.match(text)
    try:
        if us_date:
            month, day, year = (int(part) for part in us_date.groups())
            return date(year, month, day)
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _period(value: object) -> tuple[date | None, date | None]:
    """``[start, end]`` or ``{"start": .., "end": ..}``; anything else gives no period."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return _date(value[0]), _date(value[1])
    if isinstance(value, Mapping):
        return _date(value.get("start")), _date(value.get("end"))
    return None, None
