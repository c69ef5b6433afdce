"""Peak memory of the processes a benchmark runs: this Python driver, its child processes and Spark's JVM."""

from __future__ import annotations

import resource
from pathlib import Path

from pyspark.sql import SparkSession


def driver_peak_rss_bytes() -> int:
    """Peak resident memory of this Python process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def children_peak_rss_bytes() -> int:
    """Largest peak resident memory among finished child processes (the generator's workers, say)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def jvm_pid(spark: SparkSession) -> int:
    """The process id of the JVM behind ``spark`` (local mode: driver and executors in one JVM)."""
    return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def process_peak_rss_bytes(pid: int, proc: Path = Path("/proc")) -> int:
    """``VmHWM`` (peak resident set) of a live process, from ``/proc/<pid>/status``."""
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"/proc/{pid}/status has no VmHWM line")
