"""Bucket policies of every stack: uploads keep to the bucket's own key, and log delivery is confined to the
account it is for."""

from __future__ import annotations

import json

from tests.infra.stack_json import as_list, referenced


def _policies(stack):
    encryption = {
        referenced(b["bucket"]): b["rule"][0]["apply_server_side_encryption_by_default"]
        for b in stack.resources("aws_s3_bucket_server_side_encryption_configuration").values()
    }
    for body in stack.resources("aws_s3_bucket_policy").values():
        bucket = referenced(body["bucket"])
        yield bucket, encryption[bucket], as_list(json.loads(body["policy"])["Statement"])


def test_kms_buckets_deny_sse_kms_uploads_naming_no_key_because_s3_would_use_its_aws_managed_key(stack):
    kms_buckets = 0
    for bucket, default, statements in _policies(stack):
        if default["sse_algorithm"] != "aws:kms":
            continue
        kms_buckets += 1
        (keyless,) = [s for s in statements if s["Sid"] == "DenyKmsUploadsThatNameNoKey"]
        assert keyless["Effect"] == "Deny" and keyless["Action"] == ["s3:PutObject"], bucket
        assert keyless["Condition"] == {
            "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"},
        }
    assert kms_buckets >= 3


def test_every_log_delivery_by_a_service_is_confined_to_this_account(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    delivering = 0
    for bucket, _default, statements in _policies(stack):
        for statement in statements:
            if statement["Effect"] != "Allow" or "Service" not in statement.get("Principal", {}):
                continue
            delivering += 1
            keys = {k: v for block in statement["Condition"].values() for k, v in block.items()}
            assert keys.get("aws:SourceAccount") == env.account_id or (
                keys.get("aws:SourceArn", "").startswith(f"arn:aws:cloudtrail:{env.region}:{env.account_id}:")
            ), f"{bucket} {statement['Sid']}"
    assert delivering >= 5


def test_the_regions_elb_account_writes_only_under_this_accounts_log_path(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    for _bucket, _default, statements in _policies(stack):
        for statement in statements:
            if statement["Effect"] == "Allow" and "AWS" in statement.get("Principal", {}):
                # ELB's regional account sends no source account: the documented form scopes the key path.
                assert statement["Principal"] == {"AWS": "${data.aws_elb_service_account.elb-service-account.arn}"}
                assert statement["Resource"][0].endswith(f"/alb/AWSLogs/{env.account_id}/*")
