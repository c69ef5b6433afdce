"""Curating several datasets at once on one SparkSession, each as soon as the parents it references are curated.

A small run's time is mostly the driver's: planning, code generation and scheduling a dozen small jobs per
dataset, while the cores idle. Datasets whose foreign keys do not reach each other are independent, so they are
curated in threads of one session; a dataset starts only when every parent its foreign keys name (among the
requested datasets) has finished, so its references are checked against this run's curated parents exactly as
when curating one by one in ``reference_order``. Each dataset's run, report and balance are its own: a dataset
that raises leaves the others' results in place, and only the datasets referencing it (directly or through
another) are not run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from etl.contracts import load_contract, reference_order
from etl.curate.report import DatasetRunReport

# The contracts' widest set of datasets with no foreign key between them (customers, products, market
# indicators) start together; on two cores two and three threads measured alike, more add nothing.
CURATION_PARALLELISM = 3


@dataclass(frozen=True)
class CurationOutcome:
    """How one dataset's curation ended: its ``report``, the ``error`` it raised, or ``blocked_by``: the parent
    whose failure kept it from running (its references could not be checked against this run's parent)."""

    dataset: str
    report: DatasetRunReport | None = None
    error: Exception | None = None
    blocked_by: str | None = None

    @property
    def finished(self) -> bool:
        """The run returned a report (whatever its status): datasets referencing this one may start."""
        return self.report is not None


def run_parents(datasets: Iterable[str]) -> dict[str, frozenset[str]]:
    """For each of ``datasets``, in ``reference_order``, the parents among them that must be curated first."""
    ordered = reference_order(datasets)
    return {
        name: frozenset(key.parent for key in load_contract(name).foreign_keys if key.parent in ordered) - {name}
        for name in ordered
    }


def curate_concurrently(
    datasets: Iterable[str],
    curate: Callable[[str], DatasetRunReport],
    parallelism: int = CURATION_PARALLELISM,
) -> Iterator[CurationOutcome]:
    """Run ``curate(dataset)`` for every dataset, at most ``parallelism`` at a time (default
    ``CURATION_PARALLELISM``), each once its parents have finished; yields each outcome as it ends, so the caller
    records and prints it in its own thread. Ready datasets start in ``reference_order`` of ``datasets``."""
    if parallelism < 1:
        raise ValueError(f"parallelism must be 1 or more, got {parallelism}")
    parents = run_parents(datasets)
    pending = list(parents)
    ended: dict[str, CurationOutcome] = {}
    running: dict[Future[DatasetRunReport], str] = {}
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="curate") as pool:
        while pending or running:
            for name in list(pending):
                failed = next((p for p in sorted(parents[name]) if p in ended and not ended[p].finished), None)
                if failed is not None:
                    pending.remove(name)
                    ended[name] = CurationOutcome(name, blocked_by=failed)
                    yield ended[name]
            for name in [n for n in pending if parents[n] <= ended.keys()][: parallelism - len(running)]:
                pending.remove(name)
                running[pool.submit(curate, name)] = name
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                error = future.exception()
                ended[name] = (
                    CurationOutcome(name, error=error)
                    if isinstance(error, Exception)
                    else CurationOutcome(name, report=future.result())
                )
                yield ended[name]
