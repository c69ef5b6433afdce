"""What the command-line scripts share: the environment named on the command line, or a one-line error."""

from __future__ import annotations

import typer
from rich.console import Console

from environments import EnvironmentConfig, EnvironmentDefinitionError, load_environments


def environment_or_exit(name: str, console: Console) -> EnvironmentConfig:
    """The environment called ``name``; an unknown or invalid one ends the command with exit status 2."""
    try:
        return load_environments()[name]
    except (EnvironmentDefinitionError, KeyError) as error:
        console.print(f"[red]error:[/] unknown or invalid environment {name!r}: {error}")
        raise typer.Exit(2) from None
