"""The job catalogue: one Glue job per entry script in ``etl/jobs/``, read from the scripts themselves.

Each script declares its ``ARGUMENTS`` (``etl.jobs.JobArgument``) and, when it lands data, ``LANDS``; nothing
here lists jobs by name, so a new entry script is a new job (and, with ``LANDS``, a new first step of its
datasets' schedule) without stack code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from etl.jobs import JobArgument

JOBS_PACKAGE = "etl.jobs"
CURATE_JOB = "curate"
SERVE_JOB = "serve"


def job_name(name_prefix: str, script: str) -> str:
    """``<prefix>-<script>``: the Glue job of one entry script (underscores become hyphens)."""
    return f"{name_prefix}-{script.replace('_', '-')}"


@dataclass(frozen=True)
class JobScript:
    """One entry script: its name (the file's stem), file, declared arguments and the datasets it lands."""

    name: str
    path: Path
    arguments: tuple[JobArgument, ...]
    lands: tuple[str, ...]

    @property
    def wired_arguments(self) -> tuple[JobArgument, ...]:
        """The arguments the stack sets to resources (every argument not given per run)."""
        return tuple(argument for argument in self.arguments if not argument.per_run)


def entry_scripts() -> tuple[JobScript, ...]:
    """Every entry script of ``etl/jobs``, in name order."""
    folder = Path(str(files(JOBS_PACKAGE)))
    scripts = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = importlib.import_module(f"{JOBS_PACKAGE}.{path.stem}")
        scripts.append(JobScript(path.stem, path, tuple(module.ARGUMENTS), tuple(getattr(module, "LANDS", ()))))
    return tuple(scripts)
