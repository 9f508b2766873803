"""The ``alongside`` command: thin wrappers that call the same services as the routes.

Each domain with commands of its own exposes ``register(app)`` in its ``cli.py``; they are
registered at the bottom of this file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from alongside import __version__

app = typer.Typer(
    name="alongside",
    help="Alongside: screening, triage, scheduling and notes for clinics. A clinician decides.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $ALONGSIDE_DATA_DIR or ./data)."),
]


def fail(message: str) -> typer.Exit:
    """Print a message on stderr and return the exit for bad input (code 2)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"alongside {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Alongside command line."""


def main() -> None:
    """Entry point of the ``alongside`` script."""
    app(prog_name="alongside")


if __name__ == "__main__":
    sys.exit(main())
