"""The CDKTF app: one stack per environment defined in ``environments/``.

``cdktf synth|diff|deploy`` run this file (see cdktf.json); ``make synth`` imports ``build_app``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from environments import EnvironmentConfig, EnvironmentDefinitionError, load_environments


def build_app(environments: dict[str, EnvironmentConfig], outdir: Path | None = None):
    """Build the app with one ``EnvironmentStack`` per environment; call ``.synth()`` on the result."""
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
