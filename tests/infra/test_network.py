"""The network construct, read from the synthesized stacks."""

from __future__ import annotations

import ipaddress

import pytest

from modules.network import plan_subnets


def _subnets_by_tier(stack) -> dict[str, list[dict]]:
    tiers: dict[str, list[dict]] = {}
    for subnet in stack.resources("aws_subnet").values():
        tiers.setdefault(subnet["tags"]["tier"], []).append(subnet)
    return tiers


def test_every_tier_spans_the_environments_availability_zones(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    tiers = _subnets_by_tier(stack)
    assert sorted(tiers) == ["application", "data", "public"]
    for subnets in tiers.values():
        assert len({s["availability_zone"] for s in subnets}) == env.network.az_count


def test_production_spans_three_azs_and_others_at_least_two(synthesized):
    assert len(_subnets_by_tier(synthesized["prod"])["data"]) == 3
    assert len(_subnets_by_tier(synthesized["dev"])["data"]) == 2


def test_subnets_lie_inside_the_vpc_and_do_not_overlap(stack):
    vpc = ipaddress.ip_network(stack.one("aws_vpc")["cidr_block"])
    cidrs = [ipaddress.ip_network(s["cidr_block"]) for s in stack.resources("aws_subnet").values()]
    assert all(cidr.subnet_of(vpc) for cidr in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_no_subnet_hands_out_public_ips(stack):
    assert all(s["map_public_ip_on_launch"] is False for s in stack.resources("aws_subnet").values())


@pytest.mark.parametrize(("env", "nat_gateways"), [("dev", 1), ("stage", 1), ("prod", 3)])
def test_nat_gateways_follow_the_nat_strategy(synthesized, env, nat_gateways):
    assert len(synthesized[env].resources("aws_nat_gateway")) == nat_gateways


def test_in_production_each_application_subnet_leaves_through_its_own_nat(synthesized):
    routes = synthesized["prod"].resources("aws_route")
    nat_targets = {r["nat_gateway_id"] for r in routes.values() if "nat_gateway_id" in r}
    assert len(nat_targets) == 3


def test_data_subnets_have_no_route_to_the_internet(stack):
    data_tables = [
        name for name, rt in stack.resources("aws_route_table").items() if rt["tags"]["Name"].endswith("-data")
    ]
    assert len(data_tables) == 1
    routes_from_data = [
        route for route in stack.resources("aws_route").values() if data_tables[0] in route["route_table_id"]
    ]
    assert routes_from_data == []
    assert "route" not in stack.resources("aws_route_table")[data_tables[0]]


def test_the_default_security_group_has_no_rules(stack):
    default_sg = stack.one("aws_default_security_group")
    assert not default_sg.get("ingress") and not default_sg.get("egress")


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group_with_retention(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    flow_log = stack.one("aws_flow_log")
    assert flow_log["traffic_type"] == "ALL"
    groups = [g for g in stack.resources("aws_cloudwatch_log_group").values() if "vpc-flow-logs" in g["name"]]
    assert len(groups) == 1
    assert groups[0]["retention_in_days"] == env.network.flow_log_retention_days
    assert "aws_kms_key.encryption_logs-key" in groups[0]["kms_key_id"]


def test_s3_and_dynamodb_have_gateway_endpoints_on_private_and_data_route_tables(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    gateways = {
        e["service_name"].rsplit(".", 1)[1]: e
        for e in stack.resources("aws_vpc_endpoint").values()
        if e["vpc_endpoint_type"] == "Gateway"
    }
    assert sorted(gateways) == ["dynamodb", "s3"]
    for endpoint in gateways.values():
        assert len(endpoint["route_table_ids"]) == env.network.az_count + 1


def test_interface_endpoints_sit_in_application_subnets_behind_https_from_the_vpc_only(stack):
    interfaces = {
        e["service_name"].rsplit(".", 1)[1]: e
        for e in stack.resources("aws_vpc_endpoint").values()
        if e["vpc_endpoint_type"] == "Interface"
    }
    assert {"glue", "secretsmanager", "kms", "logs", "sts", "ssm"} <= set(interfaces)
    endpoint_sg = next(
        sg for sg in stack.resources("aws_security_group").values() if sg["name"].endswith("-vpc-endpoints")
    )
    (rule,) = endpoint_sg["ingress"]
    assert (rule["from_port"], rule["to_port"], rule["protocol"]) == (443, 443, "tcp")
    assert rule["cidr_blocks"] == [stack.one("aws_vpc")["cidr_block"]]
    assert not endpoint_sg.get("egress")
    for endpoint in interfaces.values():
        assert endpoint["private_dns_enabled"] is True
        assert all("application-subnet" in subnet for subnet in endpoint["subnet_ids"])


def test_the_subnet_plan_gives_each_tier_a_quarter_of_the_vpc():
    plan = plan_subnets(ipaddress.ip_network("10.0.0.0/16"), 3)
    assert [str(c) for c in plan.application] == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    assert [str(c) for c in plan.data] == ["10.0.64.0/20", "10.0.80.0/20", "10.0.96.0/20"]
    assert [str(c) for c in plan.public] == ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"]
