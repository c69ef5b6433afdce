"""The instances' boot script: install the analytics service from the wheelhouse and run it under systemd.

Terraform interpolates ``${...}`` and ``%{...}`` inside strings, so the script uses ``$NAME`` shell
expansions only; bucket names may be Terraform references. Nothing in it depends on the database: the service
reads the database's host name from its SSM parameter when it connects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from modules.compute.props import DatabaseEndpoint, ServiceRelease, ServiceRuntime

CLOUDWATCH_AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
# Shorter than the target group's deregistration delay (30 s): requests in flight finish before the instance
# is taken out.
GRACEFUL_SHUTDOWN_SECONDS = 25


@dataclass(frozen=True)
class BootSpec:
    """Everything the boot script needs; see ``render_user_data``."""

    release: ServiceRelease
    database: DatabaseEndpoint
    runtime: ServiceRuntime
    service_port: int
    log_group_name: str
    metrics_namespace: str
    region: str


def _agent_config(spec: BootSpec, log_file: str) -> str:
    config = {
        "agent": {"run_as_user": "cwagent"},
        "logs": {
            "logs_collected": {
                "files": {
                    "collect_list": [
                        {
                            "file_path": log_file,
                            "log_group_name": spec.log_group_name,
                            "log_stream_name": "{instance_id}",
                        }
                    ]
                }
            }
        },
        "metrics": {
            "namespace": spec.metrics_namespace,
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["used_percent"], "resources": ["/"]},
            },
        },
    }
    return json.dumps(config, indent=2)


def uvicorn_options(runtime: ServiceRuntime, tls_dir: str) -> list[str]:
    """uvicorn's options on the instances, after host and port (the API's benchmark runs the same)."""
    return [
        "--ssl-keyfile",
        f"{tls_dir}/key.pem",
        "--ssl-certfile",
        f"{tls_dir}/cert.pem",
        # Worker processes: the boot script writes vCPUs x workers_per_vcpu into the environment file.
        "--workers",
        "$WEB_CONCURRENCY",
        "--timeout-keep-alive",
        str(runtime.keep_alive_seconds),
        "--timeout-graceful-shutdown",
        str(GRACEFUL_SHUTDOWN_SECONDS),
        # X-Forwarded-For/-Proto are believed only from the load balancer's subnets; anyone else's are ignored.
        "--proxy-headers",
        "--forwarded-allow-ips",
        ",".join(runtime.trusted_proxy_cidrs),
        "--no-server-header",
        # The load balancer's access logs record every request; the service logs what goes wrong.
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]


def render_user_data(spec: BootSpec) -> str:
    """The cloud-init shell script.

    It installs Python 3.11, the CloudWatch agent and openssl; copies the release's wheelhouse from S3 and
    installs ``package==version`` and uvicorn from it alone; creates a self-signed certificate (the load
    balancer encrypts to targets but does not verify them); writes the service's environment (the SSM parameter
    holding the database's host name, its port, name and IAM user — no password: the service asks RDS for an
    IAM token — its pool sizes, the
    identity provider whose tokens it accepts, and its worker count from the instance's vCPUs); starts a
    hardened systemd unit serving ``app`` on ``service_port`` with TLS and ``uvicorn_options``; and ships the
    service log to ``log_group_name``.
    """
    release = spec.release
    service = release.service_name
    app_dir = f"/opt/{service}"
    tls_dir = f"/etc/{service}/tls"
    log_file = f"/var/log/{service}/service.log"
    environment = {
        "AWS_REGION": spec.region,
        "NORTHWIND_DB_HOST_PARAMETER": spec.database.address_parameter,
        "NORTHWIND_DB_PORT": str(spec.database.port),
        "NORTHWIND_DB_NAME": spec.database.name,
        "NORTHWIND_DB_USER": release.database_user,
        "NORTHWIND_DB_IAM_AUTH": "true",
        "NORTHWIND_DB_SSLMODE": "verify-full",
        **spec.runtime.environment,
    }
    environment_lines = "\n".join(f"{key}={value}" for key, value in environment.items())
    return f"""#!/bin/bash
# Installs and starts {release.package} {release.version}; see docs/adr/0023-analytics-instances-and-user-data.md.
set -euo pipefail
dnf install -y python3.11 amazon-cloudwatch-agent openssl
id -u {service} >/dev/null 2>&1 || useradd --system --home-dir {app_dir} --shell /sbin/nologin {service}
mkdir -p /var/cache/{service}/wheelhouse {tls_dir} /var/log/{service}
aws s3 cp --recursive --only-show-errors \\
  s3://{release.wheelhouse_bucket}/{release.wheelhouse_prefix} /var/cache/{service}/wheelhouse/
python3.11 -m venv {app_dir}
{app_dir}/bin/pip install --no-index --find-links /var/cache/{service}/wheelhouse \\
  '{release.package}=={release.version}' uvicorn
curl -fsS --proto =https -o /etc/{service}/rds-ca.pem {spec.database.ca_bundle_url}
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj '/CN={service}' \\
  -keyout {tls_dir}/key.pem -out {tls_dir}/cert.pem
cat > /etc/{service}/environment <<'ENVIRONMENT'
{environment_lines}
PGSSLROOTCERT=/etc/{service}/rds-ca.pem
ENVIRONMENT
echo "WEB_CONCURRENCY=$(( $(nproc) * {spec.runtime.workers_per_vcpu} ))" >> /etc/{service}/environment
chown -R {service}: /etc/{service} /var/log/{service}
chmod 600 {tls_dir}/key.pem
cat > /etc/systemd/system/{service}.service <<'UNIT'
[Unit]
Description={release.package} {release.version}
After=network-online.target
Wants=network-online.target

[Service]
User={service}
EnvironmentFile=/etc/{service}/environment
ExecStart={app_dir}/bin/uvicorn {release.app} --host 0.0.0.0 --port {spec.service_port} \\
  {" ".join(uvicorn_options(spec.runtime, tls_dir))}
Restart=always
RestartSec=5
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/log/{service}
StandardOutput=append:{log_file}
StandardError=append:{log_file}

[Install]
WantedBy=multi-user.target
UNIT
cat > {CLOUDWATCH_AGENT_CONFIG} <<'AGENT'
{_agent_config(spec, log_file)}
AGENT
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\
  -c file:{CLOUDWATCH_AGENT_CONFIG}
systemctl daemon-reload
systemctl enable --now {service}
"""
