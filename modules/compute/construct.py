"""The compute tier: an internet-facing HTTPS load balancer in front of an Auto Scaling group of private
instances running the analytics service."""

from __future__ import annotations

from cdktf import Fn, Token
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.autoscaling_policy import (
    AutoscalingPolicy,
    AutoscalingPolicyTargetTrackingConfiguration,
    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.data_aws_acm_certificate import DataAwsAcmCertificate
from cdktf_cdktf_provider_aws.iam_service_linked_role import IamServiceLinkedRole
from cdktf_cdktf_provider_aws.kms_grant import KmsGrant
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateNetworkInterfaces,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction, LbListenerDefaultActionRedirect
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.compute.props import TLS_POLICY, ComputeProps
from modules.compute.user_data import BootSpec, render_user_data

# Amazon Linux 2023, resolved by EC2 at each launch from AWS's public parameter: new instances (scale-out,
# instance refresh) always boot the current patched image.
AMI_PARAMETER = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ROOT_DEVICE = "/dev/xvda"
WARMUP_SECONDS = 300
# What Auto Scaling's service-linked role needs on the EBS key to launch instances with encrypted volumes.
EBS_GRANT_OPERATIONS = (
    "Decrypt",
    "DescribeKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "CreateGrant",
)
GROUP_METRICS = (
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupMaxSize",
    "GroupMinSize",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
)


def _quoted_literal(text: str) -> str:
    """``text`` escaped for a quoted string inside a Terraform expression (``base64encode("...")``)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class ComputeTier(Construct):
    """The analytics service behind an HTTPS load balancer.

    Exposes ``load_balancer`` (``dns_name``, ``arn_suffix``), ``target_group``, ``autoscaling_group``,
    ``launch_template``, ``load_balancer_security_group``, ``instance_security_group`` and
    ``autoscaling_service_role``.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ComputeProps, *, region: str) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self._security_groups()
        self.target_group = LbTargetGroup(
            self,
            "target-group",
            name=props.name,
            vpc_id=props.vpc_id,
            target_type="instance",
            port=props.service_port,
            # TLS to the instances too: traffic is encrypted on every hop (docs/adr/0022).
            protocol="HTTPS",
            deregistration_delay="30",
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                protocol="HTTPS",
                path=props.health_check_path,
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
        )
        self._load_balancer()
        self._autoscaling_group(region)

    def _security_groups(self) -> None:
        props = self.props
        self.load_balancer_security_group, self.instance_security_group = (
            SecurityGroup(
                self,
                construct_id,
                name=f"{props.name}-{suffix}",
                description=description,
                vpc_id=props.vpc_id,
                tags={"Name": f"{props.name}-{suffix}"},
            )
            for construct_id, suffix, description in (
                ("load-balancer-sg", "alb", "HTTPS (and HTTP to redirect) from the internet to the load balancer"),
                ("instance-sg", "instances", "The service port from the load balancer only; no SSH"),
            )
        )
        alb, instances = self.load_balancer_security_group.id, self.instance_security_group.id
        for port, purpose in ((443, "HTTPS"), (80, "HTTP, answered with a redirect to HTTPS")):
            VpcSecurityGroupIngressRule(
                self,
                f"alb-from-internet-{port}",
                security_group_id=alb,
                description=f"{purpose} from the internet",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4="0.0.0.0/0",
            )
        rules = (
            (
                "alb-to-instances",
                VpcSecurityGroupEgressRule,
                alb,
                "The service on the instances",
                props.service_port,
                {"referenced_security_group_id": instances},
            ),
            (
                "instances-from-alb",
                VpcSecurityGroupIngressRule,
                instances,
                "The service from the load balancer",
                props.service_port,
                {"referenced_security_group_id": alb},
            ),
            (
                "instances-to-database",
                VpcSecurityGroupEgressRule,
                instances,
                "PostgreSQL to the serving database",
                props.database.port,
                {"referenced_security_group_id": props.database.security_group_id},
            ),
            (
                "instances-to-https",
                VpcSecurityGroupEgressRule,
                instances,
                "HTTPS to AWS endpoints, S3 and the OS package repositories",
                443,
                {"cidr_ipv4": "0.0.0.0/0"},
            ),
        )
        for rule_id, rule_class, group, description, port, peer in rules:
            rule_class(
                self,
                rule_id,
                security_group_id=group,
                description=description,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                **peer,
            )

    def _load_balancer(self) -> None:
        props = self.props
        self.load_balancer = Lb(
            self,
            "load-balancer",
            name=props.name,
            internal=False,
            load_balancer_type="application",
            security_groups=[self.load_balancer_security_group.id],
            subnets=list(props.public_subnet_ids),
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            # Set, not defaulted: the service's keep-alive is chosen to outlast it (ComputeProps checks).
            idle_timeout=props.load_balancer_idle_timeout_seconds,
            enable_deletion_protection=props.load_balancer_deletion_protection,
            access_logs=LbAccessLogs(bucket=props.access_logs_bucket, prefix=props.access_logs_prefix, enabled=True),
            depends_on=list(props.access_logs_after) or None,
        )
        # The newest issued certificate for the service's name; none found fails the plan, naming the domain.
        self.certificate = DataAwsAcmCertificate(
            self, "certificate", domain=props.certificate_domain, statuses=["ISSUED"], most_recent=True
        )
        self.https_listener = LbListener(
            self,
            "https-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=self.certificate.arn,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )
        LbListener(
            self,
            "http-redirect-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(protocol="HTTPS", port="443", status_code="HTTP_301"),
                )
            ],
        )

    def _autoscaling_group(self, region: str) -> None:
        props = self.props
        # A role of our own (custom suffix) rather than the account's shared one, so the EBS key grant names
        # exactly the role that launches this group's instances.
        self.autoscaling_service_role = IamServiceLinkedRole(
            self,
            "autoscaling-service-role",
            aws_service_name="autoscaling.amazonaws.com",
            custom_suffix=props.name,
            description=f"Launches {props.name} instances with volumes encrypted by the EBS key",
        )
        ebs_grant = KmsGrant(
            self,
            "autoscaling-ebs-grant",
            name=f"{props.name}-autoscaling-ebs",
            key_id=props.ebs_kms_key_arn,
            grantee_principal=self.autoscaling_service_role.arn,
            operations=list(EBS_GRANT_OPERATIONS),
        )
        boot = BootSpec(
            release=props.release,
            database=props.database,
            runtime=props.runtime,
            service_port=props.service_port,
            log_group_name=props.log_group_name,
            metrics_namespace=props.metrics_namespace,
            region=region,
        )
        self.launch_template = LaunchTemplate(
            self,
            "launch-template",
            name=props.name,
            description=f"{props.release.package} {props.release.version}",
            image_id=AMI_PARAMETER,
            instance_type=props.instance_type,
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=props.instance_profile_arn),
            update_default_version=True,
            user_data=Fn.base64encode(_quoted_literal(render_user_data(boot))),
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            network_interfaces=[
                LaunchTemplateNetworkInterfaces(
                    device_index=0,
                    associate_public_ip_address="false",
                    delete_on_termination="true",
                    security_groups=[self.instance_security_group.id],
                )
            ],
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name=ROOT_DEVICE,
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_type="gp3",
                        volume_size=props.root_volume_gib,
                        encrypted="true",
                        kms_key_id=props.ebs_kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            tag_specifications=[
                LaunchTemplateTagSpecifications(
                    resource_type="volume", tags={**props.propagated_tags, "Name": props.name}
                )
            ],
        )
        self.autoscaling_group = AutoscalingGroup(
            self,
            "group",
            name=props.name,
            min_size=props.min_size,
            max_size=props.max_size,
            vpc_zone_identifier=list(props.application_subnet_ids),
            launch_template=AutoscalingGroupLaunchTemplate(
                id=self.launch_template.id, version=Token.as_string(self.launch_template.latest_version)
            ),
            target_group_arns=[self.target_group.arn],
            health_check_type="ELB",
            health_check_grace_period=WARMUP_SECONDS,
            default_instance_warmup=WARMUP_SECONDS,
            service_linked_role_arn=self.autoscaling_service_role.arn,
            enabled_metrics=list(GROUP_METRICS),
            # A new launch template version (release, AMI parameter, settings) rolls the fleet: new instances
            # are launched before old ones go, and a refresh that fails its health checks rolls back.
            instance_refresh=AutoscalingGroupInstanceRefresh(
                strategy="Rolling",
                preferences=AutoscalingGroupInstanceRefreshPreferences(
                    min_healthy_percentage=100,
                    max_healthy_percentage=200,
                    instance_warmup=str(WARMUP_SECONDS),
                    auto_rollback=True,
                ),
            ),
            tag=[
                AutoscalingGroupTag(key=key, value=value, propagate_at_launch=True)
                for key, value in {**props.propagated_tags, "Name": props.name}.items()
            ],
            depends_on=[self.autoscaling_service_role, ebs_grant, *props.launch_after],
        )
        AutoscalingPolicy(
            self,
            "cpu-target-tracking",
            name=f"{props.name}-cpu",
            autoscaling_group_name=self.autoscaling_group.name,
            policy_type="TargetTrackingScaling",
            estimated_instance_warmup=WARMUP_SECONDS,
            target_tracking_configuration=AutoscalingPolicyTargetTrackingConfiguration(
                target_value=props.target_cpu_percent,
                predefined_metric_specification=AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification(
                    predefined_metric_type="ASGAverageCPUUtilization"
                ),
            ),
        )
