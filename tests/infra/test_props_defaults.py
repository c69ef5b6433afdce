"""Every optional field of the storage and governance props documents its default, and the code agrees."""

from __future__ import annotations

import dataclasses
import re
import sys

import pytest

from modules.arrivals import ArrivalsProps, FunctionCode
from modules.backup import BackupProps
from modules.catalog import CatalogProps
from modules.compute import ServiceRuntime
from modules.detection import DetectionProps
from modules.governance import GovernanceProps, TagGrant
from modules.identity import IdentityProps
from modules.lake import DataLakeProps, LakeReplication, LakeRetention, SecureBucketProps
from modules.processing import ProcessingProps
from modules.query import AdHocQueryProps
from modules.secrets import SecretsProps
from modules.streaming import ClickstreamProps
from modules.transfer import PartnerAccess, TransferProps
from modules.valuation import ValuationBudgetProps

PROPS = (
    AdHocQueryProps,
    BackupProps,
    CatalogProps,
    DataLakeProps,
    DetectionProps,
    GovernanceProps,
    IdentityProps,
    LakeReplication,
    LakeRetention,
    ProcessingProps,
    SecretsProps,
    SecureBucketProps,
    ServiceRuntime,
    TagGrant,
    PartnerAccess,
    TransferProps,
    ArrivalsProps,
    FunctionCode,
    ClickstreamProps,
    ValuationBudgetProps,
)
ATTRIBUTE = re.compile(r"^ {8}(\w+): (.*)$")


def documented_defaults(cls) -> dict[str, str]:
    """Attribute -> the text after ``Default:`` in the class docstring's Attributes section."""
    docs: dict[str, str] = {}
    current = None
    for line in cls.__doc__.split("Attributes:", 1)[1].splitlines():
        match = ATTRIBUTE.match(line)
        if match:
            current = match.group(1)
            docs[current] = match.group(2)
        elif current and line.startswith(" " * 12):
            docs[current] += " " + line.strip()
    return {name: text.split("Default: ", 1)[1] for name, text in docs.items() if "Default: " in text}


def _matches(cls, documented: str, default: object) -> bool:
    token = documented.split("``")[1] if documented.startswith("``") else re.split(r"[ ,(]|\.(?!\d)", documented)[0]
    module = sys.modules[cls.__module__]
    if hasattr(module, token) and documented.startswith("``"):
        return getattr(module, token) == default
    if token == "none":
        return default in ((), None) or default == {}
    if isinstance(default, tuple):
        return ", ".join(map(str, default)) == token
    return str(default) == token


@pytest.mark.parametrize("cls", PROPS, ids=lambda cls: cls.__name__)
def test_each_documented_default_is_the_default_in_the_code(cls):
    documented = documented_defaults(cls)
    for field in dataclasses.fields(cls):
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        assert has_default == (field.name in documented), f"{cls.__name__}.{field.name}: document its default"
        if has_default:
            default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
            assert _matches(cls, documented[field.name], default), (
                f"{cls.__name__}.{field.name}: documented {documented[field.name]!r}, code has {default!r}"
            )
