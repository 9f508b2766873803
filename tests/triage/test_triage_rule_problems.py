"""What is wrong with a ruleset's YAML, in words, with the line (triage/rule_problems.py)."""

from __future__ import annotations

import re

import pytest
import yaml

from alongside.errors import InvalidInput
from alongside.triage.rule_changes import default_yaml_text
from alongside.triage.rule_problems import (
    Problem,
    RulesetProblems,
    check_ruleset_text,
    node_at,
)

BASE = default_yaml_text()
SEVERE_WHEN = "when: {instrument: phq9, total_gte: 20}"


def _line_of(text: str, needle: str) -> int:
    return 1 + text[: text.index(needle)].count("\n")


def _problems(text: str) -> tuple[Problem, ...]:
    with pytest.raises(RulesetProblems) as raised:
        check_ruleset_text(text)
    return raised.value.problems


# (what to change, the line it is on, what the message says)
CASES = [
    pytest.param(
        ("pathway: high-intensity-therapy", "pathway: nowhere"),
        "pathway: nowhere",
        "the rule 'phq9-severe' names the pathway 'nowhere'; a pathway must be one of "
        "crisis-team, self-harm-assessment",
        id="unknown-pathway",
    ),
    pytest.param(
        ("urgency: soon", "urgency: asap"),
        "urgency: asap",
        "in the rule 'phq9-severe', an urgency must be one of routine, soon, urgent, crisis, "
        "not 'asap'.",
        id="unknown-urgency",
    ),
    pytest.param(
        ("total_gte: 20}", "total_gte: twenty}"),
        "total_gte: twenty}",
        "in the rule 'phq9-severe', 'total_gte' must be a whole number, not 'twenty'.",
        id="not-a-number",
    ),
    pytest.param(
        ("    urgency: soon\n", "    urgency: soon\n    priority: 1\n"),
        "priority: 1",
        "'priority' is not something a rule can have (it may have id, when, urgency, pathway, "
        "reason, source, safeguarding); check its spelling.",
        id="unknown-key",
    ),
    pytest.param(
        ("severity_in: [probable ptsd]", "severity_in: [probable ptsd, 29-32]"),
        "severity_in: [probable ptsd, 29-32]",
        "in the rule 'pcl5-probable-ptsd', '29-32' is not one of the PCL-5's published bands "
        "(below threshold, probable ptsd); a rule chooses among them and cannot make up its own.",
        id="made-up-band",
    ),
    pytest.param(
        (
            "{instrument: gad7, total_gte: 15}",
            "{any: [{instrument: gad7, total_gte: 15}, {instrument: gad7, severity_in: [dire]}]}",
        ),
        "severity_in: [dire]",
        "'dire' is not one of the GAD-7's published bands (minimal, mild, moderate, severe)",
        id="made-up-band-inside-any",
    ),
    pytest.param(
        ("{instrument: phq9, total_gte: 20}", "{instrument: phq-9, total_gte: 20}"),
        "{instrument: phq-9, total_gte: 20}",
        "in the rule 'phq9-severe', 'phq-9' is not an instrument Alongside scores, so the rule "
        "would never fire; instruments: phq9, phq2, gad7, gad2, cssrs-screen, pcl5",
        id="unknown-instrument",
    ),
    pytest.param(
        ("{instrument: phq9, item: 9, gte: 1}", "{instrument: phq9, item: 10, gte: 1}"),
        "{instrument: phq9, item: 10, gte: 1}",
        "in the rule 'phq9-item9', the PHQ-9 has 9 items, so item 10 is never answered.",
        id="item-past-the-last",
    ),
    pytest.param(
        ("{any: [{flag: cssrs-q1}, {flag: cssrs-q2}]}", "{any: [{flag: cssrs-q1}, {flag: q2}]}"),
        "{any: [{flag: cssrs-q1}, {flag: q2}]}",
        "no instrument raises the flag 'q2', so the rule would never fire; flags: cssrs-q1, "
        "cssrs-q2, cssrs-q3, cssrs-q4, cssrs-q5, cssrs-q6, phq9-item9.",
        id="unknown-flag-inside-any",
    ),
    pytest.param(
        ("risk_level_at_least: high}", "risk_level_at_least: dire}"),
        "risk_level_at_least: dire}",
        "in the rule 'risk-high', a risk level must be one of none, low, moderate, high, "
        "imminent, not 'dire'.",
        id="unknown-level",
    ),
    pytest.param(
        ("{flag: cssrs-q4}", "{flg: cssrs-q4}"),
        "{flg: cssrs-q4}",
        "in the rule 'cssrs-q4-intent': unknown condition key(s) flg",
        id="unknown-condition",
    ),
    pytest.param(
        ("{phq9_total} (severe", "{phq9_totl} (severe"),
        "  - id: phq9-severe",
        "in the rule 'phq9-severe': unknown template field {phq9_totl}",
        id="template-field",
    ),
    pytest.param(
        ("id: phq9-moderate\n", "id: phq9-mild\n"),
        "id: phq9-mild\n    when: {instrument: phq9, total_gte: 5",
        "the rule id 'phq9-mild' is used twice; each rule needs its own id.",
        id="repeated-rule-id",
    ),
    pytest.param(
        ("  - id: self-harm-assessment\n", "  - id: crisis-team\n"),
        "  - id: crisis-team\n    label: Psychosocial",
        "the pathway id 'crisis-team' is used twice",
        id="repeated-pathway-id",
    ),
    pytest.param(
        ("  pathway: routine-assessment\n  reason", "  pathway: elsewhere\n  reason"),
        "  pathway: elsewhere",
        "the fallback names the pathway 'elsewhere'; a pathway must be one of crisis-team",
        id="fallback-pathway",
    ),
    pytest.param(
        ("    source: Kroenke et al. 2007, Ann Intern Med 146:317-325\n", ""),
        "  - id: gad2-positive",
        "the rule 'gad2-positive' needs 'source' (the published guidance it follows).",
        id="missing-source",
    ),
    pytest.param(
        ("  - id: phq9-severe\n", "  - id: PHQ9 severe\n"),
        "  - id: PHQ9 severe",
        "in the rule 'PHQ9 severe', 'id' must be lower-case letters, digits and hyphens",
        id="id-pattern",
    ),
    pytest.param(
        ("    urgency: soon\n", "    urgency soon\n"),
        "    urgency soon",
        "the YAML cannot be read here: this line is missing the colon of its 'key: value', or "
        "its indentation is off.",
        id="missing-colon",
    ),
    pytest.param(
        ("total_gte: 20}", "total_gte: 20"),
        SEVERE_WHEN[:-1],
        "the YAML cannot be read here: a { … } mapping that starts on this line is not closed",
        id="unclosed-brace",
    ),
    pytest.param(
        ("    urgency: soon\n", "\turgency: soon\n"),
        "\turgency: soon",
        "the YAML cannot be read here: a tab is used for indenting here; indent with spaces.",
        id="tab",
    ),
    pytest.param(
        ("source: *phq9\n", "source: *phq10\n"),
        "source: *phq10",
        "a *name refers to an &name that is not defined above it",
        id="undefined-alias",
    ),
]


