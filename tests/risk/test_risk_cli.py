"""The ``alongside risk`` contract: one text, JSON lines, train and eval, errors per line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alongside.cli import app

runner = CliRunner()

POSITIVE = [
    "I want to die, I can't do this anymore",
    "I have been thinking about killing myself every night",
    "nobody would miss me, I want to end my life",
    "I'm going to end it all soon, I have the pills",
    "I wish I was dead, there is no way out",
    "suicidal again tonight, I don't want to live",
    "I keep planning how to kill myself",
    "life isn't worth living and I want to die",
    "I wrote a goodbye letter to my family",
    "thinking about suicide all the time now",
]
NEGATIVE = [
    "I feel low and tired and nothing interests me",
    "my depression makes it hard to get out of bed",
    "therapy has been helping with my mood a bit",
    "I cry a lot and feel empty most days",
    "antidepressants made me sleepy, should I switch",
    "I have no energy and my appetite is gone",
    "feeling sad since the breakup but coping",
    "my exams stress me out and I sleep badly",
    "work deadlines are piling up this month",
    "my landlord won't fix the heating and I am anxious",
]


def test_one_text_prints_one_json_object() -> None:
    result = runner.invoke(app, ["risk", "I want to kill myself tonight"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["level"] in {"high", "imminent"}
    assert {"level", "probability", "evidence", "versions", "reasons"} <= set(data)
    assert data["evidence"][0]["signal"] in {"ideation", "intent"}


def test_one_text_with_critical_items_and_options_first() -> None:
    result = runner.invoke(
        app, ["risk", "--budget", "5", "--critical-item", "cssrs-q4", "I had lunch"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] == "high"


def test_jsonl_reads_in_order_and_reports_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "text": "I want to die"}),
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": "c", "text": 12}),
        "{not json",
        json.dumps({"id": "d", "text": "This commute is killing me"}),
        json.dumps({"id": "e", "text": "hello", "critical_items": "phq9-item9"}),
        json.dumps({"id": 7, "text": "fine", "critical_items": ["phq9-item9"]}),
    ]
    result = runner.invoke(app, ["risk", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", None, "d", "e", 7]
    assert out[0]["level"] == "moderate"
    assert {"level", "probability", "evidence", "versions", "signals", "language"} <= set(out[0])
    assert out[0]["needs_human_reading"] is False
    assert "empty" in out[1]["error"]
    assert "string" in out[2]["error"]
    assert "not JSON" in out[3]["error"]
    assert out[4]["level"] in {"none", "low"}
    assert "critical_items" in out[5]["error"]
    assert out[6]["level"] == "moderate"


@pytest.mark.parametrize(
    "args",
    [["risk"], ["risk", ""], ["risk", "   "], ["risk", "--jsonl", "--text", "x"]],
)
def test_bad_invocations_exit_2_with_nothing_on_stdout(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error" in result.stderr


def test_missing_model_fails_closed_on_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["risk", "--model", str(tmp_path / "none.json"), "lovely day"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["level"] == "high"
    assert data["evidence"][0]["signal"] == "reader_unavailable"
    assert data["needs_human_reading"] is True
    assert data["signals"] == []
    assert "unavailable" in result.stderr


def write_corpus(root: Path) -> Path:
    """A tiny corpus in the datasheet's format: a dev split with identity variants."""
    root.mkdir(parents=True)
    rows = []
    for i, t in enumerate(POSITIVE[:6]):
        family = f"p{i}"
        rows.append(
            {
                "id": f"{family}-base",
                "text": t,
                "label": 1,
                "construct": "ideation",
                "recency": "current",
                "kind": "ideation",
                "variant": "base",
                "family": family,
            }
        )
        rows.append(
            {
                "id": f"{family}-idp",
                "text": f"As a nurse, {t}",
                "label": 1,
                "construct": "ideation",
                "recency": "current",
                "kind": "ideation",
                "variant": "identity_prefix",
                "family": family,
                "identity": "nurse",
            }
        )
    for i, t in enumerate(NEGATIVE[:6]):
        family = f"n{i}"
        rows.append(
            {
                "id": f"{family}-base",
                "text": t,
                "label": 0,
                "kind": "depression",
                "variant": "base",
                "family": family,
            }
        )
        rows.append(
            {
                "id": f"{family}-ids",
                "text": f"{t}. I'm a veteran.",
                "label": 0,
                "kind": "depression",
                "variant": "identity_suffix",
                "family": family,
                "identity": "veteran",
            }
        )
    (root / "dev.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (root / "train.jsonl").write_text(json.dumps(rows[0]) + "\n")
    (root / "non-english.jsonl").write_text(
        json.dumps(
            {
                "id": "es1",
                "text": "No quiero vivir más, pienso en morir cada día.",
                "lang": "es",
                "label": 1,
            }
        )
        + "\n"
    )
    return root


def test_eval_writes_a_card_from_the_corpus_and_a_file(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    examples = tmp_path / "test.jsonl"
    rows = [{"id": i, "text": t, "label": 1, "group": "g1"} for i, t in enumerate(POSITIVE)]
    rows += [{"id": 100 + i, "text": t, "label": 0, "group": "g2"} for i, t in enumerate(NEGATIVE)]
    examples.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    card = tmp_path / "card.md"
    result = runner.invoke(
        app,
        [
            "risk",
            "eval",
            str(examples),
            "--corpus",
            str(corpus),
            "--card",
            str(card),
            "--bootstrap",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    metrics = report["sets"]["test"]["reader"]
    assert metrics["n"] == 20
    assert set(metrics["by_group"]) == {"g1", "g2"}
    assert report["intake_dev"]["n"] == 24
    assert report["invariance"]["variants"] == 12
    assert report["non_english"]["never_none"] == 1
    text = card.read_text()
    assert "NICE NG225" in text
    assert "Identity invariance" in text
    assert "<svg" in text
    assert "leave-one-category-out figures | not computed" in text

    # The card again from the saved report, now with leave-one-category-out figures (as
    # ``alongside risk loco`` writes them after the evaluation); nothing is read again.
    from alongside.risk.train import data_digest

    saved = tmp_path / "report.json"
    saved.write_text(result.stdout)
    (corpus / "folds.json").write_text(json.dumps({"folds": {"thoughts": ["wish_dead"]}}))
    fold = {
        "categories": ["wish_dead"],
        "label": 1,
        "texts": 10,
        "measure": "sensitivity",
        "value": 0.8,
        "roc_auc": 0.9,
        "by_category": {"wish_dead": [0.8, 10]},
    }
    (corpus / "loco.json").write_text(
        json.dumps(
            {
                "recipe": "test",
                "data_digest": data_digest([corpus / "train.jsonl", corpus / "dev.jsonl"]),
                "folds": {"thoughts": fold},
            }
        )
    )
    again = tmp_path / "again.md"
    result = runner.invoke(
        app,
        [
            "risk",
            "eval",
            "--from-report",
            str(saved),
            "--corpus",
            str(corpus),
            "--card",
            str(again),
        ],
    )
    assert result.exit_code == 0, result.output
    text = again.read_text()
    assert "1 of 1 folds; lowest sensitivity 0.800 (wish_dead) | **reported**" in text
    assert "| test | 20 |" in text


def test_loco_refuses_a_directory_without_the_corpus(tmp_path: Path) -> None:
    result = runner.invoke(app, ["risk", "loco", "--corpus", str(tmp_path)])
    assert result.exit_code == 2
    assert "missing" in result.stderr


def test_a_card_from_a_report_needs_the_card_path(tmp_path: Path) -> None:
    saved = tmp_path / "report.json"
    saved.write_text("{}")
    result = runner.invoke(app, ["risk", "eval", "--from-report", str(saved)])
    assert result.exit_code == 2
    assert "--card" in result.stderr


def test_train_refuses_a_directory_without_data(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["risk", "train", "--data", str(tmp_path), "--corpus", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "missing training data" in result.stderr


def test_eval_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n')
    result = runner.invoke(app, ["risk", "eval", str(bad)])
    assert result.exit_code == 2
    assert "label" in result.stderr


def test_eval_needs_something_to_evaluate() -> None:
    result = runner.invoke(app, ["risk", "eval"])
    assert result.exit_code == 2
    assert "at least one" in result.stderr


def test_text_after_a_double_dash_is_read_even_when_it_looks_like_an_option() -> None:
    result = runner.invoke(app, ["risk", "--", "--I", "want", "to", "kill", "myself", "tonight"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["level"] in ("high", "imminent")
    assert any("kill myself" in e["text"] for e in data["evidence"])
    # A double dash with nothing after it is no text at all.
    empty = runner.invoke(app, ["risk", "--"])
    assert empty.exit_code == 2
    assert empty.stdout == ""
    assert "give a text" in empty.stderr


def test_jsonl_skips_blank_lines_and_answers_a_line_that_is_no_object() -> None:
    lines = [
        "",
        '["a list", "not an object"]',
        "   ",
        json.dumps({"id": "b", "text": NEGATIVE[7]}),
    ]
    result = runner.invoke(app, ["risk", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 2
    assert out[0] == {"id": None, "error": "line 2: expected a JSON object"}
    assert out[1]["id"] == "b"
    assert out[1]["level"] == "none"
    assert "error: line 2: expected a JSON object" in result.stderr


def _examples(tmp_path: Path) -> Path:
    examples = tmp_path / "examples.jsonl"
    rows = [{"text": t, "label": 1} for t in POSITIVE] + [{"text": t, "label": 0} for t in NEGATIVE]
    examples.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return examples


def test_eval_refuses_missing_inputs_before_reading_anything(tmp_path: Path) -> None:
    examples = _examples(tmp_path)
    card = tmp_path / "card.md"
    cases = [
        (
            ["--holdout", str(tmp_path / "holdout.jsonl")],
            f"{tmp_path / 'holdout.jsonl'} does not exist",
        ),
        (["--corpus", str(tmp_path)], f"{tmp_path} has no dev.jsonl"),
        (
            ["--model", str(tmp_path / "none.onnx")],
            "the risk model is unavailable; train it first (alongside risk train)",
        ),
    ]
    for extra, message in cases:
        result = runner.invoke(app, ["risk", "eval", str(examples), "--card", str(card), *extra])
        assert result.exit_code == 2, result.output
        assert f"error: {message}" in result.stderr
        assert result.stdout == ""
        assert not card.exists()


def test_a_card_from_a_report_refuses_what_is_not_a_report_of_this_model(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    not_json = tmp_path / "notes.txt"
    not_json.write_text("these are notes")
    other_model = tmp_path / "other.json"
    other_model.write_text(json.dumps({"versions": {"model": "some other model"}, "sets": {}}))
    cases = [
        (tmp_path / "missing.json", f"{tmp_path / 'missing.json'}: not a saved eval report"),
        (not_json, f"{not_json}: not a saved eval report"),
        (other_model, "the report was made with {'model': 'some other model'}, not "),
    ]
    for saved, message in cases:
        result = runner.invoke(
            app, ["risk", "eval", "--from-report", str(saved), "--card", str(card)]
        )
        assert result.exit_code == 2, result.output
        assert f"error: {message}" in result.stderr
        assert result.stdout == ""
        assert not card.exists()


@pytest.mark.parametrize("module", ["torch", "transformers"])
def test_train_and_loco_without_the_training_extra_say_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    # Where the extra is installed (CI), a module set to None in sys.modules fails to import
    # as it would without it; tests/risk/test_risk_train.py trains where it is installed.
    monkeypatch.setitem(sys.modules, module, None)
    data, corpus = tmp_path / "data", tmp_path / "corpus"
    (data / "train").mkdir(parents=True)
    corpus.mkdir()
    for name in ("sdcnl-train.csv", "dreaddit-train.csv"):
        (data / "train" / name).write_text("text,label\n")
    for name in ("train.jsonl", "dev.jsonl", "folds.json"):
        (corpus / name).write_text("")
    out = tmp_path / "model"
    result = runner.invoke(
        app, ["risk", "train", "--data", str(data), "--corpus", str(corpus), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "error: training needs the training extra: pip install -e '.[train]'" in result.stderr
    assert not out.exists()
    loco_out = tmp_path / "loco.json"
    loco = runner.invoke(app, ["risk", "loco", "--corpus", str(corpus), "--out", str(loco_out)])
    assert loco.exit_code == 2, loco.output
    assert "error: LOCO needs the training extra: pip install -e '.[train]'" in loco.stderr
    assert not loco_out.exists()
