"""The CDKTF app: one stack per environment defined in ``environments/``.

``cdktf synth|diff|deploy`` run this file (see cdktf.json); ``make synth`` imports ``build_app``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from environments import EnvironmentConfig, EnvironmentDefinitionError, load_environments

# Node 22, pinned in package.json; the machine's own node may be older than jsii supports.
PINNED_NODE = Path(__file__).resolve().parent / "node_modules" / ".bin" / "node"


def build_app(environments: dict[str, EnvironmentConfig], outdir: Path | None = None):
    """Build the app with one ``EnvironmentStack`` per environment; call ``.synth()`` on the result."""
    # jsii starts its node process on the first import of cdktf; point it at the pinned node first.
    if PINNED_NODE.exists():
        os.environ.setdefault("JSII_NODE", str(PINNED_NODE))
    # The AWS provider bindings take seconds to import: import them only once the definitions are valid.
    from cdktf import App

    from modules.platform_stack import EnvironmentStack

    app = App(outdir=str(outdir)) if outdir else App()
    for env in environments.values():
        EnvironmentStack(app, env)
    return app


def main() -> int:
    try:
        environments = load_environments()
    except EnvironmentDefinitionError as error:
        print(f"error: environment definitions are invalid:\n{error}", file=sys.stderr)
        return 2
    build_app(environments).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
