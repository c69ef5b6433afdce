"""The compute tier, read from the synthesized stacks, and the boot script it renders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modules.artifacts import service_wheelhouse_hash
from modules.compute import (
    TLS_POLICY,
    BootSpec,
    ComputeProps,
    DatabaseEndpoint,
    FirewallProps,
    ServiceRelease,
    ServiceRuntime,
    render_user_data,
    uvicorn_options,
)
from modules.database.construct import rds_ca_bundle_url
from scripts.apply_estimate import dependency_graph
from scripts.report_serving import compute_row


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def _listeners(stack) -> dict[int, dict]:
    return {listener["port"]: listener for listener in stack.resources("aws_lb_listener").values()}


def test_the_load_balancer_is_public_drops_invalid_headers_and_logs_to_the_log_bucket(stack):
    balancer = stack.one("aws_lb")
    assert balancer["internal"] is False and balancer["drop_invalid_header_fields"] is True
    assert balancer["access_logs"]["enabled"] is True
    assert balancer["access_logs"]["bucket"].startswith("${aws_s3_bucket.lake_access-logs")
    public = {name for name, s in stack.resources("aws_subnet").items() if s["tags"]["tier"] == "public"}
    assert {ref.split(".")[1] for ref in balancer["subnets"]} == public


def test_the_log_bucket_lets_the_load_balancer_write_under_its_prefix(stack, environments):
    env = _env(stack, environments)
    policies = [json.loads(p["policy"]) for p in stack.resources("aws_s3_bucket_policy").values()]
    statements = [s for p in policies for s in p["Statement"] if s["Sid"].startswith("AllowLoadBalancer")]
    assert [s["Principal"] for s in statements] == [
        {"AWS": "${data.aws_elb_service_account.elb-service-account.arn}"},
        {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
    ]
    assert all(s["Resource"] == [s["Resource"][0]] for s in statements)
    assert all(s["Resource"][0].endswith(f"/alb/AWSLogs/{env.account_id}/*") for s in statements)


def test_https_uses_a_tls_1_2_plus_policy_and_the_environments_certificate(stack, environments):
    https = _listeners(stack)[443]
    assert https["protocol"] == "HTTPS" and https["ssl_policy"] == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    (name, certificate), *_ = stack.config["data"]["aws_acm_certificate"].items()
    assert https["certificate_arn"] == f"${{data.aws_acm_certificate.{name}.arn}}"
    assert certificate["domain"] == _env(stack, environments).compute.certificate_domain


def test_http_is_only_redirected_to_https(stack):
    (action,) = _listeners(stack)[80]["default_action"]
    assert action["type"] == "redirect" and "target_group_arn" not in action
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}


def test_deletion_protection_of_the_load_balancer_follows_the_environment(stack, environments):
    expected = _env(stack, environments).compute.load_balancer_deletion_protection
    assert stack.one("aws_lb")["enable_deletion_protection"] is expected


def test_the_health_check_probes_the_service_health_endpoint_over_tls(stack, environments):
    env = _env(stack, environments)
    group = stack.one("aws_lb_target_group")
    assert group["port"] == env.compute.service_port and group["protocol"] == "HTTPS"
    assert group["health_check"]["path"] == env.compute.health_check_path
    assert group["health_check"]["protocol"] == "HTTPS"


def test_instances_require_imdsv2_use_encrypted_volumes_and_get_no_public_ip(stack):
    row = compute_row(stack.config)
    assert (row.imdsv2, row.ebs_encryption, row.public_ip) == ("required, hop limit 1", "KMS (customer key)", "no")
    template = stack.one("aws_launch_template")
    keys = {key["tags"]["purpose"]: name for name, key in stack.resources("aws_kms_key").items()}
    assert template["block_device_mappings"][0]["ebs"]["kms_key_id"] == f"${{aws_kms_key.{keys['ebs']}.arn}}"
    assert "key_name" not in template


def test_port_22_is_open_only_on_the_sftp_endpoint_and_never_to_the_internet(stack):
    (sftp_group,) = stack.one("aws_transfer_server")["endpoint_details"]["security_group_ids"]
    rules = [*stack.resources("aws_vpc_security_group_ingress_rule").values()]
    rules += [r for g in stack.resources("aws_security_group").values() for r in g.get("ingress", [])]
    ssh = [r for r in rules if r["from_port"] <= 22 <= r["to_port"] and not r.get("self")]
    assert ssh and all(r.get("security_group_id") == sftp_group for r in ssh)
    assert all(r["cidr_ipv4"] != "0.0.0.0/0" for r in ssh)


def test_instances_accept_only_the_load_balancer_on_the_service_port(stack, environments):
    env = _env(stack, environments)
    groups = {g["name"]: name for name, g in stack.resources("aws_security_group").items()}
    instances = groups[f"{stack.name}-analytics-instances"]
    rules = [
        r
        for r in stack.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == f"${{aws_security_group.{instances}.id}}"
    ]
    assert [(r["from_port"], r["referenced_security_group_id"]) for r in rules] == [
        (env.compute.service_port, f"${{aws_security_group.{groups[f'{stack.name}-analytics-alb']}.id}}")
    ]


def test_the_group_spans_the_application_subnets_with_the_environments_sizes(stack, environments):
    env = _env(stack, environments)
    group = stack.one("aws_autoscaling_group")
    assert (group["min_size"], group["max_size"]) == (env.compute.min_size, env.compute.max_size)
    application = {name for name, s in stack.resources("aws_subnet").items() if s["tags"]["tier"] == "application"}
    assert {ref.split(".")[1] for ref in group["vpc_zone_identifier"]} == application
    assert group["health_check_type"] == "ELB"


def test_stage_and_production_run_at_least_two_instances(synthesized):
    assert all(synthesized[env].one("aws_autoscaling_group")["min_size"] >= 2 for env in ("stage", "prod"))


def test_a_new_launch_template_version_triggers_a_rolling_refresh_that_keeps_capacity(stack):
    group = stack.one("aws_autoscaling_group")
    assert group["launch_template"]["version"].endswith(".latest_version}")
    refresh = group["instance_refresh"]
    assert refresh["strategy"] == "Rolling"
    assert refresh["preferences"]["min_healthy_percentage"] == 100 and refresh["preferences"]["auto_rollback"]


def test_scaling_tracks_the_environments_cpu_target(stack, environments):
    policy = stack.one("aws_autoscaling_policy")
    tracking = policy["target_tracking_configuration"]
    assert tracking["predefined_metric_specification"]["predefined_metric_type"] == "ASGAverageCPUUtilization"
    assert tracking["target_value"] == _env(stack, environments).compute.target_cpu_percent


def test_autoscaling_launches_with_its_own_role_granted_use_of_the_ebs_key(stack):
    role_name = next(iter(stack.resources("aws_iam_service_linked_role")))
    grant = next(
        g for g in stack.resources("aws_kms_grant").values() if g["name"].endswith("-analytics-autoscaling-ebs")
    )
    assert grant["grantee_principal"] == f"${{aws_iam_service_linked_role.{role_name}.arn}}"
    assert {"CreateGrant", "Decrypt", "GenerateDataKeyWithoutPlaintext"} <= set(grant["operations"])
    assert stack.one("aws_autoscaling_group")["service_linked_role_arn"] == grant["grantee_principal"]


def test_instances_carry_the_mandatory_tags(stack):
    tags = {t["key"]: t for t in stack.one("aws_autoscaling_group")["tag"]}
    assert all(tags[key]["propagate_at_launch"] for key in ("environment", "owner", "cost-center"))


def test_the_instance_role_reads_only_its_release_and_logs_in_to_one_database_user(stack, environments):
    version = _env(stack, environments).compute.service_version
    policies = {p["name"]: json.loads(p["policy"]) for p in stack.resources("aws_iam_role_policy").values()}
    statements = {
        s["Sid"]: s
        for name in ("analytics-instances-boot", "analytics-instances-serving-database")
        for s in policies[name]["Statement"]
    }
    assert statements["ReadRelease"]["Resource"][0].endswith(
        f"/services/northwind-analytics/{version}/{service_wheelhouse_hash()}/*"
    )
    assert statements["ConnectToServingDatabaseWithIamToken"]["Resource"][0].endswith("/analytics_service")
    env = _env(stack, environments)
    assert statements["FindTheServingDatabase"] == {
        "Sid": "FindTheServingDatabase",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter"],
        "Resource": [f"arn:aws:ssm:{env.region}:{env.account_id}:parameter/{stack.name}-serving/address"],
    }


def _waits_for(stack, address: str) -> set[str]:
    """Every resource ``address`` waits for on a first apply, directly or through others."""
    graph = dependency_graph(stack.config)
    seen, todo = set(), [address]
    while todo:
        for before in graph[todo.pop()] - seen:
            seen.add(before)
            todo.append(before)
    return seen


def _address(stack, resource_type: str) -> str:
    (name,) = stack.resources(resource_type)
    return f"{resource_type}.{name}"


def test_rule_the_auto_scaling_group_waits_for_nothing_the_database_creates_so_both_are_created_side_by_side(stack):
    waits = _waits_for(stack, _address(stack, "aws_autoscaling_group"))
    assert not [a for a in waits if a.startswith(("aws_db_instance.", "aws_ssm_parameter."))]
    assert "${aws_db_instance" not in json.dumps(stack.one("aws_launch_template"))


def test_the_stack_publishes_the_database_host_in_the_parameter_the_boot_script_names(stack):
    (parameter,) = stack.resources("aws_ssm_parameter").values()
    (instance,) = stack.resources("aws_db_instance")
    assert parameter["name"] == f"/{stack.name}-serving/address" and parameter["type"] == "String"
    assert parameter["value"] == f"${{aws_db_instance.{instance}.address}}"
    assert f"NORTHWIND_DB_HOST_PARAMETER={parameter['name']}" in _user_data(stack)


def test_rule_instances_boot_only_once_their_subnets_route_out_and_the_vpc_endpoints_exist(stack):
    """Their boot installs packages and reads S3, SSM and CloudWatch Logs; Terraform cannot see that."""
    group = stack.one("aws_autoscaling_group")
    expected = {
        f"{t}.{name}"
        for t in ("aws_route", "aws_route_table_association")
        for name in stack.resources(t)
        if "application" in stack.resources(t)[name]["//"]["metadata"]["path"]
    } | {f"aws_vpc_endpoint.{name}" for name in stack.resources("aws_vpc_endpoint")}
    assert expected <= set(group["depends_on"]) and len(expected) >= 4 + len(stack.resources("aws_vpc_endpoint"))


def test_rule_instances_launch_only_once_the_policies_their_boot_uses_exist_and_those_wait_for_no_database(stack):
    """The boot reads the wheelhouse and the database's parameter and ships its log: an instance launched before
    those grants exist fails its boot. The database login is granted apart, as the database's resource id is
    known only once it exists."""
    policies = {p["name"]: key for key, p in stack.resources("aws_iam_role_policy").items()}
    boot = {
        f"aws_iam_role_policy.{policies[n]}" for n in ("analytics-instances-boot", "analytics-instances-service-logs")
    }
    assert boot <= set(stack.one("aws_autoscaling_group")["depends_on"])
    for address in boot:
        assert not [a for a in _waits_for(stack, address) if a.startswith("aws_db_instance.")], address
    login = f"aws_iam_role_policy.{policies['analytics-instances-serving-database']}"
    assert [a for a in _waits_for(stack, login) if a.startswith("aws_db_instance.")]


def test_the_load_balancer_keeps_instances_by_liveness_which_answers_without_the_database(stack, environments):
    """The target group probes /health, which touches no database (tests/api); /health/database is readiness,
    for the smoke test only: a database still being created, or down, never empties the target group."""
    assert stack.one("aws_lb_target_group")["health_check"]["path"] == "/health"
    assert _env(stack, environments).compute.health_check_path == "/health"


def test_a_waf_with_managed_rules_and_a_per_ip_rate_limit_guards_the_load_balancer(stack, environments):
    acl_name = next(iter(stack.resources("aws_wafv2_web_acl")))
    acl = stack.resources("aws_wafv2_web_acl")[acl_name]
    statements = [rule["statement"] for rule in acl["rule"]]
    groups = [s["managed_rule_group_statement"]["name"] for s in statements if "managed_rule_group_statement" in s]
    assert {"AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet"} <= set(groups)
    (rate,) = [s["rate_based_statement"] for s in statements if "rate_based_statement" in s]
    assert rate["limit"] == _env(stack, environments).compute.requests_per_ip_per_5_minutes
    association = stack.one("aws_wafv2_web_acl_association")
    assert association["web_acl_arn"] == f"${{aws_wafv2_web_acl.{acl_name}.arn}}"
    assert association["resource_arn"].startswith("${aws_lb.compute_load-balancer")


def test_waf_requests_are_logged_without_authorization_headers(stack):
    logging = stack.one("aws_wafv2_web_acl_logging_configuration")
    assert logging["redacted_fields"] == [{"single_header": {"name": "authorization"}}]
    group_name = logging["log_destination_configs"][0].split(".")[1]
    assert stack.resources("aws_cloudwatch_log_group")[group_name]["name"].startswith("aws-waf-logs-")


RUNTIME = ServiceRuntime(
    identity_issuer="https://idp.example/oauth2/workforce",
    identity_audience="api://northwind-analytics-x",
    identity_jwks_url="https://idp.example/oauth2/workforce/v1/keys",
    trusted_proxy_cidrs=("10.0.128.0/20", "10.0.144.0/20"),
)
BOOT = BootSpec(
    release=ServiceRelease(
        "northwind-analytics", "1.2.3", "northwind_analytics.api:app", "artifacts-bucket", "0123456789abcdef"
    ),
    database=DatabaseEndpoint(
        "/northwind-x-serving/address", 5432, "northwind", "sg-1", rds_ca_bundle_url("eu-west-2")
    ),
    runtime=RUNTIME,
    service_port=8443,
    log_group_name="/northwind/analytics/x",
    metrics_namespace="Northwind/AnalyticsService",
    region="eu-west-2",
)


def test_the_boot_script_installs_the_release_from_its_wheelhouse_and_starts_the_unit():
    script = render_user_data(BOOT)
    assert "s3://artifacts-bucket/services/northwind-analytics/1.2.3/0123456789abcdef/" in script
    assert "--no-index" in script and "'northwind-analytics==1.2.3' uvicorn" in script
    assert "uvicorn northwind_analytics.api:app --host 0.0.0.0 --port 8443 \\\n  --ssl-keyfile" in script
    assert "systemctl enable --now northwind-analytics" in script
    assert "NORTHWIND_DB_HOST_PARAMETER=/northwind-x-serving/address" in script
    assert "NORTHWIND_DB_HOST=" not in script and "NORTHWIND_DB_IAM_AUTH=true" in script


def test_the_boot_script_holds_no_secret_and_nothing_terraform_would_interpolate():
    script = render_user_data(BOOT)
    assert "PASSWORD" not in script.upper()
    assert "${" not in script and "%{" not in script


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"version": "latest"}, "exact version"), ({"app": "northwind_analytics.api"}, "module:attribute")],
)
def test_a_release_must_name_an_exact_version_and_an_asgi_app(changes, message):
    values = {"package": "p", "version": "1.0.0", "app": "m:app", "wheelhouse_bucket": "b", "wheelhouse_hash": "h"}
    values.update(changes)
    with pytest.raises(ValueError, match=message):
        ServiceRelease(**values)


def _compute_props(**changes) -> ComputeProps:
    values = dict(
        name_prefix="northwind-x",
        vpc_id="vpc",
        public_subnet_ids=("p1", "p2"),
        application_subnet_ids=("a1", "a2"),
        instance_type="t3.small",
        min_size=1,
        max_size=2,
        target_cpu_percent=60,
        service_port=8080,
        health_check_path="/health",
        certificate_domain="analytics.unit.northwind.example",
        access_logs_bucket="logs",
        load_balancer_deletion_protection=False,
        ebs_kms_key_arn="k",
        instance_profile_arn="profile",
        log_group_name="/northwind/analytics/x",
        metrics_namespace="Northwind/AnalyticsService",
        release=BOOT.release,
        database=BOOT.database,
        runtime=RUNTIME,
    )
    return ComputeProps(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_size": 3}, r"min_size \(3\) <= max_size \(2\)"),
        ({"certificate_domain": "https://analytics.northwind.example"}, "is not a DNS name"),
        ({"application_subnet_ids": ("a1",)}, "subnets in two AZs"),
        ({"root_volume_gib": 4}, "root_volume_gib"),
        ({"load_balancer_idle_timeout_seconds": 75}, r"keep_alive_seconds \(75\) must exceed"),
    ],
)
def test_compute_props_refuse_invalid_values_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        _compute_props(**changes)


def test_firewall_props_refuse_a_rate_limit_waf_cannot_enforce():
    with pytest.raises(ValueError, match="requests_per_ip_per_5_minutes"):
        FirewallProps("x", "arn", 5, "k", 30)


def test_documented_defaults_match_the_code():
    props = _compute_props()
    assert (props.root_volume_gib, props.access_logs_prefix, dict(props.propagated_tags)) == (20, "alb", {})
    assert props.load_balancer_idle_timeout_seconds == 60
    assert props.access_logs_after == ()
    assert BOOT.release.database_user == "analytics_service"
    assert props.name == "northwind-x-analytics"


def _user_data(stack) -> str:
    """The boot script inside the launch template's ``base64encode("...")`` expression."""
    expression = stack.one("aws_launch_template")["user_data"]
    literal = re.fullmatch(r'\$\{base64encode\("(.*)"\)\}', expression, re.S).group(1)
    return json.loads(f'"{literal}"')


