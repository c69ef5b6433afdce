"""Validate the environment definitions and the delivery account's; with a name (an environment, or
``delivery``), check it exists and print its stack name.

python -m environments [NAME]
"""

from __future__ import annotations

import sys

from environments import EnvironmentDefinitionError, load_delivery, load_environments, stack_name_of


def main(argv: list[str]) -> int:
    try:
        if len(argv) > 1:
            print("usage: python -m environments [NAME]", file=sys.stderr)
            return 2
        if argv:
            print(stack_name_of(argv[0]))
        else:
            environments = load_environments()
            for env in environments.values():
                print(f"{env.name}: {env.tier.value}, account {env.account_id}, {env.region}, {env.network.vpc_cidr}")
            delivery = load_delivery(environments=environments)
            print(
                f"{delivery.name}: account {delivery.account_id}, {delivery.region}, promotes "
                f"{' -> '.join(delivery.promotion)} from {delivery.repository}@{delivery.branch}"
            )
    except EnvironmentDefinitionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
