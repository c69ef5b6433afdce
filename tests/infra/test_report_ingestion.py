"""The ingestion report reads the synthesized stacks: what it prints is what the stacks declare."""

from __future__ import annotations

from typer.testing import CliRunner

from scripts.report_ingestion import app, budget_rows, landing_rows, retention_rows, server_rows, stream_rows, user_rows


def test_the_report_names_each_partners_folder_the_streams_prefixes_and_the_triggers(synthesized, environments):
    dev, env = synthesized["dev"].config, environments["dev"]
    transfer = f"northwind-dev-transfer-{env.account_id}"
    users = {row[0]: row for row in user_rows(dev)}
    assert users["order-system"][1] == f"LOGICAL: / -> /{transfer}/incoming/order-system"
    assert users["order-system"][3] == f"{transfer}/incoming/order-system/*"
    ((protocols, _endpoint, policy, admitted, _),) = server_rows(dev)
    assert (protocols, policy) == ("SFTP", "TransferSecurityPolicy-2025-03") and "203.0.113.16/28" in admitted
    ((_stream, staged, errors, *_),) = stream_rows(dev)
    assert staged.endswith("/raw/clickstream_events/_staging/date=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/")
    assert errors.startswith("quarantine/clickstream_events/delivery_errors/")
    assert {row[1].split("/", 1)[1] for row in landing_rows(dev)} == {"incoming/", "raw/clickstream_events/_staging/"}
    assert ("northwind-data-lake-dev-111111111111", "raw/customers/", "90 days") in retention_rows(dev)
    assert budget_rows(dev)[0][2] == ">= 160 calls"


def test_the_report_command_prints_every_table(synthesized):
    # The stacks the session synthesized, in the layout the command reads.
    outdir = next(iter(synthesized.values())).path.parents[2]
    result = CliRunner().invoke(app, ["--outdir", str(outdir)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for title in ("SFTP server", "SFTP users", "Clickstream stream", "Landing function triggers", "Retention"):
        assert title in result.output