@pytest.mark.parametrize(("change", "at", "message"), CASES)
def test_each_problem_is_named_in_words_on_its_line(
    change: tuple[str, str], at: str, message: str
) -> None:
    text = BASE.replace(*change, 1)
    assert text != BASE, "the change must apply"
    problems = _problems(text)
    found = [p for p in problems if message in p.message]
    assert found, problems
    assert found[0].line == _line_of(text, at)
    shown = str(found[0])
    assert shown.startswith(f"Line {found[0].line}: ")
    # Words, not a parser's or a validator's: no field paths, no exception names.
    for developer in ("Input should", "Value error", "when.", "rules.", "YAMLError", "loc"):
        assert developer not in shown, developer


def test_the_shipped_rules_have_no_problem() -> None:
    # The positive control: the same check passes what ships.
    assert check_ruleset_text(BASE).version == "2.0.0"


def test_every_problem_is_listed_at_once_in_line_order() -> None:
    text = BASE.replace("urgency: soon", "urgency: asap", 1).replace(
        "risk_level_at_least: high}", "risk_level_at_least: dire}", 1
    )
    problems = _problems(text)
    assert len(problems) == 2
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    error = RulesetProblems(problems)
    assert isinstance(error, InvalidInput)
    assert error.status_code == 422
    assert re.fullmatch(r"Line \d+: .+\. Line \d+: .+\.", error.message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "The rules are empty", id="empty"),
        pytest.param("- a\n- b\n", "Line 1: the rules are a YAML mapping", id="not-a-mapping"),
        pytest.param("a: !!python/name:os.system x\n", "a !tag that rules cannot use", id="tag"),
    ],
)
def test_whole_document_problems(text: str, message: str) -> None:
    assert message in str(_problems(text)[0])


