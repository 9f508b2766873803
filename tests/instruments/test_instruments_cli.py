"""``alongside instruments`` and ``alongside score`` through the real root CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alongside.cli import app
from alongside.instruments.cli import parse_answers

runner = CliRunner()


def test_instruments_lists_ids_on_one_line() -> None:
    result = runner.invoke(app, ["instruments"])
    assert result.exit_code == 0
    assert result.stdout == "phq9 phq2 gad7 gad2 cssrs-screen pcl5 auditc auditc-uk who5\n"


def test_score_prints_one_json_object() -> None:
    result = runner.invoke(app, ["score", "phq9", "--answers", "1,1,1,1,1,1,1,1,2"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["instrument"] == "phq9"
    assert data["version"] == "1.0.0"
    assert data["total"] == 10
    assert data["severity"] == "moderate"
    assert data["flags"] == ["phq9-item9"]
    assert result.stderr == ""


def test_score_with_sex() -> None:
    result = runner.invoke(app, ["score", "auditc", "--answers", "1, 1, 1", "--sex", "male"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["severity"], data["cutoff_sex"], data["notes"]) == ("negative", "male", [])


def test_score_cssrs_with_follow_up() -> None:
    result = runner.invoke(app, ["score", "cssrs-screen", "--answers", "0,0,0,0,0,1,1"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["risk_category"] == "high"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "phq9", "--answers", "1,1,4,1,1,1,1,1,1"], "PHQ-9 item 3"),
        (["score", "phq9", "--answers", "1,1,1"], "needs 9 answers, got 3"),
        (["score", "phq9", "--answers", "1,,1,1,1,1,1,1,1"], "answer 2 is empty"),
        (["score", "phq9", "--answers", "1,x,1,1,1,1,1,1,1"], "answer 2 ('x')"),
        (["score", "bdi2", "--answers", "1"], "unknown instrument 'bdi2'"),
        (["score", "cssrs-screen", "--answers", "0,0,0,0,0,1"], "question 6 follow-up"),
        (["score", "auditc", "--answers", "1,1,1", "--sex", "other"], "--sex"),
        (["score", "phq9"], "--answers"),
    ],
)
def test_bad_input_exits_2_with_stderr_only(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_parse_answers() -> None:
    assert parse_answers(" 0, 3 ,2") == [0, 3, 2]
    assert parse_answers("-1") == [-1]