def _flag(script: str, name: str) -> str:
    return re.search(rf"{name} (\S+)", script).group(1)


def test_rule_the_service_keeps_idle_connections_longer_than_the_load_balancer(stack, environments):
    env = _env(stack, environments)
    idle = stack.one("aws_lb")["idle_timeout"]
    assert idle == env.compute.load_balancer_idle_timeout_seconds
    assert int(_flag(_user_data(stack), "--timeout-keep-alive")) == env.analytics_api.keep_alive_seconds > idle


def test_rule_graceful_shutdown_ends_before_the_target_is_deregistered(stack):
    delay = int(stack.one("aws_lb_target_group")["deregistration_delay"])
    assert int(_flag(_user_data(stack), "--timeout-graceful-shutdown")) < delay


def test_forwarded_headers_are_trusted_only_from_the_load_balancers_subnets(stack):
    public = sorted(s["cidr_block"] for s in stack.resources("aws_subnet").values() if s["tags"]["tier"] == "public")
    script = _user_data(stack)
    assert "--proxy-headers" in script
    assert sorted(_flag(script, "--forwarded-allow-ips").split(",")) == public


def test_the_identity_provider_pool_and_response_cache_come_from_the_environment_definition(stack, environments):
    env = _env(stack, environments)
    script = _user_data(stack)
    provider = env.analytics_api.identity_provider
    for line in (
        f"NORTHWIND_AUTH_ISSUER={provider.issuer}",
        f"NORTHWIND_AUTH_AUDIENCE={provider.audience}",
        f"NORTHWIND_AUTH_JWKS_URL={provider.jwks_url}",
        f"NORTHWIND_DB_POOL_MAX_SIZE={env.analytics_api.db_pool_max_size}",
        f"NORTHWIND_RESPONSE_CACHE_BYTES={env.analytics_api.response_cache_bytes}",
        f"NORTHWIND_RESPONSE_CACHE_REFRESH_SECONDS={env.analytics_api.response_cache_refresh_seconds:g}",
    ):
        assert f"\n{line}\n" in script
    assert f"WEB_CONCURRENCY=$(( $(nproc) * {env.analytics_api.workers_per_vcpu} ))" in script
    assert "--workers $WEB_CONCURRENCY" in script


