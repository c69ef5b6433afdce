"""Requesting an erasure in AWS: write the request to the lake, start the erasure job, wait, read its record.

The customer's key goes only into the request object (SSE-KMS, deleted by the job with all its versions), never
into the job run's arguments, which Glue keeps in its run history.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from etl.erase.run import ErasureRequest
from etl.jobs.erase_customer import request_key

FINISHED = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})


class ErasureRunError(RuntimeError):
    """The erasure job did not complete; the message names the run and Glue's reason."""


def submit_erasure(
    request: ErasureRequest,
    lake_bucket: str,
    lake_kms_key_id: str,
    job_name: str,
    clients: tuple[object, object],
    progress: Callable[[str], None],
    poll_seconds: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Run the erasure of ``request`` through the job and return its audit record (``clients``: s3, glue)."""
    s3, glue = clients
    body = json.dumps({"customer_id": request.customer_id, "requested_by": request.requested_by}).encode("utf-8")
    key = request_key(request.request_id)
    s3.put_object(Bucket=lake_bucket, Key=key, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=lake_kms_key_id)
    run_id = glue.start_job_run(JobName=job_name, Arguments={"--request_id": request.request_id})["JobRunId"]
    progress(f"started {job_name} run {run_id} for request {request.request_id}")
    while True:
        run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
        if run["JobRunState"] in FINISHED:
            break
        progress(f"  {run['JobRunState'].lower()} …")
        sleep(poll_seconds)
    if run["JobRunState"] != "SUCCEEDED":
        raise ErasureRunError(
            f"{job_name} run {run_id} ended {run['JobRunState']}: {run.get('ErrorMessage', 'no message')}; "
            "see docs/runbooks/erasure.md"
        )
    records = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=lake_bucket, Prefix="reports/erasure/date=")
        for item in page.get("Contents", [])
        if item["Key"].endswith(f"/{request.request_id}.json")
    ]
    if not records:
        raise ErasureRunError(f"{job_name} run {run_id} succeeded but wrote no audit record for {request.request_id}")
    return json.loads(s3.get_object(Bucket=lake_bucket, Key=sorted(records)[-1])["Body"].read())
