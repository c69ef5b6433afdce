"""The SFTP server: endpoint, who may connect, partner users confined to their folders, logs, the bucket."""

from __future__ import annotations

import json
import re
from datetime import date
from ipaddress import ip_network

import pytest

from etl.ingest.arrivals import PARTNER_ROUTES
from modules.transfer import CURRENT_SECURITY_POLICY, PartnerAccess
from modules.transfer.props import SFTP_PORT

# IAM's limit on a session policy, which Transfer Family applies to every partner session.
SESSION_POLICY_LIMIT = 2048
# The longest bucket ARN the session policy can carry: arn:aws:s3::: plus a 63-character bucket name.
LONGEST_BUCKET_ARN = "arn:aws:s3:::" + "b" * 63


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _transfer_bucket(stack) -> tuple[str, dict]:
    (found,) = [(k, b) for k, b in stack.resources("aws_s3_bucket").items() if "-transfer-" in b["bucket"]]
    return found


def _ref(resource_type: str, name: str, attribute: str) -> str:
    return f"${{{resource_type}.{name}.{attribute}}}"


def test_one_sftp_only_server_per_environment_with_the_current_security_policy(stack):
    server = stack.one("aws_transfer_server")
    assert server["protocols"] == ["SFTP"]
    assert server["identity_provider_type"] == "SERVICE_MANAGED"
    assert server["security_policy_name"] == CURRENT_SECURITY_POLICY


def test_the_security_policy_is_less_than_two_years_old_as_the_policy_gate_requires():
    year, month = map(int, re.search(r"(\d{4})-(\d{2})$", CURRENT_SECURITY_POLICY).groups())
    today = date.today()
    assert (today.year - year) * 12 + today.month - month < 24, "move to the newest TransferSecurityPolicy"


def test_the_endpoint_is_in_the_vpc_with_an_elastic_ip_in_every_public_subnet(stack, environments):
    env = _env(stack, environments)
    details = stack.one("aws_transfer_server")["endpoint_details"]
    assert stack.one("aws_transfer_server")["endpoint_type"] == "VPC"
    assert len(details["subnet_ids"]) == len(details["address_allocation_ids"]) == env.network.az_count
    public = {f"${{aws_subnet.{name}.id}}" for name, body in stack.resources("aws_subnet").items() if "public" in name}
    assert set(details["subnet_ids"]) <= public
    eips = stack.resources("aws_eip")
    assert all(ref.split(".")[1] in eips for ref in details["address_allocation_ids"])


def test_only_each_partners_networks_reach_port_22_and_nothing_else_is_admitted(stack, environments):
    env = _env(stack, environments)
    (group_id,) = stack.one("aws_transfer_server")["endpoint_details"]["security_group_ids"]
    rules = [
        body
        for body in stack.resources("aws_vpc_security_group_ingress_rule").values()
        if body["security_group_id"] == group_id
    ]
    expected = {
        (f"SFTP from {name}", str(cidr))
        for name, partner in env.transfer.partners.items()
        for cidr in partner.allowed_cidrs
    }
    assert {(rule["description"], rule["cidr_ipv4"]) for rule in rules} == expected
    assert {(rule["from_port"], rule["to_port"], rule["ip_protocol"]) for rule in rules} == {
        (SFTP_PORT, SFTP_PORT, "tcp")
    }
    egress = stack.resources("aws_vpc_security_group_egress_rule").values()
    assert not [rule for rule in egress if rule["security_group_id"] == group_id]


def test_every_partner_has_a_user_whose_whole_file_system_is_its_incoming_folder(stack, environments):
    env = _env(stack, environments)
    bucket_name, _ = _transfer_bucket(stack)
    users = {body["user_name"]: body for body in stack.resources("aws_transfer_user").values()}
    assert set(users) == set(env.transfer.partners)
    for name, user in users.items():
        assert user["home_directory_type"] == "LOGICAL"
        assert user["home_directory_mappings"] == [
            {"entry": "/", "target": f"/{_ref('aws_s3_bucket', bucket_name, 'bucket')}/incoming/{name}"}
        ]


def test_each_session_policy_reaches_only_the_partners_own_folder_and_fits_iams_limit(stack):
    bucket_name, _ = _transfer_bucket(stack)
    bucket_arn = _ref("aws_s3_bucket", bucket_name, "arn")
    for user in stack.resources("aws_transfer_user").values():
        folder = f"incoming/{user['user_name']}/"
        policy = json.loads(user["policy"])
        for statement in policy["Statement"]:
            for resource in statement["Resource"]:
                assert resource in (bucket_arn, f"{bucket_arn}/{folder}*"), resource
            prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix", [folder])
            assert all(prefix.startswith(folder) for prefix in prefixes)
        assert len(user["policy"].replace(bucket_arn, LONGEST_BUCKET_ARN)) <= SESSION_POLICY_LIMIT


