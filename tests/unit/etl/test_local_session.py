"""The local pipeline's session: started in a thread while PostgreSQL starts and the sources land."""

from __future__ import annotations

from etl.pipeline import start_local_session


def test_the_session_is_handed_over_from_its_starting_thread(spark):
    """In a test process the session already exists, so the started session is that one (getOrCreate)."""
    started = start_local_session("northwind-test-start")

    assert started.result(timeout=120) is spark
    assert spark.range(3).count() == 3  # usable from the calling thread
