"""``alongside triage``: one intake as JSON on stdin, the triage proposal as JSON on stdout.

Input::

    {"answers": {"phq9": [...], "gad7": [...], "cssrs-screen": [...]},
     "text": "the client's own words", "consent": {"reader": true},
     "sex": "female" | "male" (optional, for sex-specific cut-offs),
     "country": ISO 3166-1 alpha-2 such as "US", "IE", "FR", or a UK nation "GB-ENG",
                "GB-SCT", "GB-WLS", "GB-NIR" (optional; crisis resources are added whenever
                the urgency is crisis, for any country: at worst "call your local emergency
                number")}

Each instrument is scored; the text is read for risk only when ``consent.reader`` is true
(otherwise a person must read it); the default ruleset (or ``--ruleset FILE``) proposes.
Malformed input exits 2 with a message on stderr and nothing on stdout. If the risk reader
fails in any way the reading is the fail-closed one and the proposal is at least urgent,
"not screened by software" (DESIGN.md invariant 2).

``alongside triage-preview --new FILE [--old FILE]`` reads past intakes' stored triage
inputs (one JSON object per line: scores, risk, reader_consent, ref) and prints what the new
ruleset version would change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from alongside.errors import InvalidInput
from alongside.instruments.scoring import score_instrument
from alongside.triage.crisis_resources import crisis_resources_for
from alongside.triage.engine import inputs_digest, propose_triage
from alongside.triage.inputs import critical_items, unavailable_reading
from alongside.triage.preview import preview_change
from alongside.triage.rulesets import (
    Ruleset,
    TriageInputs,
    default_ruleset,
    load_ruleset,
)


class _Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reader: StrictBool


class IntakeInput(BaseModel):
    """One intake as the CLI accepts it; unknown keys and wrong types are refused."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[StrictStr, list[StrictInt]] = Field(default_factory=dict)
    text: StrictStr = ""
    # No consent given means no consent: the words are not read by software.
    consent: _Consent = Field(default_factory=lambda: _Consent(reader=False))
    sex: Literal["female", "male"] | None = None
    country: StrictStr | None = None


def _bad_input(message: str) -> typer.Exit:
    # The CLI contract: message on stderr, nothing on stdout, exit code 2.
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "intake"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_intake(raw: str) -> IntakeInput:
    """Parse the JSON text of one intake; raises InvalidInput naming what is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"the intake is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidInput("the intake must be a JSON object with answers, text and consent")
    try:
        return IntakeInput.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(f"the intake is malformed: {_describe(error)}") from error


def read_risk_failing_closed(text: str, items: Sequence[str]) -> dict[str, Any]:
    """Read the text for risk; any failure at all gives the fail-closed reading."""
    try:
        # Imported here so that a broken or missing reader fails closed instead of
        # taking the whole command down.
        from alongside.risk import read_risk

        return read_risk(text, critical_items=items).to_dict()
    except Exception as error:  # anything at all: fail closed (invariant 2)
        return unavailable_reading(f"{type(error).__name__}: {error}")


def _score(instrument: str, answers: list[int], sex: str | None) -> dict[str, Any]:
    try:
        return score_instrument(instrument, answers, sex=sex).to_dict()
    except InvalidInput as error:
        raise InvalidInput(f"answers.{instrument}: {error.message}") from error


def triage_intake(intake: IntakeInput, ruleset: Ruleset) -> dict[str, Any]:
    """Score, read (with consent) and propose for one intake; the CLI's JSON output."""
    scores = {
        instrument: _score(instrument, answers, intake.sex)
        for instrument, answers in intake.answers.items()
    }
    risk = (
        read_risk_failing_closed(intake.text, critical_items(scores))
        if intake.consent.reader
        else None
    )
    wrote_words = bool(intake.text.strip())
    proposal = propose_triage(
        scores=scores,
        risk=risk,
        reader_consent=intake.consent.reader,
        ruleset=ruleset,
        wrote_words=wrote_words,
    )
    output = proposal.to_dict()
    output["scores"] = scores
    output["risk"] = risk
    output["versions"] = {
        **proposal.versions,
        "instruments": {name: score["version"] for name, score in scores.items()},
        "risk": dict(risk["versions"]) if risk is not None else None,
    }
    output["inputs_digest"] = inputs_digest(
        {
            "scores": scores,
            "risk": risk,
            "reader_consent": intake.consent.reader,
            "wrote_words": wrote_words,
        }
    )
    # Every crisis gets resources, whatever the country (or none given): never an error,
    # at worst "call your local emergency number".
    output["crisis_resources"] = (
        crisis_resources_for(intake.country).to_dict() if proposal.urgency == "crisis" else None
    )
    return output


RulesetOption = Annotated[
    Path | None,
    typer.Option(
        "--ruleset",
        exists=True,
        dir_okay=False,
        help="A triage ruleset YAML file (default: the ruleset shipped with Alongside).",
    ),
]


def _ruleset(path: Path | None) -> Ruleset:
    return default_ruleset() if path is None else load_ruleset(path)


def triage_command(ruleset: RulesetOption = None) -> None:
    """Read one intake as JSON on stdin and print the triage proposal as one JSON object."""
    try:
        output = triage_intake(parse_intake(sys.stdin.read()), _ruleset(ruleset))
    except InvalidInput as error:
        raise _bad_input(error.message) from None
    typer.echo(json.dumps(output, ensure_ascii=False))


def preview_command(
    new: Annotated[
        Path,
        typer.Option("--new", exists=True, dir_okay=False, help="The proposed ruleset YAML."),
    ],
    old: RulesetOption = None,
) -> None:
    """Preview a ruleset change against past triage inputs (JSON lines on stdin)."""
    try:
        past = [
            _parse_inputs(line, number)
            for number, line in enumerate(sys.stdin.read().splitlines(), start=1)
            if line.strip()
        ]
        result = preview_change(_ruleset(old), load_ruleset(new), past)
    except InvalidInput as error:
        raise _bad_input(error.message) from None
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))


def _parse_inputs(line: str, number: int) -> TriageInputs:
    try:
        return TriageInputs.model_validate_json(line)
    except ValidationError as error:
        raise InvalidInput(f"line {number}: {_describe(error)}") from error


def register(app: typer.Typer) -> None:
    """Add ``triage`` and ``triage-preview`` to the root ``alongside`` app."""
    app.command("triage")(triage_command)
    app.command("triage-preview")(preview_command)
