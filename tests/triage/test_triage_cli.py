"""``alongside triage`` and ``triage-preview``: the JSON contract, fail-closed, bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

# The CLI wires in the instruments and the risk reader; while either package cannot be
# imported these tests cannot run (once both exist they always run).
pytest.importorskip(
    "alongside.instruments.scoring", reason="alongside.instruments.scoring is not importable yet"
)
risk_package = pytest.importorskip("alongside.risk", reason="alongside.risk is not importable yet")

from alongside.risk import Evidence, Level, RiskReading  # noqa: E402
from alongside.triage import cli as triage_cli  # noqa: E402

runner = CliRunner()
RULES_DIR = Path(__file__).parents[2] / "src" / "alongside" / "triage" / "rules"

NINE_ZEROS = [0] * 9


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root, so that commands keep their names."""

    triage_cli.register(app)
    return app


APP = _app()


class FakeReader:
    """Stands in for alongside.risk.read_risk: a fixed level, and what it was asked."""

    def __init__(self, level: Level = Level.NONE, phrase: str = "") -> None:
        self.level = level
        self.phrase = phrase
        self.calls: list[tuple[str, list[str]]] = []

    def __call__(self, text: str, *, critical_items: Any = ()) -> RiskReading:
        self.calls.append((text, list(critical_items)))
        evidence = (
            (Evidence(start=0, end=len(self.phrase), text=self.phrase, signal="intent"),)
            if self.phrase
            else ()
        )
        return RiskReading(
            level=self.level,
            probability=0.9 if self.level == Level.IMMINENT else 0.1,
            evidence=evidence,
            reasons=("fake",),
            versions={"rules": "test", "model": "fake-1"},
        )


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> FakeReader:
    """Replace the risk reader with a fake that reads 'none'."""
    fake = FakeReader()
    monkeypatch.setattr(risk_package, "read_risk", fake)
    return fake


def run(intake: Any, *args: str) -> Any:
    """Invoke ``triage`` with an intake (a dict, or raw text) on stdin."""
    text = intake if isinstance(intake, str) else json.dumps(intake)
    return runner.invoke(APP, ["triage", *args], input=text)


