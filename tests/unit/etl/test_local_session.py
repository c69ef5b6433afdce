"""The local pipeline's session: started in a thread while PostgreSQL starts and the sources land."""

from __future__ import annotations

from etl.pipeline import start_local_session


def test_the_session_is_handed_over_from_its_starting_thread(spark):
    """In a test process the session already exists, so the started session is that one (getOrCreate)."""
    started = start_local_session("northwind-test-start")

    assert started.result(timeout=120) is spark
    assert spark.range(3).count() == 3  # usable from the calling thread


def test_functions_reach_the_jvm_in_one_round_trip_once_their_classes_are_resolved(spark, monkeypatch):
    from py4j import protocol
    from pyspark.sql import functions as F

    from etl.spark import RESOLVED_ONCE, resolve_gateway_names

    client = spark.sparkContext._gateway._gateway_client
    sent = []
    original = client.send_command

    def counting(command, *args, **kwargs):
        sent.append(command)
        return original(command, *args, **kwargs)

    monkeypatch.setattr(client, "send_command", counting)
    look_up = protocol.REFLECTION_COMMAND_NAME + protocol.REFL_GET_UNKNOWN_SUB_COMMAND_NAME
    view = spark.sparkContext._jvm
    for name in RESOLVED_ONCE:  # as PySpark leaves the view
        monkeypatch.delitem(vars(view), name)
    F.col("event_id")
    assert any(command.startswith(look_up) for command in sent)  # the short name looked up on every call

    resolve_gateway_names(spark)
    resolve_gateway_names(spark)  # again: nothing left to resolve
    sent.clear()
    assert str(F.col("event_id")) == "Column<'event_id'>"
    assert sent and not any(command.startswith(look_up) for command in sent)
    assert set(RESOLVED_ONCE) <= set(vars(spark.sparkContext._jvm))


def test_local_sessions_list_read_paths_on_the_driver(spark):
    assert spark.conf.get("spark.sql.sources.parallelPartitionDiscovery.threshold") == "100000"
