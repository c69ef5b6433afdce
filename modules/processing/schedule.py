"""Contract schedules (five-field cron, UTC) as AWS schedule expressions, and how far apart their runs can be.

EventBridge Scheduler's ``cron()`` has six fields, numbers its weekdays 1-7 from Sunday and needs ``?`` in one
of day-of-month and day-of-week; a contract's cron uses the common five fields. The longest gap between two
runs sizes the missed-run alarm's window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?$")
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")


class ScheduleError(ValueError):
    """A contract's schedule is not a cron expression this platform can run; the message says why."""


def _values(text: str, position: int) -> frozenset[int]:
    low, high = _BOUNDS[position]
    values: set[int] = set()
    for part in text.split(","):
        if not _FIELD.match(part):
            raise ScheduleError(f"{_NAMES[position]} field {part!r}: use *, N, N-M, */S or N-M/S")
        body, _, step = part.partition("/")
        start, end = (low, high) if body == "*" else (int(body.split("-")[0]), int(body.split("-")[-1]))
        if not low <= start <= end <= high:
            raise ScheduleError(f"{_NAMES[position]} field {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, int(step or 1)))
    if position == 4:
        values = {7 if value == 0 else value for value in values}  # 0 and 7 are both Sunday
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A five-field cron expression in UTC."""

    expression: str

    def __post_init__(self) -> None:
        if len(self.fields) != 5:
            raise ScheduleError(f"{self.expression!r}: a schedule has five fields (minute hour day month weekday)")
        for position, text in enumerate(self.fields):
            _values(text, position)
        if self.fields[2] != "*" and self.fields[4] != "*":
            raise ScheduleError(f"{self.expression!r}: restrict the day of the month or of the week, not both")

    @property
    def fields(self) -> list[str]:
        return self.expression.split()

    def aws_expression(self) -> str:
        """The EventBridge Scheduler ``cron(...)`` expression of this schedule."""
        minute, hour, day, month, weekday = (
            text.replace("*/", f"{_BOUNDS[i][0]}/") for i, text in enumerate(self.fields)
        )
        if weekday == "*":
            return f"cron({minute} {hour} {day} {month} ? *)"
        names = ",".join(WEEKDAYS[value % 7] for value in sorted(_values(self.fields[4], 4)))
        return f"cron({minute} {hour} ? {month} {names} *)"

    def runs(self, start: datetime, days: int) -> list[datetime]:
        """Every run from ``start`` (a midnight) over ``days`` days."""
        minute, hour, day, month, weekday = (_values(text, i) for i, text in enumerate(self.fields))
        found = []
        for offset in range(days):
            date = start + timedelta(days=offset)
            # isoweekday: Monday 1 .. Sunday 7, as the day-of-week values above.
            if date.day in day and date.month in month and date.isoweekday() in weekday:
                found += [date.replace(hour=h, minute=m) for h in sorted(hour) for m in sorted(minute)]
        return found

    def longest_gap(self) -> timedelta:
        """The longest time between two consecutive runs over four weeks (from a fixed Monday)."""
        runs = self.runs(datetime(2024, 1, 1), 28)
        if len(runs) < 2:
            raise ScheduleError(f"{self.expression!r} runs less than twice in four weeks; use at least a weekly run")
        return max(later - earlier for earlier, later in pairwise(runs))

    def slug(self) -> str:
        """A name-safe spelling of the expression, e.g. ``0-1-x-x-x`` for ``0 1 * * *``."""
        return "-".join(text.replace("*", "x").replace("/", "s").replace(",", "_") for text in self.fields)
