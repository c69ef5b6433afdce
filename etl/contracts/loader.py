"""Load ODCS v3 YAML contracts, validate them against the standard's model, and map them to ``DataContract``.

Every problem is reported as a ``ContractError`` naming the file and the field path, so a malformed contract is
fixed from the message alone.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import pydantic
import yaml
from open_data_contract_standard.model import (
    CustomProperty,
    OpenDataContractStandard,
    SchemaProperty,
    ServiceLevelAgreementProperty,
)

from etl.contracts.formats import format_shape
from etl.contracts.model import (
    RETAINED_ZONES,
    Classification,
    ContractField,
    DataContract,
    Derivation,
    ForeignKey,
    LogicalType,
    RawFormat,
    Retention,
    SourceEncoding,
)

# Read through importlib.resources, so contracts load the same from the repository and from the installed wheel.
CONTRACTS_DIR: Traversable = files("etl.contracts")
CONTRACT_SUFFIX = ".yaml"

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEAM_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_DECIMAL_TYPE = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_HOURS_PER_UNIT = {"h": 1.0, "hour": 1.0, "hours": 1.0, "d": 24.0, "day": 24.0, "days": 24.0}
_DAYS_PER_UNIT = {"d": 1, "day": 1, "days": 1, "y": 365, "year": 365, "years": 365}
_INTEGER_FORMATS = {"i8": "int", "i16": "int", "i32": "int", "i64": "bigint"}
_FOREIGN_KEY_TARGET = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")


class ContractError(ValueError):
    """A contract file is missing, malformed, or breaks one of the platform's contract conventions."""


