"""Validation of a lookup before any call: a bad plate, state, mileage or period costs nothing.

The plate is personal data: it is kept out of ``repr`` and leaves this module only as ``plate_sha256`` (the
cache, audit and dataset) or as the ``license_plate`` query parameter of the call itself.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from etl.enrich.vehicle_valuation.errors import InvalidLookupError

# The 50 states and DC, the plate jurisdictions the API knows.
US_STATE_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "  # noqa: SIM905
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
MAX_PERIOD_DAYS = 365

_PLATE = re.compile(r"^[A-Z0-9]{2,8}$")
_PLATE_SEPARATORS = re.compile(r"[\s-]+")

# The rule each field must meet, as the user reads it in an error.
RULES = {
    "plate": "a plate is 2 to 8 letters or digits once spaces and hyphens are removed",
    "state_code": "a state code is one of the 50 US states or DC, two letters such as CA",
    "mileage": "mileage is a whole number of miles, 0 or more",
    "period": f"period is a whole number of days from 1 to {MAX_PERIOD_DAYS}",
}


def normalize_plate(plate: str) -> str:
    """Upper case, spaces and hyphens removed: ``"7-abc 123"`` -> ``"7ABC123"``."""
    return _PLATE_SEPARATORS.sub("", plate).upper()


def plate_digest(plate: str) -> str:
    """SHA-256 hex of the normalized plate: the only form of the plate stored anywhere."""
    return hashlib.sha256(normalize_plate(plate).encode("utf-8")).hexdigest()


class LookupRequest(BaseModel):
    """A validated lookup: normalized plate, state, optional mileage and sales period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plate: str = Field(repr=False)
    state_code: str
    mileage: int | None = Field(None, ge=0, le=5_000_000)
    period: int | None = Field(None, ge=1, le=MAX_PERIOD_DAYS)

    @field_validator("plate", mode="before")
    @classmethod
    def _normalized_plate(cls, value: object) -> str:
        if not isinstance(value, str) or not _PLATE.match(normalize_plate(value)):
            raise ValueError(RULES["plate"])
        return normalize_plate(value)

    @field_validator("state_code", mode="before")
    @classmethod
    def _known_state(cls, value: object) -> str:
        code = value.strip().upper() if isinstance(value, str) else ""
        if code not in US_STATE_CODES:
            raise ValueError(RULES["state_code"])
        return code

    @property
    def plate_sha256(self) -> str:
        """SHA-256 hex of the normalized plate."""
        return plate_digest(self.plate)

    def query_params(self) -> dict[str, str]:
        """The ``GET /vmv`` query string; optional parameters only when set."""
        params = {"license_plate": self.plate, "state_code": self.state_code}
        if self.mileage is not None:
            params["mileage"] = str(self.mileage)
        if self.period is not None:
            params["period"] = str(self.period)
        return params


def validate_lookup(plate: object, state_code: object, mileage: object = None, period: object = None) -> LookupRequest:
    """A ``LookupRequest`` from raw input, or ``InvalidLookupError`` naming each bad value and its rule.

    Empty strings for mileage and period mean "not given" (as in a CSV column left blank).
    """
    try:
        return LookupRequest(
            plate=plate,
            state_code=state_code,
            mileage=_blank_as_none(mileage),
            period=_blank_as_none(period),
        )
    except ValidationError as error:
        problems = [
            f"{item['loc'][0]} {item['input']!r} is invalid: {RULES[str(item['loc'][0])]}" for item in error.errors()
        ]
        raise InvalidLookupError("; ".join(problems)) from None


def _blank_as_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value
