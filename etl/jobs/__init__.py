"""Glue job entry scripts: thin wrappers that parse job arguments once and call the ETL package.

Every entry script in this folder is one ``aws_glue_job`` (``modules/processing``). It declares its arguments
as ``ARGUMENTS`` (``JobArgument`` items): the stack wires every argument that names a resource and the
orchestration passes the per-run ones (``run_date``, ``datasets``). An ingest script also declares
``LANDS``, the datasets it lands, so the schedule of those datasets' contracts starts it before curation.
Only each script's ``__main__`` block imports ``awsglue``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

# Arguments given for each run (by the schedule, an operator or the delivery pipeline's smoke test); every
# other argument names a resource.
RUN_ARGUMENTS = frozenset({"run_date", "datasets", "lookback_days", "dry_run", "request_id"})


class JobArgumentError(ValueError):
    """A job argument is missing or unusable; the message names it and says what to pass."""


@dataclass(frozen=True)
class JobArgument:
    """One ``--name`` argument of a job: what it is for and whether the job can run without it."""

    name: str
    description: str
    required: bool = True

    @property
    def per_run(self) -> bool:
        """Given for each run (by the schedule or an operator), not wired by the stack to a resource."""
        return self.name in RUN_ARGUMENTS


def present(arguments: tuple[JobArgument, ...], argv: list[str]) -> list[str]:
    """The declared argument names present in ``argv``: what to ask ``getResolvedOptions`` for, which refuses
    a missing name with a usage dump instead of a message naming it."""
    return [argument.name for argument in arguments if f"--{argument.name}" in argv]


def require(raw: Mapping[str, str], arguments: tuple[JobArgument, ...]) -> dict[str, str]:
    """``raw`` with its empty values dropped; a missing required argument is one ``JobArgumentError``."""
    given = {name: value for name, value in raw.items() if value not in (None, "")}
    missing = [argument for argument in arguments if argument.required and argument.name not in given]
    if missing:
        names = ", ".join(f"--{argument.name} ({argument.description})" for argument in missing)
        raise JobArgumentError(f"missing job argument(s): {names}")
    return given


def parse_run_date(text: str) -> date:
    """``--run_date`` as a date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise JobArgumentError(f"--run_date {text!r} is not a date; pass YYYY-MM-DD") from None


def parse_int(name: str, text: str | None, default: int, minimum: int = 0) -> int:
    """An integer argument (``default`` when absent); below ``minimum`` or not a number is an error."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise JobArgumentError(f"--{name} {text!r} is not a whole number") from None
    if value < minimum:
        raise JobArgumentError(f"--{name} must be {minimum} or more, got {value}")
    return value


def parse_flag(name: str, text: str | None) -> bool:
    """A ``true``/``false`` argument, false when absent."""
    if text is None:
        return False
    if text.lower() not in ("true", "false"):
        raise JobArgumentError(f"--{name} {text!r}: pass true or false")
    return text.lower() == "true"


def fail(job: str, error: Exception) -> NoReturn:
    """End the job run with one line naming the job and the problem (Glue shows it as the run's error)."""
    raise SystemExit(f"{job}: {error}")


def run_entry(job: str, entry: Callable[[], object], expected: tuple[type[Exception], ...]) -> None:
    """Run ``entry``; an ``expected`` error (bad arguments, input or configuration) ends the run with one line
    instead of a stack trace. Anything else is a defect and keeps its trace."""
    try:
        entry()
    except (JobArgumentError, *expected) as error:
        fail(job, error)
    finally:
        sys.stdout.flush()
