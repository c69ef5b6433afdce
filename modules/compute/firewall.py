"""A WAF web ACL in front of the internet-facing load balancer, with its requests logged."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
)
from constructs import Construct

from modules.observability.log_groups import encrypted_log_group

# AWS managed rule groups, in evaluation order: known-bad and anonymising sources first, then request exploits
# (the known bad inputs group covers Log4Shell), then the common OWASP-style protections.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
)
# Rules of those groups that only count: BI tools and partners legitimately call from cloud hosting ranges.
COUNT_ONLY_RULES = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}


@dataclass(frozen=True)
class FirewallProps:
    """Inputs of ``WebFirewall``.

    Attributes:
        name: the web ACL's name; its log group is ``aws-waf-logs-<name>`` (WAF requires the prefix).
        protected_resource_arn: the load balancer.
        requests_per_ip_per_5_minutes: a client IP above this rate is blocked until it slows down.
        logs_kms_key_arn: encrypts the request log group.
        log_retention_days: retention of the request log group.
    """

    name: str
    protected_resource_arn: str
    requests_per_ip_per_5_minutes: int
    logs_kms_key_arn: str
    log_retention_days: int

    def __post_init__(self) -> None:
        if self.requests_per_ip_per_5_minutes < 10:
            raise ValueError("FirewallProps.requests_per_ip_per_5_minutes: WAF's smallest rate limit is 10")


def _managed_group(group: str) -> dict:
    statement: dict = {"name": group, "vendor_name": "AWS"}
    overrides = [{"name": rule, "action_to_use": {"count": {}}} for rule in COUNT_ONLY_RULES.get(group, ())]
    if overrides:
        statement["rule_action_override"] = overrides
    return statement


def _visibility(metric_name: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": True}


class WebFirewall(Construct):
    """Managed rule groups and a per-IP rate limit; Authorization headers are redacted from the logs.

    Exposes ``web_acl`` and ``log_group``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: FirewallProps) -> None:
        super().__init__(scope, construct_id)
        rules = [
            Wafv2WebAclRule(
                name=group,
                priority=priority,
                override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                statement={"managed_rule_group_statement": _managed_group(group)},
                visibility_config=Wafv2WebAclRuleVisibilityConfig(**_visibility(group)),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            Wafv2WebAclRule(
                name="rate-limit-per-ip",
                priority=len(rules),
                action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                statement={
                    "rate_based_statement": {
                        "limit": props.requests_per_ip_per_5_minutes,
                        "aggregate_key_type": "IP",
                        "evaluation_window_sec": 300,
                    }
                },
                visibility_config=Wafv2WebAclRuleVisibilityConfig(**_visibility("rate-limit-per-ip")),
            )
        )
        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=props.name,
            description="Managed protections and a per-IP rate limit for the analytics service",
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            rule=rules,
            visibility_config=Wafv2WebAclVisibilityConfig(**_visibility(props.name)),
        )
        Wafv2WebAclAssociation(
            self, "association", resource_arn=props.protected_resource_arn, web_acl_arn=self.web_acl.arn
        )
        self.log_group = encrypted_log_group(
            self,
            "log-group",
            name=f"aws-waf-logs-{props.name}",
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[Wafv2WebAclLoggingConfigurationRedactedFields(single_header={"name": "authorization"})],
        )
