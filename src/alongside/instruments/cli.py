"""``alongside instruments`` and ``alongside score``: list instruments and score answers."""

from __future__ import annotations

import enum
import json
from typing import Annotated

import typer

from alongside.errors import InvalidInput
from alongside.instruments.library import list_instruments
from alongside.instruments.scoring import score_instrument


class SexChoice(enum.StrEnum):
    """The sexes for which instruments publish separate cut-offs."""

    female = "female"
    male = "male"


def _bad_input(message: str) -> typer.Exit:
    # Same contract as the root CLI: message on stderr, nothing on stdout, exit code 2.
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def parse_answers(text: str) -> list[int]:
    """Parse ``1,0,2,...`` into whole numbers; a blank or non-number names its position."""
    answers: list[int] = []
    for position, part in enumerate(text.split(","), start=1):
        part = part.strip()
        if not part:
            raise InvalidInput(f"answer {position} is empty; every item must be answered")
        try:
            answers.append(int(part))
        except ValueError:
            raise InvalidInput(f"answer {position} ({part!r}) is not a whole number") from None
    return answers


def instruments_command() -> None:
    """Print the instrument ids, space-separated, in display order."""
    typer.echo(" ".join(list_instruments()))


def score_command(
    instrument_id: Annotated[str, typer.Argument(metavar="ID", help="Instrument id.")],
    answers: Annotated[
        str,
        typer.Option(
            "--answers",
            help="Comma-separated answer values in item order, e.g. 1,0,2. C-SSRS: six 0/1 "
            "answers, plus a seventh (within the past three months?) when question 6 is 1.",
        ),
    ],
    sex: Annotated[
        SexChoice | None,
        typer.Option(
            "--sex",
            case_sensitive=False,
            help="For sex-specific cut-offs (AUDIT-C); without it the conservative cut-off "
            "is used and the result says so.",
        ),
    ] = None,
) -> None:
    """Score one questionnaire and print the result as one JSON object."""
    try:
        result = score_instrument(
            instrument_id, parse_answers(answers), sex=sex.value if sex else None
        )
    except InvalidInput as error:
        raise _bad_input(error.message) from None
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add the instrument commands to the root ``alongside`` app."""
    app.command("instruments")(instruments_command)
    app.command("score")(score_command)
