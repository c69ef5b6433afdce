"""The CDKTF app: one stack per environment defined in ``environments/``, and the delivery account's stack.

``cdktf synth|diff|deploy`` run this file (see cdktf.json); ``make synth`` imports ``build_app``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from pathlib import Path

from environments import (
    DeliveryConfig,
    EnvironmentConfig,
    EnvironmentDefinitionError,
    load_delivery,
    load_environments,
)

# Node 22, pinned in package.json; the machine's own node may be older than jsii supports.
PINNED_NODE = Path(__file__).resolve().parent / "node_modules" / ".bin" / "node"


def build_app(
    environments: dict[str, EnvironmentConfig],
    outdir: Path | None = None,
    delivery: DeliveryConfig | None = None,
    only: Collection[str] | None = None,
):
    """Build the app with one ``EnvironmentStack`` per environment and the ``DeliveryStack``; call ``.synth()``
    on the result.

    ``delivery`` defaults to the shipped definition, checked against ``environments``; ``only`` names the
    stacks to build (environment names and ``delivery``), by default all.
    """
    if delivery is None:
        delivery = load_delivery(environments=environments)
    # jsii starts its node process on the first import of cdktf; point it at the pinned node first.
    if PINNED_NODE.exists():
        os.environ.setdefault("JSII_NODE", str(PINNED_NODE))
    # The AWS provider bindings take seconds to import: import them only once the definitions are valid, and
    # only the resource modules the stacks use (docs/adr/0118), whichever command synthesizes.
    from scripts.provider_bindings import import_lazily

    import_lazily()
    from cdktf import App

    from modules.delivery_stack import DeliveryStack
    from modules.platform_stack import EnvironmentStack

    app = App(outdir=str(outdir)) if outdir else App()
    for env in environments.values():
        if only is None or env.name in only:
            EnvironmentStack(app, env, delivery)
    if only is None or delivery.name in only:
        DeliveryStack(app, delivery, environments)
    return app


def main() -> int:
    try:
        environments = load_environments()
        delivery = load_delivery(environments=environments)
    except EnvironmentDefinitionError as error:
        print(f"error: environment definitions are invalid:\n{error}", file=sys.stderr)
        return 2
    build_app(environments, delivery=delivery).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
