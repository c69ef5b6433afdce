"""Stand-in for ``awsglue.context`` (test double): a ``GlueContext`` over the process's SparkSession."""

from __future__ import annotations

from pyspark.sql import SparkSession


class GlueContext:
    """What the entry scripts use of Glue's context: its ``spark_session``."""

    def __init__(self, spark_context) -> None:
        self.spark_context = spark_context
        self.spark_session = SparkSession.builder.getOrCreate()
