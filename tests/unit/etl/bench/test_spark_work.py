"""Counting the Spark work a block triggers: the meter behind the benchmark's jobs and actions per dataset."""

from __future__ import annotations

from etl.spark import counted_spark_work


def test_each_action_of_the_block_is_counted_with_the_jobs_it_ran(spark):
    frame = spark.range(1000)

    with counted_spark_work(spark, "two actions") as work:
        frame.count()
        frame.where("id % 2 = 0").collect()

    assert work.actions == 2
    assert work.jobs >= 2


def test_work_outside_the_block_is_not_counted(spark):
    with counted_spark_work(spark, "nothing") as work:
        plan = spark.range(10).selectExpr("id * 2 AS doubled")  # building a plan runs nothing

    plan.collect()

    assert (work.jobs, work.actions) == (0, 0)
