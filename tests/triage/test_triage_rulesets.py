"""Loading and validating rulesets; the default set's content; previewing a change."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alongside.errors import InvalidInput
from alongside.triage.engine import propose_triage
from alongside.triage.preview import preview_change
from alongside.triage.rulesets import (
    AllCondition,
    AnyCondition,
    FlagCondition,
    InstrumentCondition,
    Rule,
    Ruleset,
    TriageInputs,
    default_ruleset,
    load_ruleset,
    parse_ruleset,
    template_fields,
)

RULES_DIR = Path(__file__).parents[2] / "src" / "alongside" / "triage" / "rules"
DEFAULT = default_ruleset()


def raw_default() -> dict[str, Any]:
    """The default ruleset as the YAML file states it."""
    data = yaml.safe_load((RULES_DIR / "default.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def rule_named(raw: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """One raw rule by id."""
    rule = next(rule for rule in raw["rules"] if rule["id"] == rule_id)
    assert isinstance(rule, dict)
    return rule


# --- the default ruleset --------------------------------------------------------------------


def test_default_ruleset_identity() -> None:
    assert DEFAULT.id == "alongside-default"
    assert DEFAULT.version == "2.0.0"
    assert DEFAULT.versions == {"ruleset": "alongside-default", "ruleset_version": "2.0.0"}
    assert load_ruleset(RULES_DIR / "default.yaml") == DEFAULT


def test_every_rule_and_pathway_cites_a_source() -> None:
    for rule in DEFAULT.rules:
        assert len(rule.source) > 10, rule.id
    for pathway in DEFAULT.pathways:
        assert re.search(r"NICE|NHS|Columbia", pathway.source), pathway.id
    assert DEFAULT.fallback.source


def test_pathway_precedence_puts_safety_first() -> None:
    order = [pathway.id for pathway in DEFAULT.pathways]
    assert order[:3] == ["crisis-team", "self-harm-assessment", "urgent-risk-assessment"]
    assert order[-1] == DEFAULT.fallback.pathway == "routine-assessment"
    assert DEFAULT.pathway_rank("crisis-team") == 0


# Published bands (CLINICAL-SOURCES.md): every total cut-off in the default set is a band edge.
PUBLISHED_EDGES = {
    "phq9": {5, 9, 10, 14, 15, 19, 20},
    "gad7": {5, 9, 10, 14, 15},
    "phq2": {3},
    "gad2": {3},
}


def _instrument_conditions(condition: Any) -> list[InstrumentCondition]:
    if isinstance(condition, InstrumentCondition):
        return [condition]
    if isinstance(condition, AnyCondition):
        return [c for part in condition.any for c in _instrument_conditions(part)]
    if isinstance(condition, AllCondition):
        return [c for part in condition.all for c in _instrument_conditions(part)]
    return []


def test_no_invented_cut_offs() -> None:
    for rule in DEFAULT.rules:
        for condition in _instrument_conditions(rule.when):
            for bound in (condition.total_gte, condition.total_lte):
                if bound is not None:
                    assert bound in PUBLISHED_EDGES[condition.instrument], rule.id


def test_only_routine_rules_look_at_upper_bounds() -> None:
    # An upper bound on a rule above routine would let a worse score lower the urgency.
    for rule in DEFAULT.rules:
        if rule.urgency != "routine":
            assert all(c.total_lte is None for c in _instrument_conditions(rule.when)), rule.id


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda raw: rule_named(raw, "phq9-item9")["when"].update(eval="1"),
            "rule 'phq9-item9': when: unknown condition key(s) eval",
            id="unknown-key",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "cssrs-ideation").update(
                when={"any": [{"flag": "cssrs-q1"}, {"flg": "cssrs-q2"}]}
            ),
            "rule 'cssrs-ideation': when.any.1: unknown condition key(s) flg",
            id="unknown-key-nested",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "phq9-severe").update(
                when={"flag": "x", "risk_level_at_least": "high"}
            ),
            "exactly one of",
            id="two-kinds",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "phq9-severe").update(when="phq9.total >= 20"),
            "a condition is a mapping",
            id="expression-string",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "phq9-severe").update(when={"instrument": "phq9"}),
            "needs item+gte, total_gte, total_lte or severity_in",
            id="instrument-without-test",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "phq9-item9")["when"].pop("gte"),
            "'item' and 'gte' go together",
            id="item-without-gte",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(when={"risk_level_at_least": "dire"}),
            "rule 'risk-high': when.risk_level_at_least: Input should be",
            id="unknown-level",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(urgency="asap"),
            "rule 'risk-high': urgency: Input should be 'routine', 'soon', 'urgent' or 'crisis'",
            id="unknown-urgency",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(priority=1),
            "rule 'risk-high': priority: unknown key 'priority'",
            id="unknown-rule-key",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(pathway="nowhere"),
            "rule 'risk-high' names pathway 'nowhere'",
            id="unknown-pathway",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(id="phq9-item9"),
            "repeated: phq9-item9",
            id="duplicate-id",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(reason="{risk_level.__class__}"),
            "unknown template field",
            id="attribute-access",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(reason="{risk_level!r}"),
            "format spec or conversion",
            id="conversion",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").update(source=""),
            "rule 'risk-high': source:",
            id="no-source",
        ),
        pytest.param(
            lambda raw: rule_named(raw, "risk-high").pop("id"),
            "rule #",
            id="rule-without-id",
        ),
        pytest.param(
            lambda raw: raw["pathways"].append(dict(raw["pathways"][0])),
            "pathway ids must be unique",
            id="duplicate-pathway",
        ),
        pytest.param(
            lambda raw: raw["fallback"].update(pathway="elsewhere"),
            "fallback pathway 'elsewhere' is not a pathway",
            id="fallback-pathway",
        ),
        pytest.param(lambda raw: raw.pop("version"), "version", id="no-version"),
    ],
)
def test_invalid_rulesets_are_rejected_with_a_clear_message(change: Any, message: str) -> None:
    raw = raw_default()
    change(raw)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_ruleset(raw)


def test_not_a_mapping_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="invalid triage ruleset"):
        parse_ruleset(["rules"])


def test_invalid_yaml_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_ruleset("id: [unclosed")


def test_rules_cannot_be_list_positions_only() -> None:
    raw = raw_default()
    raw["rules"] = "all of them"
    with pytest.raises(InvalidInput, match="rules"):
        parse_ruleset(raw)


def test_template_fields() -> None:
    assert template_fields("PHQ-9 {phq9_total}, item {phq9_item9} ({phq9_item9_label})") == [
        "phq9_total",
        "phq9_item9",
        "phq9_item9_label",
    ]
    assert template_fields("no fields") == []
    with pytest.raises(ValueError, match="unknown template field"):
        template_fields("{phq9_item0}")


def test_conditions_can_be_built_in_python() -> None:
    rule = Rule(
        id="both",
        when=AllCondition(all=(FlagCondition(flag="a"), FlagCondition(flag="b"))),
        urgency="urgent",
        reason="a and b",
        source="test",
    )
    ruleset = DEFAULT.model_copy(update={"rules": (rule,)})
    fired = propose_triage(
        scores={"x": {"flags": ["a", "b"]}}, risk=None, reader_consent=False, ruleset=ruleset
    )
    half = propose_triage(
        scores={"x": {"flags": ["a"]}}, risk=None, reader_consent=False, ruleset=ruleset
    )
    assert fired.urgency == "urgent"
    assert half.urgency == "routine"


def test_a_non_condition_model_is_not_a_condition() -> None:
    with pytest.raises(ValueError, match="tag"):
        AnyCondition(any=(DEFAULT.fallback,))


def test_severity_and_all_conditions_from_yaml() -> None:
    raw = raw_default()
    raw["rules"] = [
        {
            "id": "both-severe",
            "when": {
                "all": [
                    {"instrument": "phq9", "severity_in": ["severe"]},
                    {"instrument": "gad7", "total_gte": 15, "total_lte": 21},
                ]
            },
            "urgency": "soon",
            "pathway": "high-intensity-therapy",
            "reason": "PHQ-9 {phq9_severity}, GAD-7 {gad7_total}",
            "source": "test",
        }
    ]
    ruleset = parse_ruleset(raw)
    scores: dict[str, dict[str, Any]] = {
        "phq9": {"total": 21, "severity": "severe"},
        "gad7": {"total": 16},
    }
    proposal = propose_triage(scores=scores, risk=None, reader_consent=False, ruleset=ruleset)
    assert proposal.urgency == "soon"
    assert proposal.reasons[0].text == "PHQ-9 severe, GAD-7 16"
    scores["gad7"] = {"total": 22}
    proposal = propose_triage(scores=scores, risk=None, reader_consent=False, ruleset=ruleset)
    assert proposal.fired_rules == ()


# --- preview --------------------------------------------------------------------------------


def _inputs(ref: str, scores: dict[str, Any], level: str | None = "none") -> TriageInputs:
    risk = None if level is None else {"level": level, "evidence": []}
    return TriageInputs(scores=scores, risk=risk, reader_consent=level is not None, ref=ref)


def _cssrs(*yes: int, recent: int = 1) -> dict[str, Any]:
    return {
        "flags": [f"cssrs-q{n}" for n in yes],
        "answers": [1 if n in yes else 0 for n in range(1, 7)] + [recent],
    }


PAST = [
    _inputs("a", {"phq9": {"total": 21, "answers": [3, 3, 3, 3, 3, 3, 3, 0, 0]}}),
    _inputs("b", {"phq9": {"total": 12, "answers": [2, 2, 2, 2, 2, 2, 0, 0, 0]}}),
    _inputs("c", {"cssrs-screen": _cssrs(6)}),
    _inputs("d", {"cssrs-screen": _cssrs(1, 2, 4)}),
    _inputs("e", {}, level=None),
    _inputs("f", {}, level="imminent"),
    _inputs("g", {"gad7": {"total": 16}}),
]


def _changed(base: Ruleset, rule_id: str, *, drop: bool = False, **update: Any) -> Ruleset:
    rules = []
    for rule in base.rules:
        if rule.id == rule_id:
            if drop:
                continue
            rule = rule.model_copy(update=update)
        rules.append(rule)
    return base.model_copy(update={"rules": tuple(rules), "version": "1.1.0"})


def test_preview_of_the_same_ruleset_changes_nothing() -> None:
    result = preview_change(DEFAULT, DEFAULT, PAST)
    assert result.total == 7
    assert result.changes == ()
    assert result.summary == (
        "Of 7 intakes: 0 would change urgency (0 up, 0 down); 0 would leave crisis; "
        "0 would enter crisis; 0 would change pathway."
    )


def test_preview_counts_what_would_leave_and_enter_crisis() -> None:
    new = _changed(DEFAULT, "cssrs-recent-behaviour", drop=True)
    new = _changed(new, "phq9-severe", urgency="crisis", pathway="crisis-team")
    result = preview_change(DEFAULT, new, PAST)
    assert result.new_versions == {"ruleset": "alongside-default", "ruleset_version": "1.1.0"}
    assert result.old_versions["ruleset_version"] == "2.0.0"
    assert result.urgency_changed == 2
    assert result.raised == 1
    assert result.lowered == 1
    assert result.left_crisis == 1
    assert result.entered_crisis == 1
    # a: high-intensity -> crisis team; c: crisis team -> risk assessment (question 6 still fires)
    assert result.pathway_changed == 2
    by_ref = {change.ref: change for change in result.changes}
    assert set(by_ref) == {"a", "c"}
    assert (by_ref["c"].old_urgency, by_ref["c"].new_urgency) == ("crisis", "urgent")
    assert "cssrs-recent-behaviour" in by_ref["c"].old_fired_rules
    assert "cssrs-recent-behaviour" not in by_ref["c"].new_fired_rules
    assert by_ref["a"].new_pathway == "crisis-team"
    assert len(by_ref["a"].inputs_digest) == 64
    assert "2 would change urgency (1 up, 1 down); 1 would leave crisis" in result.summary
    assert result.to_dict()["changes"][0]["index"] == 0


def test_preview_pathway_only_change() -> None:
    new = _changed(DEFAULT, "phq9-moderate", pathway="high-intensity-therapy")
    result = preview_change(DEFAULT, new, PAST[:2])
    assert result.urgency_changed == 0
    assert result.pathway_changed == 1
    assert [change.ref for change in result.changes] == ["b"]
    assert result.summary.startswith("Of 2 intakes: 0 would change urgency")


def test_preview_of_one_intake_and_of_none() -> None:
    assert preview_change(DEFAULT, DEFAULT, PAST[:1]).summary.startswith("Of 1 intake:")
    assert preview_change(DEFAULT, DEFAULT, []).total == 0


def test_preview_does_not_change_its_inputs() -> None:
    past = copy.deepcopy(PAST)
    preview_change(DEFAULT, _changed(DEFAULT, "risk-high", drop=True), past)
    assert past == PAST


def test_docs_list_every_default_rule_and_pathway() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "triage-rules.md").read_text(encoding="utf-8")
    for rule in DEFAULT.rules:
        assert f"| `{rule.id}` |" in docs, rule.id
    for pathway in DEFAULT.pathways:
        assert f"| `{pathway.id}` |" in docs, pathway.id
    assert f"version `{DEFAULT.version}`" in docs


def test_default_ruleset_is_read_once() -> None:
    assert default_ruleset() is default_ruleset()
