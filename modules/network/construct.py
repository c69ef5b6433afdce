"""The network construct."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from modules.network.props import NatMode, NetworkProps, plan_subnets
from modules.policy import Statement, assume_role_policy, policy_json


class Network(Construct):
    """A three-tier VPC.

    - public subnets: the load balancer, NAT gateways and the SFTP endpoint only; no public IPs on launch;
    - application subnets: private, outbound through NAT, home of the EC2 tier, Glue ENIs and endpoints;
    - data subnets: isolated (no route to the internet at all), home of the database.

    Exposes ``vpc``, ``public_subnets``, ``application_subnets``, ``data_subnets``, ``subnet_plan`` (their
    CIDRs), ``endpoint_security_group``, ``s3_prefix_list_id`` (S3 through the gateway endpoint, for security
    group rules) and ``application_egress`` (the application subnets' routes out through NAT and the VPC
    endpoints: what an instance booting there needs, for resources to be created after).
    """

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.application_egress: list = []
        plan = self.subnet_plan = plan_subnets(props.vpc_cidr, len(props.availability_zones))
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=str(props.vpc_cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{props.name_prefix}-vpc"},
        )
        # Taking over the default security group with no rules closes the door AWS leaves open.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, tags={"Name": f"{props.name_prefix}-default"})

        self.public_subnets = self._subnets("public", plan.public)
        self.application_subnets = self._subnets("application", plan.application)
        self.data_subnets = self._subnets("data", plan.data)

        private_route_tables = self._routing()
        data_route_table = RouteTable(self, "data-rt", vpc_id=self.vpc.id, tags={"Name": f"{props.name_prefix}-data"})
        for index, subnet in enumerate(self.data_subnets):
            RouteTableAssociation(self, f"data-rta-{index}", subnet_id=subnet.id, route_table_id=data_route_table.id)
        self._flow_logs()
        self._endpoints([*(rt.id for rt in private_route_tables), data_route_table.id])

    def _subnets(self, tier: str, cidrs) -> list[Subnet]:
        return [
            Subnet(
                self,
                f"{tier}-subnet-{index}",
                vpc_id=self.vpc.id,
                cidr_block=str(cidr),
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{self.props.name_prefix}-{tier}-{az}", "tier": tier},
            )
            for index, (cidr, az) in enumerate(zip(cidrs, self.props.availability_zones, strict=True))
        ]

    def _routing(self) -> list[RouteTable]:
        prefix = self.props.name_prefix
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-igw"})
        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-public"})
        Route(
            self,
            "public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
        )
        for index, subnet in enumerate(self.public_subnets):
            RouteTableAssociation(self, f"public-rta-{index}", subnet_id=subnet.id, route_table_id=public_rt.id)

        nat_count = len(self.public_subnets) if self.props.nat_mode is NatMode.PER_AZ else 1
        nat_gateways = []
        for index in range(nat_count):
            eip = Eip(self, f"nat-eip-{index}", domain="vpc", tags={"Name": f"{prefix}-nat-{index}"})
            nat_gateways.append(
                NatGateway(
                    self,
                    f"nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=self.public_subnets[index].id,
                    tags={"Name": f"{prefix}-nat-{index}"},
                    depends_on=[igw],
                )
            )

        route_tables = []
        for index, subnet in enumerate(self.application_subnets):
            rt = RouteTable(
                self,
                f"application-rt-{index}",
                vpc_id=self.vpc.id,
                tags={"Name": f"{prefix}-application-{index}"},
            )
            # Each AZ leaves through its own NAT gateway when there is one per AZ.
            nat = nat_gateways[index % len(nat_gateways)]
            route = Route(
                self,
                f"application-default-{index}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
            )
            association = RouteTableAssociation(
                self, f"application-rta-{index}", subnet_id=subnet.id, route_table_id=rt.id
            )
            self.application_egress += [route, association]
            route_tables.append(rt)
        return route_tables

    def _flow_logs(self) -> None:
        prefix = self.props.name_prefix
        log_group = CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=f"/northwind/vpc-flow-logs/{prefix}",
            retention_in_days=self.props.flow_log_retention_days,
            kms_key_id=self.props.logs_kms_key_arn,
        )
        role = IamRole(
            self,
            "flow-log-role",
            name=f"{prefix}-vpc-flow-logs",
            assume_role_policy=assume_role_policy(
                "vpc-flow-logs.amazonaws.com",
                source_account=self.props.account_id,
                source_arn=f"arn:aws:ec2:{self.props.region}:{self.props.account_id}:vpc-flow-log/*",
            ),
        )
        policy = IamRolePolicy(
            self,
            "flow-log-policy",
            role=role.id,
            name="write-flow-logs",
            policy=policy_json(
                [
                    Statement(
                        sid="WriteFlowLogs",
                        actions=("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
                        resources=(log_group.arn, f"{log_group.arn}:*"),
                    )
                ]
            ),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            # Flow Logs starts delivering with the role as soon as the flow log exists.
            depends_on=[policy],
        )

    def _endpoints(self, route_table_ids: list[str]) -> None:
        region = self.props.region
        prefix = self.props.name_prefix
        gateways = {
            service: VpcEndpoint(
                self,
                f"{service}-gateway-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_table_ids,
                tags={"Name": f"{prefix}-{service}"},
            )
            for service in ("s3", "dynamodb")
        }
        self.application_egress += gateways.values()
        # Security groups admit S3 through its gateway by this prefix list, without opening the internet.
        self.s3_prefix_list_id: str = gateways["s3"].prefix_list_id
        self.endpoint_security_group = SecurityGroup(
            self,
            "endpoint-sg",
            name=f"{prefix}-vpc-endpoints",
            description="HTTPS from inside the VPC to AWS interface endpoints",
            vpc_id=self.vpc.id,
            ingress=[
                SecurityGroupIngress(
                    description="HTTPS from the VPC",
                    from_port=443,
                    to_port=443,
                    protocol="tcp",
                    cidr_blocks=[str(self.props.vpc_cidr)],
                )
            ],
            tags={"Name": f"{prefix}-vpc-endpoints"},
        )
        for service in self.props.interface_endpoints:
            endpoint = VpcEndpoint(
                self,
                f"{service}-interface-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in self.application_subnets],
                security_group_ids=[self.endpoint_security_group.id],
                tags={"Name": f"{prefix}-{service}"},
            )
            self.application_egress.append(endpoint)