def test_each_environment_accepts_only_tokens_for_itself(synthesized):
    audiences = {
        re.search(r"NORTHWIND_AUTH_AUDIENCE=(\S+)", _user_data(synthesized[env])).group(1)
        for env in ("dev", "stage", "prod")
    }
    assert len(audiences) == 3


def test_the_api_benchmark_runs_uvicorn_with_the_instances_options():
    from scripts.bench_api import uvicorn_command

    instances = uvicorn_options(RUNTIME, "/tls")
    bench = uvicorn_command(8443, 2, RUNTIME.keep_alive_seconds, Path("/tls"))
    assert [o for o in bench if o.startswith("--")] == [
        "--host",
        "--port",
        *(o for o in instances if o.startswith("--")),
    ]
    for name in ("--timeout-keep-alive", "--timeout-graceful-shutdown", "--loop", "--http"):
        assert bench[bench.index(name) + 1] == instances[instances.index(name) + 1]


@pytest.mark.parametrize(("setting", "warned"), [("1\n", True), ("0\n", False), (None, False)])
def test_the_api_benchmark_warns_when_the_kernel_schedules_postgresql_apart(tmp_path, setting, warned):
    from scripts.bench_api import autogroup_warning

    path = tmp_path / "sched_autogroup_enabled"
    if setting is not None:  # None: a kernel without autogroups has no such file
        path.write_text(setting)

    warning = autogroup_warning(path)

    assert (warning is not None) is warned
    if warned:
        assert "sysctl kernel.sched_autogroup_enabled=0" in warning