class _Problem(Exception):
    """A problem at a field path inside one contract; turned into a ContractError naming the file."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


def contract_path(dataset: str, directory: Traversable = CONTRACTS_DIR) -> Traversable:
    """Where the contract of ``dataset`` lives."""
    return directory / f"{dataset}{CONTRACT_SUFFIX}"


def contract_names(directory: Traversable = CONTRACTS_DIR) -> list[str]:
    """The datasets with a contract file in ``directory``, in name order."""
    return sorted(
        entry.name.removesuffix(CONTRACT_SUFFIX)
        for entry in directory.iterdir()
        if entry.name.endswith(CONTRACT_SUFFIX)
    )


def load_contract_file(path: Traversable, directory: Traversable | None = None) -> DataContract:
    """Read, validate and map one contract file (``directory``, when given, is listed if it is missing)."""
    if not path.is_file():
        known = ", ".join(contract_names(directory)) if directory is not None else ""
        raise ContractError(f"no data contract at {path}; known contracts: {known or 'none'}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not valid YAML ({error}); fix the syntax") from None
    if not isinstance(document, dict):
        raise ContractError(f"{path}: a contract must be a YAML mapping of ODCS v3 keys")
    try:
        standard = OpenDataContractStandard(**document)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ContractError(
            f"{path}: field {where!r}: {first['msg']} (Open Data Contract Standard v3); "
            f"{error.error_count()} problem(s) in all"
        ) from None
    try:
        return _to_contract(standard, path.name.removesuffix(CONTRACT_SUFFIX))
    except _Problem as problem:
        raise ContractError(f"{path}: {problem}") from None


def _to_contract(standard: OpenDataContractStandard, stem: str) -> DataContract:
    _require(standard.kind == "DataContract", "kind", "must be 'DataContract'")
    _require(bool(standard.apiVersion and standard.apiVersion.startswith("v3.")), "apiVersion", "must be v3.x")
    _require(standard.name == stem, "name", f"must equal the file name {stem!r}")
    _require(bool(standard.version), "version", "is required (semantic version of the contract)")
    dataset_classification = _enum(
        Classification, _custom(standard.customProperties, "dataClassification"), "customProperties.dataClassification"
    )
    schema = standard.schema_ or []
    _require(len(schema) == 1, "schema", "must hold exactly one object, the dataset's table")
    properties = schema[0].properties or []
    _require(bool(properties), "schema[0].properties", "must list the dataset's fields")
    fields = tuple(
        _to_field(prop, f"schema[0].properties[{index}]", dataset_classification)
        for index, prop in enumerate(properties)
    )
    names = [f.name for f in fields]
    _require(len(set(names)) == len(names), "schema[0].properties", "field names must be unique")
    _check_derived(fields, names)
    primary_key = _positioned(properties, "primaryKey", "primaryKeyPosition")
    _require(bool(primary_key), "schema[0].properties", "at least one field must have primaryKey: true")
    optional_keys = [f.name for f in fields if f.primary_key and not f.required]
    _require(not optional_keys, "schema[0].properties", f"primary key fields must be required: {optional_keys}")
    delimiter_field = _custom(standard.customProperties, "unquotedDelimiterField", required=False)
    _require(
        delimiter_field is None or delimiter_field in names,
        "customProperties.unquotedDelimiterField",
        f"{delimiter_field!r} is not a field of the contract",
    )
    freshness, schedule = _service_levels(standard.slaProperties or [])
    # Every committed contract declares it; a contract that does not is read as UTF-8, the standards' default.
    encoding = _enum(
        SourceEncoding,
        _custom(standard.customProperties, "sourceEncoding", required=False) or SourceEncoding.UTF_8.value,
        "customProperties.sourceEncoding",
    )
    foreign_keys = tuple(
        key
        for index, prop in enumerate(properties)
        for key in _foreign_keys(prop, f"schema[0].properties[{index}] ({prop.name}).relationships", stem)
    )
    retention = _retention(standard.slaProperties or [])
    return DataContract(
        dataset=stem,
        version=str(standard.version),
        owner=_owner(standard),
        description=(standard.description.purpose if standard.description else None) or "",
        classification=dataset_classification,
        fields=fields,
        primary_key=primary_key,
        freshness_sla_hours=freshness,
        delivery_schedule=schedule,
        partition_by=_positioned(properties, "partitioned", "partitionKeyPosition"),
        raw_format=_enum(RawFormat, _custom(standard.customProperties, "rawFormat"), "customProperties.rawFormat"),
        unquoted_delimiter_field=delimiter_field,
        source_encoding=encoding,
        foreign_keys=foreign_keys,
        retention=retention,
    )


def _foreign_keys(prop: SchemaProperty, where: str, stem: str) -> list[ForeignKey]:
    keys = []
    for index, relationship in enumerate(prop.relationships or []):
        at = f"{where}[{index}]"
        _require(relationship.type == "foreignKey", f"{at}.type", "only 'foreignKey' relationships are supported")
        target = _FOREIGN_KEY_TARGET.match(relationship.to) if isinstance(relationship.to, str) else None
        _require(target is not None, f"{at}.to", f"{relationship.to!r} must name one parent field as dataset.field")
        _require(target.group(1) != stem, f"{at}.to", "a dataset cannot reference itself")
        keys.append(ForeignKey(field=prop.name or "", parent=target.group(1), parent_field=target.group(2)))
    return keys


def _to_field(prop: SchemaProperty, where: str, dataset_classification: Classification) -> ContractField:
    name = prop.name or ""
    _require(bool(_SNAKE_CASE.match(name)), f"{where}.name", f"{name!r} must be snake_case")
    where = f"{where} ({name})"
    logical = _enum(LogicalType, prop.logicalType, f"{where}.logicalType")
    options = prop.logicalTypeOptions or {}
    derived = prop.transformSourceObjects or []
    _require(len(derived) <= 1, f"{where}.transformSourceObjects", "a derived field has exactly one source")
    classification = (
        _enum(Classification, prop.classification, f"{where}.classification")
        if prop.classification
        else dataset_classification
    )
    is_pii = _custom(prop.customProperties, "pii", required=False) or False
    derivation = _enum(
        Derivation,
        _custom(prop.customProperties, "derivation", required=False) or "utc_date",
        f"{where}.customProperties.derivation",
    )
    _require(isinstance(is_pii, bool), f"{where}.customProperties.pii", "must be true or false")
    not_after_run_date = _custom(prop.customProperties, "notAfterRunDate", required=False) or False
    _require(isinstance(not_after_run_date, bool), f"{where}.customProperties.notAfterRunDate", "must be true or false")
    _require(
        not not_after_run_date or logical in (LogicalType.DATE, LogicalType.TIMESTAMP),
        f"{where}.customProperties.notAfterRunDate",
        "applies to date and timestamp fields only",
    )
    requires_zone = options.get("timezone", False)
    _require(isinstance(requires_zone, bool), f"{where}.logicalTypeOptions.timezone", "must be true or false")
    return ContractField(
        name=name,
        source_name=prop.physicalName or name,
        logical_type=logical,
        spark_type=_spark_type(logical, prop, options, where),
        required=bool(prop.required),
        unique=bool(prop.unique),
        primary_key=bool(prop.primaryKey),
        classification=classification,
        is_pii=is_pii,
        description=prop.description or "",
        minimum=_bound(options.get("minimum"), logical, f"{where}.logicalTypeOptions.minimum"),
        maximum=_bound(options.get("maximum"), logical, f"{where}.logicalTypeOptions.maximum"),
        allowed_values=tuple(str(item.value) for item in prop.enum or []),
        pattern=_pattern(options.get("pattern"), f"{where}.logicalTypeOptions.pattern"),
        raw_format=_date_format(options.get("format"), logical, f"{where}.logicalTypeOptions.format"),
        derived_from=derived[0] if derived else None,
        derivation=derivation,
        requires_zone=requires_zone and logical is LogicalType.TIMESTAMP,
        not_after_run_date=not_after_run_date,
    )


def _spark_type(logical: LogicalType, prop: SchemaProperty, options: dict[str, Any], where: str) -> str:
    if logical is LogicalType.INTEGER:
        size = options.get("format", "i32")
        _require(
            size in _INTEGER_FORMATS,
            f"{where}.logicalTypeOptions.format",
            f"{size!r} is not one of {', '.join(_INTEGER_FORMATS)}",
        )
        return _INTEGER_FORMATS[size]
    if logical is LogicalType.NUMBER:
        physical = (prop.physicalType or "").lower().replace(" ", "")
        _require(
            bool(_DECIMAL_TYPE.match(physical)) or physical == "double",
            f"{where}.physicalType",
            "a number needs physicalType decimal(p,s) (money) or double",
        )
        return physical
    return logical.value


def _bound(value: Any, logical: LogicalType, where: str) -> Decimal | str | None:
    if value is None:
        return None
    if logical in (LogicalType.DATE, LogicalType.TIMESTAMP):
        return str(value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _Problem(where, f"{value!r} is not a number") from None


def _date_format(value: Any, logical: LogicalType, where: str) -> str | None:
    if value is None or logical not in (LogicalType.DATE, LogicalType.TIMESTAMP):
        return None
    try:
        format_shape(str(value))
    except ValueError as error:
        raise _Problem(where, str(error)) from None
    return str(value)


def _pattern(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        re.compile(str(value))
    except re.error as error:
        raise _Problem(where, f"{value!r} is not a valid regular expression ({error})") from None
    return str(value)


def _check_derived(fields: tuple[ContractField, ...], names: list[str]) -> None:
    for item in fields:
        if item.derived_from is None:
            continue
        where = f"schema[0].properties ({item.name}).transformSourceObjects"
        _require(item.derived_from in names, where, f"{item.derived_from!r} is not a field of the contract")
        source = fields[names.index(item.derived_from)]
        _require(
            item.logical_type is LogicalType.DATE and source.logical_type in (LogicalType.DATE, LogicalType.TIMESTAMP),
            where,
            "a derived field is a date computed from a date or timestamp field",
        )


def _positioned(properties: list[SchemaProperty], flag: str, position: str) -> tuple[str, ...]:
    chosen = [p for p in properties if getattr(p, flag)]
    ordered = sorted(enumerate(chosen), key=lambda pair: (getattr(pair[1], position) or pair[0] + 1, pair[0]))
    return tuple(p.name or "" for _, p in ordered)


def _owner(standard: OpenDataContractStandard) -> str:
    team = standard.team
    name = getattr(team, "name", None)
    _require(
        bool(name and _TEAM_NAME.match(name)),
        "team.name",
        "the owner must be a team name such as 'data-engineering', never a person",
    )
    return str(name)


def _service_levels(slas: list[ServiceLevelAgreementProperty]) -> tuple[float, str]:
    by_name = {sla.property: sla for sla in slas}
    latency = by_name.get("latency")
    _require(
        latency is not None and isinstance(latency.value, int | float),
        "slaProperties",
        "a 'latency' entry with a numeric value and unit (the freshness SLA) is required",
    )
    unit = (latency.unit or "").lower()
    _require(unit in _HOURS_PER_UNIT, "slaProperties.latency.unit", f"{latency.unit!r} must be hours or days")
    frequency = by_name.get("frequency")
    schedule = frequency and (frequency.schedule or frequency.value)
    _require(bool(schedule), "slaProperties", "a 'frequency' entry with a schedule (cron or words) is required")
    return float(latency.value) * _HOURS_PER_UNIT[unit], str(schedule)


def _retention(slas: list[ServiceLevelAgreementProperty]) -> Retention:
    """One ``retention`` entry per zone holding the dataset, its zone named by the entry's ``zone`` property."""
    days: dict[str, int] = {}
    for index, sla in enumerate(slas):
        if sla.property != "retention":
            continue
        where = f"slaProperties[{index}] (retention)"
        zone = _custom(sla.customProperties, "zone", required=False)
        _require(zone in RETAINED_ZONES, f"{where}.customProperties.zone", f"{zone!r} is not one of {RETAINED_ZONES}")
        _require(zone not in days, where, f"zone {zone!r} has more than one retention")
        unit = (sla.unit or "").lower()
        _require(unit in _DAYS_PER_UNIT, f"{where}.unit", f"{sla.unit!r} must be days or years (d, y)")
        _require(
            isinstance(sla.value, int) and not isinstance(sla.value, bool) and sla.value > 0,
            f"{where}.value",
            f"{sla.value!r} must be a whole number above 0",
        )
        days[zone] = sla.value * _DAYS_PER_UNIT[unit]
    missing = [zone for zone in RETAINED_ZONES if zone not in days]
    _require(
        not missing,
        "slaProperties",
        f"a 'retention' entry (value, unit, customProperties zone) is required for zone(s) {', '.join(missing)}",
    )
    return Retention(raw_days=days["raw"], curated_days=days["curated"], quarantine_days=days["quarantine"])


def _custom(properties: list[CustomProperty] | None, key: str, *, required: bool = True) -> Any:
    for item in properties or []:
        if item.property == key:
            return item.value
    _require(not required, "customProperties", f"{key!r} is required")
    return None


def _enum(kind: type, value: Any, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise _Problem(where, f"{value!r} is not one of {allowed}") from None


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise _Problem(where, message)
