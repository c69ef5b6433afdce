"""The AWS provider bindings load without the resource modules no stack uses, and the jsii runtime still finds
the module of any type it is handed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from main import PINNED_NODE
from scripts.provider_bindings import jsii_submodule

PROBE = """
import json, sys
from scripts.provider_bindings import import_lazily
import_lazily()
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from jsii import _reference_map
loaded_before = sorted(m for m in sys.modules if m.startswith("cdktf_cdktf_provider_aws."))
found = _reference_map._try_import_type_module("@cdktf/provider-aws.xrayGroup.XrayGroup")
print(json.dumps({
    "loaded_before": loaded_before,
    "found": found,
    "xray_group_registered": "@cdktf/provider-aws.xrayGroup.XrayGroup" in _reference_map._types,
}))
"""


def _last_json_line(code: str, *args: str):
    """Run ``code`` in a fresh interpreter from the repository (no test-suite imports) and read its last line."""
    run = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PINNED_NODE.parents[2],
        env={**os.environ, "JSII_NODE": str(PINNED_NODE)},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_only_the_imported_resource_module_loads_and_the_runtime_imports_others_when_handed_their_types():
    result = _last_json_line(PROBE)

    assert "cdktf_cdktf_provider_aws.s3_bucket" in result["loaded_before"]
    assert "cdktf_cdktf_provider_aws.xray_group" not in result["loaded_before"]
    assert len(result["loaded_before"]) < 10  # s3_bucket, _jsii and what they import; eagerly, over 2,200
    assert result["found"] is True and result["xray_group_registered"] is True


def test_a_resource_module_maps_to_its_jsii_submodule():
    assert jsii_submodule("s3_bucket") == "s3Bucket"
    assert jsii_submodule("data_aws_iam_policy_document") == "dataAwsIamPolicyDocument"
    assert jsii_submodule("wafv2_web_acl") == "wafv2WebAcl"
    assert jsii_submodule("provider") == "provider"


EAGER_SYNTH = """
import json, sys
from pathlib import Path
import cdktf_cdktf_provider_aws  # the package's own __init__ first: every resource module, as without import_lazily
from environments import load_delivery, load_environments
from main import build_app
environments = load_environments()
build_app(environments, Path(sys.argv[1]), delivery=load_delivery(environments=environments)).synth()
print(json.dumps(sum(m.startswith("cdktf_cdktf_provider_aws.") for m in sys.modules)))
"""


def test_every_stack_synthesizes_identically_with_every_resource_module_loaded(synthesized, tmp_path):
    """The lazily loaded bindings (every synth path) and the package's eager import give the same Terraform."""
    assert _last_json_line(EAGER_SYNTH, str(tmp_path)) > 2000  # it really loaded them all
    for stack in synthesized.values():
        assert json.loads((tmp_path / "stacks" / stack.name / "cdk.tf.json").read_text()) == stack.config, stack.name