def ok(intake: Any, *args: str) -> dict[str, Any]:
    """Invoke and expect success: one JSON object on stdout, nothing on stderr."""
    result = run(intake, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_crisis_intake(reader: FakeReader) -> None:
    data = ok(
        {
            "answers": {
                "phq9": [2, 2, 2, 2, 2, 2, 2, 2, 2],
                "gad7": [1, 1, 1, 1, 1, 1, 1],
                "cssrs-screen": [1, 1, 1, 1, 0, 0],
            },
            "text": "I have decided how I would do it",
            "consent": {"reader": True},
            "country": "US",
        }
    )
    assert data["urgency"] == "crisis"
    assert data["pathway"] == "crisis-team"
    assert data["reasons"][0]["rule_id"] == "cssrs-q4-intent"
    assert {"urgency", "pathway", "reasons", "scores", "risk", "versions"} <= set(data)
    assert data["scores"]["phq9"]["total"] == 18
    assert data["scores"]["cssrs-screen"]["risk_category"] == "high"
    assert data["risk"]["level"] == "none"
    assert data["versions"]["ruleset"] == "alongside-default"
    assert data["versions"]["ruleset_version"] == "2.0.0"
    assert data["versions"]["instruments"] == {
        "phq9": "1.0.0",
        "gad7": "1.0.0",
        "cssrs-screen": "1.1.0",
    }
    assert data["versions"]["risk"]["model"] == "fake-1"
    assert data["needs_human_reading"] is False
    assert len(data["inputs_digest"]) == 64
    resources = data["crisis_resources"]
    assert (
        resources["immediate_danger"]
        == "If you are in immediate danger, call emergency services now."
    )
    assert [r["contact"] for r in resources["resources"]] == ["911", "988", "741741"]
    # The reader was given the text and the instrument flags as critical items.
    assert reader.calls == [
        (
            "I have decided how I would do it",
            ["phq9-item9", "cssrs-q1", "cssrs-q2", "cssrs-q3", "cssrs-q4"],
        )
    ]


CRISIS_ANSWERS = {"phq9": NINE_ZEROS, "cssrs-screen": [1, 1, 0, 1, 0, 0]}


@pytest.mark.parametrize(
    ("country", "contacts"),
    [
        ("FR", {"112"}),
        ("de", {"112"}),
        ("JP", {"Your local emergency number"}),
        ("GB-SCT", {"999", "111", "0800 83 85 87", "116 123", "85258"}),
        ("NZ", {"111", "1737", "0800 543 354"}),
        (None, {"Your local emergency number"}),
    ],
)
def test_crisis_in_any_country_exits_0_with_resources(
    reader: FakeReader, country: str | None, contacts: set[str]
) -> None:
    intake: dict[str, Any] = {"answers": CRISIS_ANSWERS, "consent": {"reader": True}}
    if country is not None:
        intake["country"] = country
    data = ok(intake)
    assert data["urgency"] == "crisis"
    resources = data["crisis_resources"]["resources"]
    assert {r["contact"] for r in resources} == contacts
    assert {"urgency", "pathway", "reasons", "versions", "needs_human_reading"} <= set(data)


def test_routine_intake_has_no_crisis_resources(reader: FakeReader) -> None:
    data = ok(
        {"answers": {"phq9": NINE_ZEROS}, "text": "", "consent": {"reader": True}, "country": "GB"}
    )
    assert data["urgency"] == "routine"
    assert data["pathway"] == "routine-assessment"
    assert data["crisis_resources"] is None
    assert data["reasons"][-1]["rule_id"] == "fallback"


def test_reader_level_reaches_the_proposal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(risk_package, "read_risk", FakeReader(Level.IMMINENT, "tonight"))
    data = ok({"answers": {}, "text": "tonight", "consent": {"reader": True}})
    assert data["urgency"] == "crisis"
    assert '"tonight"' in data["reasons"][0]["text"]


def test_cssrs_behaviour_timing_is_told_to_the_reader(reader: FakeReader) -> None:
    ok({"answers": {"cssrs-screen": [0, 0, 0, 0, 0, 1, 0]}, "consent": {"reader": True}})
    ok({"answers": {"cssrs-screen": [0, 0, 0, 0, 0, 1, 1]}, "consent": {"reader": True}})
    assert [call[1] for call in reader.calls] == [["cssrs-q6-lifetime"], ["cssrs-q6-recent"]]


def test_declined_reading_is_never_made(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_read(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the reader ran without consent")

    monkeypatch.setattr(risk_package, "read_risk", must_not_read)
    data = ok({"answers": {"phq9": NINE_ZEROS}, "text": "my words", "consent": {"reader": False}})
    assert data["risk"] is None
    assert data["versions"]["risk"] is None
    assert data["needs_human_reading"] is True
    assert data["urgency"] == "urgent"
    assert any(
        "a person reads these words within the urgent target" in r["text"] for r in data["reasons"]
    )
    # No consent given at all is no consent; with no words written, declining adds nothing.
    assert ok({"answers": {"phq9": NINE_ZEROS}, "text": "x"})["needs_human_reading"] is True
    silent = ok({"answers": {"phq9": NINE_ZEROS}})
    assert (silent["needs_human_reading"], silent["urgency"]) == (False, "routine")


def test_reader_raising_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr(risk_package, "read_risk", broken)
    data = ok({"answers": {"phq9": NINE_ZEROS}, "text": "hello", "consent": {"reader": True}})
    assert data["urgency"] == "urgent"
    assert data["needs_human_reading"] is True
    assert data["reasons"][0]["rule_id"] == "reader-unavailable"
    assert data["reasons"][0]["text"].startswith("Not screened by software")
    assert data["risk"]["evidence"][0]["signal"] == "reader_unavailable"
    assert "RuntimeError: model file corrupt" in data["risk"]["reasons"][0]


def test_reader_missing_fails_closed_and_instruments_still_reach_crisis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An entry of None in sys.modules makes the import itself fail.
    monkeypatch.setitem(sys.modules, "alongside.risk", None)
    data = ok(
        {"answers": {"cssrs-screen": [1, 1, 0, 0, 1, 0]}, "text": "x", "consent": {"reader": True}}
    )
    assert data["urgency"] == "crisis"
    assert "reader-unavailable" in data["fired_rules"]
    assert "ModuleNotFoundError" in data["risk"]["reasons"][0]


def test_the_real_reader_runs_and_never_says_less_than_the_instruments() -> None:
    data = ok(
        {
            "answers": {"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 2]},
            "text": "I am tired",
            "consent": {"reader": True},
        }
    )
    assert data["urgency"] in {"urgent", "crisis"}
    assert data["risk"]["level"] in {"none", "low", "moderate", "high", "imminent"}
    assert data["versions"]["risk"]


@pytest.mark.parametrize(
    ("intake", "message"),
    [
        pytest.param("not json", "not valid JSON", id="not-json"),
        pytest.param("", "not valid JSON", id="empty"),
        pytest.param("[1, 2]", "must be a JSON object", id="array"),
        pytest.param({"answers": {"phq9": "1,1,1"}}, "answers.phq9", id="answers-string"),
        pytest.param({"answers": {"phq9": [1.5] * 9}}, "answers.phq9.0", id="float-answer"),
        pytest.param({"answers": {"phq9": [True] * 9}}, "answers.phq9.0", id="bool-answer"),
        pytest.param({"answers": {"phq9": ["1"] * 9}}, "answers.phq9.0", id="string-answer"),
        pytest.param(
            {"answers": {"phq10": NINE_ZEROS}},
            "unknown instrument 'phq10'",
            id="unknown-instrument",
        ),
        pytest.param(
            {"answers": {"phq9": [4] * 9}}, "answers.phq9: PHQ-9 item 1", id="answer-out-of-range"
        ),
        pytest.param(
            {"answers": {"phq9": [0] * 8}}, "answers.phq9: PHQ-9 needs 9", id="too-few-answers"
        ),
        pytest.param(
            {"answers": {}, "consent": {"reader": "yes"}}, "consent.reader", id="consent-string"
        ),
        pytest.param({"answers": {}, "consent": {}}, "consent.reader", id="consent-empty"),
        pytest.param({"answers": {}, "text": 5}, "text", id="text-number"),
        pytest.param({"answers": {}, "notes": "x"}, "notes", id="unknown-key"),
        pytest.param({"answers": {}, "sex": "unknown"}, "sex", id="sex"),
    ],
)
def test_malformed_input_exits_2_with_nothing_on_stdout(
    reader: FakeReader, intake: Any, message: str
) -> None:
    result = run(intake)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert reader.calls == []


def test_same_intake_same_digest(reader: FakeReader) -> None:
    intake = {"answers": {"gad7": [3, 3, 3, 3, 0, 0, 0]}, "text": "t", "consent": {"reader": True}}
    assert ok(intake)["inputs_digest"] == ok(intake)["inputs_digest"]
    other = dict(intake, answers={"gad7": [3, 3, 3, 3, 1, 0, 0]})
    assert ok(other)["inputs_digest"] != ok(intake)["inputs_digest"]


def _write_ruleset(path: Path, **changes: Any) -> Path:
    raw = yaml.safe_load((RULES_DIR / "default.yaml").read_text(encoding="utf-8"))
    raw.update(changes.pop("top", {}))
    for rule in raw["rules"]:
        rule.update(changes.get(rule["id"], {}))
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_ruleset_option(reader: FakeReader, tmp_path: Path) -> None:
    path = _write_ruleset(
        tmp_path / "stricter.yaml",
        top={"version": "1.1.0"},
        **{"phq9-moderate": {"urgency": "soon"}},
    )
    data = ok(
        {"answers": {"phq9": [2, 2, 2, 2, 2, 0, 0, 0, 0]}, "consent": {"reader": True}},
        "--ruleset",
        str(path),
    )
    assert data["urgency"] == "soon"
    assert data["versions"]["ruleset_version"] == "1.1.0"


def test_invalid_ruleset_option_exits_2(reader: FakeReader, tmp_path: Path) -> None:
    path = _write_ruleset(tmp_path / "bad.yaml", **{"phq9-item9": {"when": {"python": "1"}}})
    result = run({"answers": {}}, "--ruleset", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "rule 'phq9-item9'" in result.stderr
    assert "unknown condition key(s) python" in result.stderr


def test_preview_command(tmp_path: Path) -> None:
    new = _write_ruleset(
        tmp_path / "new.yaml", top={"version": "2.0.0"}, **{"phq9-severe": {"urgency": "urgent"}}
    )
    lines = [
        {
            "scores": {"phq9": {"total": 22, "answers": [3, 3, 3, 3, 3, 3, 2, 2, 0]}},
            "risk": {"level": "none"},
            "reader_consent": True,
            "ref": "intake-1",
        },
        {"scores": {}, "risk": {"level": "none"}, "reader_consent": True, "ref": "intake-2"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    result = runner.invoke(APP, ["triage-preview", "--new", str(new)], input=text)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] == 2
    assert data["raised"] == 1
    assert [change["ref"] for change in data["changes"]] == ["intake-1"]
    assert data["new_versions"]["ruleset_version"] == "2.0.0"
    assert data["summary"].startswith("Of 2 intakes: 1 would change urgency (1 up, 0 down)")


def test_preview_bad_line_exits_2(tmp_path: Path) -> None:
    new = _write_ruleset(tmp_path / "new.yaml")
    result = runner.invoke(APP, ["triage-preview", "--new", str(new)], input='{"scores": {}}\n')
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "line 1" in result.stderr
    assert "reader_consent" in result.stderr


def test_registered_on_the_root_cli(reader: FakeReader) -> None:
    from alongside.cli import app

    intake = {"answers": {"phq9": [3, 3, 3, 3, 3, 3, 2, 0, 0]}, "consent": {"reader": True}}
    result = runner.invoke(app, ["triage"], input=json.dumps(intake))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["urgency"], data["pathway"]) == ("soon", "high-intensity-therapy")
    bad = runner.invoke(app, ["triage"], input="{")
    assert (bad.exit_code, bad.stdout) == (2, "")
