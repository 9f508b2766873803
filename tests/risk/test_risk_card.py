"""The model card: the committed card is the committed report through the template."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from alongside.errors import InvalidInput
from alongside.risk import RiskReader
from alongside.risk.card import render_card, rerender_card

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "docs" / "model-cards" / "risk.md"
REPORT = ROOT / "docs" / "model-cards" / "risk-report.json"
CORPUS = ROOT / "data" / "intake-risk"


@pytest.fixture(scope="module")
def reader() -> RiskReader:
    return RiskReader.load(budget_s=None)


@pytest.fixture
def report() -> dict[str, Any]:
    saved: dict[str, Any] = json.loads(REPORT.read_text(encoding="utf-8"))
    return saved


def test_the_committed_card_is_the_committed_report_through_the_template(
    reader: RiskReader, report: dict[str, Any], tmp_path: Path
) -> None:
    # Fails when the template, the report, loco.json or the shipped model changed without the
    # card being written again: `alongside risk eval --from-report` (see the card's end).
    card = tmp_path / "risk.md"
    rerender_card(reader, report, card, CORPUS)
    assert card.read_text(encoding="utf-8") == CARD.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("section", "figure"),
    [
        ("intake_dev", "model_roc_auc"),  # formatted by the `f` filter
        ("intake_dev", "n"),  # printed as it is
        ("latency_ms", "machine"),
        ("non_english", "languages"),  # joined
    ],
)
def test_a_figure_missing_from_the_report_fails_loudly(
    reader: RiskReader, report: dict[str, Any], tmp_path: Path, section: str, figure: str
) -> None:
    report["versions"] = reader.versions  # this test is about the template, not a stale report
    del report[section][figure]
    with pytest.raises(UndefinedError, match=f"no attribute '{figure}'"):
        render_card(reader, report, [])
    card = tmp_path / "risk.md"
    with pytest.raises(InvalidInput, match=f"lacks a figure the card shows.*'{figure}'"):
        rerender_card(reader, report, card, None)
    assert not card.exists()


def test_a_section_the_report_lacks_is_left_out(reader: RiskReader, report: dict[str, Any]) -> None:
    full = render_card(reader, copy.deepcopy(report), [])
    del report["intake_holdout"], report["latency_ms"]
    text = render_card(reader, report, [])
    assert "## Held-out intake set" in full
    assert "## Held-out intake set" not in text
    assert "## Latency" not in text
    assert text.endswith("```\n")
