"""The definition files and the loader's checks on them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from alongside.errors import ConfigurationError, InvalidInput
from alongside.instruments import fhir, get_instrument, list_instruments
from alongside.instruments.fhir import questionnaire_for
from alongside.instruments.library import load_definitions, parse_definition
from alongside.instruments.scoring import score_definition

# A small synthetic instrument that uses the mechanisms no shipped instrument needs: option
# values with a gap and an "at least" skip condition.
SYNTHETIC: dict[str, Any] = {
    "id": "demo",
    "version": "1.0.0",
    "display_order": 1,
    "title": "Demo",
    "short_name": "DEMO",
    "sources": [
        {"authors": "A", "year": 2000, "title": "T", "journal": "J", "supports": "all of it"}
    ],
    "terms_of_use": "test only",
    "instructions": "Answer.",
    "loinc": {"provenance": "none"},
    "option_sets": {
        "gappy": [
            {"value": 0, "text": "no"},
            {"value": 2, "text": "yes"},
            {"value": 3, "text": "very"},
        ]
    },
    "items": [
        {"id": "a", "options": "gappy", "text": "First"},
        {"id": "b", "options": "gappy", "text": "Second", "asked_if": {"item": "a", "at_least": 1}},
        {
            "id": "c",
            "options": "gappy",
            "text": "Third",
            "asked_if": {"item": "a", "at_least": 1},
            "when_not_asked": "zero_or_omitted",
        },
    ],
    "scoring": {"method": "sum", "description": "sum"},
    "bands": {
        "source": "test",
        "ranges": [{"name": "low", "min": 0, "max": 2}, {"name": "high", "min": 3, "max": 9}],
    },
}


def test_synthetic_definition_mechanisms() -> None:
    definition = parse_definition(yaml.safe_dump(SYNTHETIC), "demo.yaml")
    with pytest.raises(InvalidInput, match=r"DEMO item 1 \(First\): 1 is not one of \[0, 2, 3\]"):
        score_definition(definition, [1, 0])
    with pytest.raises(InvalidInput, match=r"item 3 .*required because item 1 is at least 1"):
        score_definition(definition, [2, 0])
    result = score_definition(definition, [0, 2])
    assert result.severity == "low"
    assert "asked only when item 1 is at least 1" in result.notes[0]
    assert score_definition(definition, [2, 2, 2]).severity == "high"


def test_questionnaire_enable_when_for_an_at_least_condition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    definition = parse_definition(yaml.safe_dump(SYNTHETIC), "demo.yaml")
    monkeypatch.setattr(fhir, "get_instrument", lambda _id: definition)
    items = {i["linkId"]: i for i in questionnaire_for("demo")["item"]}
    assert [w["answerCoding"]["code"] for w in items["b"]["enableWhen"]] == ["2", "3"]
    assert items["b"]["enableBehavior"] == "any"


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SYNTHETIC)
    change(data)
    return data


CATEGORIES = {"source": "s", "rules": [], "otherwise": "none", "otherwise_note": "n"}


def _categories_with_change(data: dict[str, Any]) -> None:
    data["scoring"]["method"] = "categories"
    del data["bands"]
    data["risk_categories"] = CATEGORIES
    data["change"] = {"higher_is_better": False}


def _female_bands_only(data: dict[str, Any]) -> None:
    del data["bands"]["ranges"]
    data["bands"]["by_sex"] = {"female": []}


BROKEN = [
    (lambda d: d["items"][1]["asked_if"].update(equals=1), "exactly one of equals, at_least"),
    (lambda d: d["bands"].update(by_sex={"female": []}), "exactly one of ranges, by_sex"),
    (_female_bands_only, "both female and male"),
    (
        lambda d: d["bands"].update(
            ranges=None, by_sex={"female": d["bands"]["ranges"], "male": d["bands"]["ranges"]}
        ),
        "when_sex_not_given",
    ),
    (
        lambda d: d.update(
            change={"higher_is_better": False, "reliable": {"method": "points", "source": "s"}}
        ),
        "needs points",
    ),
    (
        lambda d: d.update(
            change={
                "higher_is_better": False,
                "reliable": {"method": "rci", "sd": 1, "source": "s"},
            }
        ),
        "needs sd and reliability",
    ),
    (
        lambda d: d.update(change={"higher_is_better": False, "caseness": {"source": "s"}}),
        "exactly one of at_least, at_most",
    ),
    (lambda d: d["items"].append(dict(d["items"][0])), "item ids must be unique"),
    (lambda d: d["option_sets"].update(empty=[]), "needs distinct values"),
    (lambda d: d["items"][0].update(options="missing"), "unknown option set"),
    (lambda d: d["items"][1]["asked_if"].update(item="c"), "must name an earlier item"),
    (
        lambda d: d["items"][1].update(when_not_asked="zero_or_omitted", asked_if=None),
        "only with asked_if",
    ),
    (lambda d: d["items"].append({"id": "d", "options": "gappy", "text": "x"}), "must come last"),
    (
        lambda d: d.update(
            flags=[{"flag": "f", "when": {"item": "zz", "equals": 1}, "reason": "r"}]
        ),
        "unknown item 'zz'",
    ),
    (
        lambda d: d.update(
            flags=[{"flag": "f", "when": {"item": "a", "equals": 2}, "reason": "r"}] * 2
        ),
        "flag names must be unique",
    ),
    (
        lambda d: d.update(
            risk_categories={"source": "s", "rules": [], "otherwise": "none", "otherwise_note": "n"}
        ),
        "sum scoring needs bands and no risk_categories",
    ),
    (lambda d: d["scoring"].update(method="categories"), "category scoring needs risk_categories"),
    (_categories_with_change, "change over time needs a summed score"),
    (lambda d: d["bands"]["ranges"][1].update(min=4), "must start at 3"),
    (lambda d: d["bands"]["ranges"][1].update(max=8), "must end at the highest total 9"),
    (lambda d: d["bands"]["ranges"][0].update(name="Low"), "should match pattern"),
    (
        lambda d: d.update(
            consistency=[{"when": {"item": "a", "equals": 0}, "expect_zero": ["zz"], "note": "n"}]
        ),
        "consistency check names unknown items",
    ),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_broken_definitions_are_refused(change: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=r"demo\.yaml is invalid") as caught:
        parse_definition(yaml.safe_dump(_broken(change)), "demo.yaml")
    assert message in caught.value.message


def test_unreadable_yaml_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"bad\.yaml is invalid"):
        parse_definition("id: [unclosed", "bad.yaml")


def test_load_definitions_checks_names_and_order(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("not a definition")
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(SYNTHETIC))
    assert list(load_definitions(tmp_path)) == ["demo"]
    (tmp_path / "other.yaml").write_text(yaml.safe_dump({**SYNTHETIC, "id": "other"}))
    with pytest.raises(ConfigurationError, match="display_order values must be unique"):
        load_definitions(tmp_path)
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(SYNTHETIC))
    with pytest.raises(ConfigurationError, match=r"other\.yaml defines 'demo'"):
        load_definitions(tmp_path)


@pytest.mark.parametrize("instrument_id", list_instruments())
def test_every_definition_cites_sources_and_terms(instrument_id: str) -> None:
    definition = get_instrument(instrument_id)
    assert definition.sources
    assert all(s.year >= 1990 and s.journal for s in definition.sources)
    assert definition.terms_of_use.strip()
    if definition.bands is not None:
        assert definition.bands.source.strip()
    assert str(definition.sources[0]).endswith(".")


def test_codes_marked_verify_are_the_expected_ones() -> None:
    # Only codes absent from the shared references carry "verify"; see each file's header.
    unverified = {
        (d.id, item.id)
        for d in map(get_instrument, list_instruments())
        for item in d.items
        if item.loinc_verify
    }
    assert unverified == {("gad7", f"q{n}") for n in range(3, 8)} | {("auditc", "q1")}
    assert [i for i in list_instruments() if get_instrument(i).loinc.verify] == ["pcl5"]


@pytest.mark.parametrize(
    ("instrument_id", "panel", "total"),
    [
        ("phq9", "44249-1", "44261-6"),
        ("phq2", "55757-9", "55758-7"),
        ("gad7", "69737-5", "70274-6"),
        ("auditc", "72109-2", "75626-2"),
        ("pcl5", "101697-1", "101698-9"),
        ("gad2", None, None),
        ("who5", None, None),
        ("cssrs-screen", None, None),
    ],
)
def test_panel_and_total_codes(instrument_id: str, panel: str | None, total: str | None) -> None:
    loinc = get_instrument(instrument_id).loinc
    assert (loinc.panel, loinc.total) == (panel, total)