def test_a_problem_without_a_line_starts_with_a_capital() -> None:
    assert str(Problem(None, "the version is needed.")) == "The version is needed."


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        pytest.param(
            "wait_targets:\n  crisis: 0\n  urgent: 24\n  soon: x\n  routine: 600\n",
            "the wait target for crisis must be a number of hours, more than 0 and at most 8784",
            id="out-of-range",
        ),
        pytest.param(
            "wait_targets:\n  crisis: 1\n  urgent: 24\n  soon: 100\n  routine: 600\n  later: 3\n",
            "'later' is not something the wait targets can have (it may have crisis, urgent, "
            "soon, routine)",
            id="unknown-urgency",
        ),
        pytest.param(
            "wait_targets: 24\n",
            "in the wait targets, 'wait_targets' must be a mapping",
            id="not-a-mapping",
        ),
    ],
)
def test_wait_target_problems(addition: str, message: str) -> None:
    text = BASE + "\n" + addition
    problems = _problems(text)
    assert any(message in p.message for p in problems), problems
    assert all(p.line and p.line > BASE.count("\n") for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(('version: "2.0.0"\n', ""), "the ruleset needs 'version'", id="missing"),
        pytest.param(
            ("  - id: crisis-team\n", "  - id: crisis-team\n    colour: red\n"),
            "'colour' is not something a pathway can have",
            id="pathway-key",
        ),
        pytest.param(
            ("fallback:\n", "fallback:\n  colour: red\n"),
            "'colour' is not something the fallback can have",
            id="fallback-key",
        ),
        pytest.param(
            (
                "    when: {flag: cssrs-q4}\n",
                "    when: {flag: cssrs-q4}\n    safeguarding: maybe\n",
            ),
            "'safeguarding' must be true or false",
            id="not-a-bool",
        ),
        pytest.param(
            ("    source: *phq9\n", "    source: ''\n"),
            "'source' cannot be empty",
            id="empty-source",
        ),
        pytest.param(
            ("description: >", "description: [1]\nx: >"), "'x' is not something", id="top-level-key"
        ),
        pytest.param(
            ("phq9: [not at all", "phq9: 3\n  x: [not at all"),
            "the answer labels",
            id="answer-labels",
        ),
        pytest.param(
            (
                "  - id: phq9-item9\n    when: {instrument: phq9, item: 9, gte: 1}",
                "  - id: phq9-item9\n    when: {instrument: phq9, item: 0, gte: 1}",
            ),
            "'item' must be at least 1, not '0'",
            id="item-zero",
        ),
        pytest.param(
            (
                "  - id: crisis-team\n    label: Crisis team - same-day contact by the on-call "
                "clinician or crisis service\n",
                "  - id: crisis-team\n    label: 7\n",
            ),
            "'label' must be text, not '7'",
            id="label-not-text",
        ),
    ],
)
def test_more_problems_in_words(change: tuple[str, str], message: str) -> None:
    text = BASE.replace(*change, 1)
    assert text != BASE
    problems = _problems(text)
    assert any(message in p.message for p in problems), problems


def test_rules_without_an_id_are_named_by_their_position() -> None:
    text = BASE.replace("  - id: cssrs-q4-intent\n    when", "  - when", 1)
    assert any("rule number 1 needs 'id'" in p.message for p in _problems(text))


def test_node_at_follows_keys_and_positions() -> None:
    root = yaml.compose(BASE, Loader=yaml.SafeLoader)
    node = node_at(root, ["rules", 0, "id"])
    assert isinstance(node, yaml.ScalarNode)
    assert node.value == "cssrs-q4-intent"
    assert node_at(root, ["rules", 999]) is None
    assert node_at(root, ["rules", "x"]) is None
    assert node_at(root, ["nowhere", 1]) is None


def test_a_list_that_is_not_one_is_named() -> None:
    text = 'id: mine\nversion: "1"\npathways: []\nrules: 3\nfallback: {}\n'
    problems = _problems(text)
    assert any(p.line == 4 and "'rules' must be a list" in p.message for p in problems), problems


def test_other_problems_get_general_words() -> None:
    (problem,) = _problems("id: x\n@a: 1\n")
    assert problem.line == 2
    assert problem.message == (
        "the YAML cannot be read here; check the indentation, the colons and the quotes."
    )
    problems = _problems('id: mine\nversion: "1"\npathways: []\nrules: [3]\nfallback: {}\n')
    assert any("rule number 1" in p.message and "must be a mapping" in p.message for p in problems)
    text = BASE.replace("construct: [self_harm]", "construct: [self_harms]", 1)
    problems = _problems(text)
    assert any(
        "in the rule 'words-self-harm', 'construct' must be one of 'wish_dead'" in p.message
        for p in problems
    ), problems


def test_bands_are_judged_only_against_an_instrument_that_publishes_them() -> None:
    # A condition that is not a mapping is named once, as a condition, not as bands.
    words = BASE.replace(
        "    when: {flag: cssrs-q4}\n",
        "    when: {any: [just words, {instrument: phq9, severity_in: [mild]}]}\n",
        1,
    )
    problems = _problems(words)
    assert any("a condition is a mapping" in p.message for p in problems)
    assert not any("published bands" in p.message for p in problems)
    # An instrument Alongside does not know is named as such, once: it has no bands to judge.
    unknown = BASE.replace(
        "    when: {flag: cssrs-q4}\n", "    when: {instrument: nosuch, severity_in: [mild]}\n", 1
    )
    assert [p.message for p in _problems(unknown)] == [
        "in the rule 'cssrs-q4-intent', 'nosuch' is not an instrument Alongside scores, so the "
        "rule would never fire; instruments: phq9, phq2, gad7, gad2, cssrs-screen, pcl5, auditc, "
        "auditc-uk, who5."
    ]
    # Positive control: a known instrument's made-up band is refused.
    made_up = BASE.replace(
        "    when: {flag: cssrs-q4}\n", "    when: {instrument: phq9, severity_in: [awful]}\n", 1
    )
    assert any("published bands" in p.message for p in _problems(made_up))
