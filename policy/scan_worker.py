"""One checkov scan, started before its input exists: checkov is imported (the slow part of a scan) while the
stacks are still being synthesized, then the stack files to scan arrive as one JSON line on stdin.

Runs with the policy environment's Python (policy/.venv); prints checkov's JSON report and exits with its code.
"""

import json
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=SyntaxWarning)
    from checkov.main import Checkov

if __name__ == "__main__":
    files = json.loads(sys.stdin.readline() or "[]")
    arguments = [argument for path in files for argument in ("-f", path)]
    sys.exit(Checkov([*arguments, "--framework", "terraform_json", "-o", "json", "--compact"]).run())
