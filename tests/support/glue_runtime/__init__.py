"""Test double for the AWS Glue runtime: a stand-in ``awsglue`` package, which exists only inside Glue.

Put this folder on ``sys.path`` (or ``PYTHONPATH``) and an entry script's ``__main__`` block runs as in Glue:
``awsglue.utils.getResolvedOptions`` parses ``sys.argv`` as Glue's does (each requested ``--name`` required,
everything else ignored), and ``awsglue.context.GlueContext`` hands out the process's SparkSession. Nothing else
of Glue is offered, so a script that starts to use more fails its tests here first.
"""

from pathlib import Path

GLUE_RUNTIME_PATH = Path(__file__).resolve().parent
