"""Validate the environment definitions; with a name, check it exists and print its stack name.

python -m environments [NAME]
"""

from __future__ import annotations

import sys

from environments import EnvironmentDefinitionError, load_environment, load_environments


def main(argv: list[str]) -> int:
    try:
        if len(argv) > 1:
            print("usage: python -m environments [NAME]", file=sys.stderr)
            return 2
        if argv:
            print(load_environment(argv[0]).stack_name)
        else:
            for env in load_environments().values():
                print(f"{env.name}: {env.tier.value}, account {env.account_id}, {env.region}, {env.network.vpc_cidr}")
    except EnvironmentDefinitionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
