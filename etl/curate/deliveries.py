"""Which raw files a curation run reads, and what landing recorded about each: the landing side of the balance.

A run reads the current version of every object its dataset's landing manifest records as landed from
``run_date - lookback_days`` to ``run_date``. Landing order is the order of the manifest's entries, so the latest
delivery of a row is the one in the file with the highest ``sequence``, whatever the files are called; an
erasure's rewrite of a file keeps that file's place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from etl.ingest.manifest import FileProblem, Versioning, read_manifest
from etl.lake import LakeStore


@dataclass(frozen=True)
class DeliveredFile:
    """The current version of one landed object: its key, its place in landing order, the rows landing counted,
    its CSV header and any whole-file damage landing found."""

    key: str
    sequence: int
    rows: int
    header: tuple[str, ...] | None = None
    problem: FileProblem | None = None


@dataclass(frozen=True)
class RunWindow:
    """The files a run reads, in landing order, and objects found in the window's partitions that no manifest
    entry describes (their rows cannot be accounted for)."""

    files: tuple[DeliveredFile, ...]
    unregistered: tuple[str, ...] = ()


def window_days(run_date: date, lookback_days: int) -> list[date]:
    """The landing days a run reads, oldest first."""
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be 0 or more, not {lookback_days}")
    return [run_date - timedelta(days=offset) for offset in range(lookback_days, -1, -1)]


def run_window(store: LakeStore, dataset: str, run_date: date, lookback_days: int) -> RunWindow:
    """The files of ``dataset`` whose current version landed in the run's window, per the landing manifest."""
    days = window_days(run_date, lookback_days)
    current: dict[str, tuple[date, DeliveredFile]] = {}
    for sequence, entry in enumerate(read_manifest(store, dataset)):
        header = tuple(entry.header) if entry.header is not None else None
        if entry.versioning is Versioning.ERASURE and entry.key in current:
            # An erasure rewrites a delivery without one customer's rows; it keeps its place in landing order.
            sequence = current[entry.key][1].sequence
        current[entry.key] = (entry.landed_on, DeliveredFile(entry.key, sequence, entry.rows, header, entry.problem))
    files = sorted(
        (delivered for landed_on, delivered in current.values() if days[0] <= landed_on <= days[-1]),
        key=lambda delivered: delivered.sequence,
    )
    return RunWindow(tuple(files), tuple(_unregistered(store, dataset, days, set(current))))


def _unregistered(store: LakeStore, dataset: str, days: Iterable[date], known: set[str]) -> list[str]:
    keys = (key for day in days for key in store.list_keys(f"raw/{dataset}/date={day.isoformat()}/"))
    return sorted(key for key in keys if key not in known)
