"""Stand-in for Glue's ``awsglue`` package (test double; see ``tests/support/glue_runtime``)."""
