"""Client settings: validated when built, with defaults that match their documentation."""

from __future__ import annotations

import re
from datetime import timedelta

import pydantic
import pytest

from etl.enrich.vehicle_valuation.settings import ClientSettings


def test_every_numeric_default_is_the_one_its_description_documents():
    for name, info in ClientSettings.model_fields.items():
        documented = re.search(r"\(default ([0-9.]+)", info.description or "")
        default = info.default.days if isinstance(info.default, timedelta) else info.default
        if isinstance(default, int | float):
            assert documented, f"{name} documents no default"
            assert float(documented.group(1)) == default, name


@pytest.mark.parametrize(
    "override", [{"base_url": "ftp://host"}, {"max_attempts": 0}, {"run_budget": -1}, {"retries": 3}]
)
def test_invalid_or_unknown_settings_are_refused(override):
    with pytest.raises(pydantic.ValidationError):
        ClientSettings(**override)
