"""The local pipeline's session: started in a thread and warmed up while the sources land."""

from __future__ import annotations

from etl.pipeline import start_local_session
from etl.spark import counted_spark_work, warm_up


def test_the_warm_up_runs_one_aggregation_over_a_shuffle(spark):
    with counted_spark_work(spark, "warm up") as work:
        warm_up(spark)

    # One action; its shuffle makes it at least two jobs under adaptive execution (map stage, then result).
    assert work.actions == 1
    assert work.jobs >= 2


def test_the_session_is_handed_over_from_its_starting_thread_once_warmed_up(spark):
    """In a test process the session already exists, so the started session is that one (getOrCreate)."""
    started = start_local_session("northwind-test-start")

    assert started.result(timeout=120) is spark
    assert spark.range(3).count() == 3  # usable from the calling thread