def test_each_partner_signs_in_with_the_ssh_keys_of_its_environment_definition(stack, environments):
    env = _env(stack, environments)
    users = {
        _ref("aws_transfer_user", k, "user_name"): b["user_name"]
        for k, b in stack.resources("aws_transfer_user").items()
    }
    keys: dict[str, set[str]] = {}
    for key in stack.resources("aws_transfer_ssh_key").values():
        keys.setdefault(users[key["user_name"]], set()).add(key["body"])
    assert keys == {name: set(partner.ssh_public_keys) for name, partner in env.transfer.partners.items()}


def test_the_partner_role_is_assumable_only_by_transfer_for_users_of_this_server(stack, environments):
    env = _env(stack, environments)
    (server_name,) = stack.resources("aws_transfer_server")
    roles = {body["role"] for body in stack.resources("aws_transfer_user").values()}
    (role_ref,) = roles
    role = stack.resources("aws_iam_role")[role_ref.split(".")[1]]
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"Service": "transfer.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": env.account_id}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:transfer:{env.region}:{env.account_id}:user/{_ref('aws_transfer_server', server_name, 'id')}/*"
    )
    assert len(role["name"]) <= 64


def test_the_partner_role_writes_objects_only_under_incoming(stack):
    bucket_name, _ = _transfer_bucket(stack)
    bucket_arn = _ref("aws_s3_bucket", bucket_name, "arn")
    (policy,) = [b for b in stack.resources("aws_iam_role_policy").values() if b["name"] == "incoming-folders"]
    s3_resources = {
        resource
        for statement in json.loads(policy["policy"])["Statement"]
        if any(action.startswith("s3:") for action in statement["Action"])
        for resource in statement["Resource"]
    }
    assert s3_resources == {bucket_arn, f"{bucket_arn}/incoming/*"}


def test_the_server_logs_structured_json_to_its_kms_encrypted_log_group(stack):
    (name, group) = next(
        (k, b)
        for k, b in stack.resources("aws_cloudwatch_log_group").items()
        if b["name"].startswith("/northwind/transfer/")
    )
    assert group["kms_key_id"].startswith("${aws_kms_key.encryption_logs-key")
    assert stack.one("aws_transfer_server")["structured_log_destinations"] == [
        f"{_ref('aws_cloudwatch_log_group', name, 'arn')}:*"
    ]


def test_log_delivery_may_write_only_the_transfer_log_group_on_behalf_of_this_account(stack, environments):
    env = _env(stack, environments)
    (statement,) = json.loads(stack.one("aws_cloudwatch_log_resource_policy")["policy_document"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"][0].startswith("${aws_cloudwatch_log_group.transfer_log-group")
    assert statement["Resource"][0].endswith(":log-stream:*")
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": env.account_id}


def test_the_transfer_bucket_is_a_secure_lake_key_bucket_whose_uploads_and_rejections_expire(stack, environments):
    env = _env(stack, environments)
    bucket_name, bucket = _transfer_bucket(stack)
    assert bucket["bucket"] == f"northwind-{env.name}-transfer-{env.account_id}"
    assert bucket["tags"]["data-classification"] == "confidential-pii"
    (encryption,) = [
        b
        for b in stack.resources("aws_s3_bucket_server_side_encryption_configuration").values()
        if bucket_name in b["bucket"]
    ]
    default = encryption["rule"][0]["apply_server_side_encryption_by_default"]
    assert default["kms_master_key_id"].startswith("${aws_kms_key.encryption_lake-key")
    (lifecycle,) = [
        b for b in stack.resources("aws_s3_bucket_lifecycle_configuration").values() if bucket_name in b["bucket"]
    ]
    expiry = {r["filter"][0]["prefix"]: r["expiration"][0]["days"] for r in lifecycle["rule"] if "expiration" in r}
    assert expiry == {"incoming/": env.transfer.incoming_expiry_days, "rejected/": env.transfer.rejected_expiry_days}


def test_every_partner_of_the_arrival_landing_can_be_given_a_transfer_user():
    for name in PARTNER_ROUTES:
        assert PartnerAccess(name, ("ssh-ed25519 AAAA",), (ip_network("192.0.2.0/24"),)).incoming_prefix == (
            f"incoming/{name}/"
        )


def test_a_partner_without_keys_or_with_a_name_transfer_refuses_is_rejected():
    with pytest.raises(ValueError, match="at least one SSH public key"):
        PartnerAccess("order-system", (), (ip_network("192.0.2.0/24"),))
    with pytest.raises(ValueError, match="not a Transfer Family user name"):
        PartnerAccess("a b", ("ssh-ed25519 AAAA",), (ip_network("192.0.2.0/24"),))
