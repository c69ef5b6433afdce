"""Processing: Glue jobs from the entry scripts, scheduled pipelines from the contracts, SLA alarms."""

from modules.processing.construct import Processing
from modules.processing.jobs import CURATE_JOB, job_name
from modules.processing.props import DatasetSchedule, JobSize, ProcessingProps, RetryPolicy

__all__ = ["CURATE_JOB", "DatasetSchedule", "JobSize", "Processing", "ProcessingProps", "RetryPolicy", "job_name"]
