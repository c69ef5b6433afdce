"""SparkSession construction shared by local runs and tests.

Glue 5.0 runs Spark 3.5.4 with UTC session time; the settings here mirror the ones our Glue jobs pass
(``--conf``) so a transform behaves the same locally and in AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import SparkSession

# Settings the curated zone depends on, applied identically locally and in Glue.
PLATFORM_SPARK_CONF: dict[str, str] = {
    # Late data rewrites only the partitions it touches (see docs/adr on late data).
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # Source timestamps carry no zone; the conformance policy interprets them in UTC.
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


# A run of seconds spends much of its time in the JIT compilers: C1 alone compiles quickly and leaves the cores
# to the run; C2's faster code pays off only over minutes of work. The serial collector runs no collector threads
# beside the run's (G1 does), which a small heap collected in milliseconds does not need.
QUICK_START_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

# Spark lists 32 or more read paths in a Spark job of one task per path, which pays off where a listing is a
# network call (S3, on Glue's executors). A local file's status is a system call: listing a run's raw files on the
# driver takes milliseconds, the job seconds (167 hourly files of the sample clickstream). Local sessions only.
LOCAL_LISTING_CONF = {"spark.sql.sources.parallelPartitionDiscovery.threshold": "100000"}


def build_local_session(
    app_name: str = "northwind-local",
    shuffle_partitions: int = 4,
    driver_memory: str = "2g",
    *,
    quick_start: bool = False,
) -> SparkSession:
    """Return a local-mode SparkSession with the platform's settings (2 cores on a developer machine).

    ``quick_start`` (default False) is for runs of seconds, such as the local pipeline on the sample: the JVM
    compiles with C1 only and collects with the serial collector (``QUICK_START_JAVA_OPTIONS``). Benchmarks of
    minutes leave it off.
    """
    builder = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
    )
    for key, value in {**PLATFORM_SPARK_CONF, **LOCAL_LISTING_CONF}.items():
        builder = builder.config(key, value)
    if quick_start:
        builder = builder.config("spark.driver.extraJavaOptions", QUICK_START_JAVA_OPTIONS)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    resolve_gateway_names(session)
    return session


# PySpark reaches these JVM classes by their short names on every call: every ``pyspark.sql.functions`` call
# through ``functions``, every list of columns or paths through ``PythonUtils``. py4j tries such a name in each
# package the gateway imports, in turn, and each miss searches every jar on the classpath; resolved once and kept
# on the gateway's view, a call is one round trip (``F.col`` measured 1.06 ms a call before, 0.35 ms after).
RESOLVED_ONCE = ("functions", "PythonUtils")


def resolve_gateway_names(spark: SparkSession) -> None:
    """Resolve ``RESOLVED_ONCE`` on the JVM view PySpark calls through, once for the gateway (py4j asks the JVM
    only for names its view does not hold)."""
    view = spark.sparkContext._jvm
    for name in RESOLVED_ONCE:
        if name not in vars(view):
            vars(view)[name] = getattr(view, name)


@dataclass
class SparkWork:
    """How much Spark work a block of code triggered: jobs (each a set of stages scheduled together) and SQL
    executions (one per DataFrame action: a collect, a count, a write)."""

    jobs: int = 0
    actions: int = 0


@contextmanager
def counted_spark_work(spark: SparkSession, label: str) -> Iterator[SparkWork]:
    """Count the jobs and actions the block triggers; ``label`` names the job group they run in (also shown in
    Spark's UI). The counts are filled in when the block ends."""
    context = spark.sparkContext
    group = f"{label}-{uuid.uuid4().hex[:8]}"
    store = spark._jsparkSession.sharedState().statusStore()  # the SQL tab's store: one execution per action
    executions_before = store.executionsCount()
    work = SparkWork()
    context.setJobGroup(group, label)
    try:
        yield work
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)
        work.jobs = len(context.statusTracker().getJobIdsForGroup(group))
        work.actions = store.executionsCount() - executions_before
