"""The form for the common rule changes, the YAML it writes, and what changed in words and
line by line (triage/rule_form.py), and the preview in words (triage/preview.py)."""

from __future__ import annotations

from typing import Any

import pytest

from alongside.triage.engine import propose_triage_for
from alongside.triage.preview import describe_inputs, preview_change, preview_in_words
from alongside.triage.rule_changes import default_yaml_text
from alongside.triage.rule_form import (
    RuleForm,
    apply_form,
    describe_changes,
    hours_text,
    line_diff,
    rule_form,
    suggest_version,
    wait_target_changes,
)
from alongside.triage.rule_problems import RulesetProblems, check_ruleset_text
from alongside.triage.rulesets import TriageInputs, default_ruleset

BASE = default_yaml_text()
WAITS = {"crisis": 1.0, "urgent": 24.0, "soon": 168.0, "routine": 672.0}
SEVERE = "t|phq9-severe|when.total_gte"
WHO5_WHEN = "when: {instrument: who5, severity_in: [likely depression, poor wellbeing]}"
ALCOHOL_SOURCE = (
    "    source: NICE CG115 (2011) alcohol-use disorders; Bush et al. 1998; Bradley et al. 2007\n"
)


def _form(text: str = BASE) -> RuleForm:
    return rule_form(text, wait_hours=WAITS, version="2.0.1")


def _apply(changes: dict[str, str], text: str = BASE, version: str = "2.0.1") -> str:
    form = _form(text)
    was = form.values()
    return apply_form(text, {**was, **changes}, was, version=version)


def _changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    return [(d.kind, d.text) for d in line_diff(old, new) if d.kind in ("added", "removed")]


def test_the_form_shows_each_rules_cut_offs_pathway_and_source() -> None:
    form = _form()
    rules = {rule.rule_id: rule for rule in form.rules}
    assert len(rules) == len(default_ruleset().rules)
    severe = rules["phq9-severe"]
    assert severe.name == "PHQ-9 severe (20-27)"
    assert severe.urgency == "soon"
    assert severe.source.startswith("Kroenke, Spitzer & Williams 2001")
    assert [(v.label, v.value) for v in severe.values] == [
        ("PHQ-9 total at least", "20"),
        ("Urgency it proposes", "soon"),
        ("Pathway it proposes", "high-intensity-therapy"),
    ]
    assert [words for _u, words in severe.values[1].choices] == [
        "Crisis",
        "Urgent",
        "Soon",
        "Routine",
    ]
    item9 = {v.label: v for v in rules["phq9-item9"].values}
    question = item9["PHQ-9 question 9: answer at least"]
    assert question.value == "1"
    assert question.hint == (
        "Answers: 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day"
    )
    level = rules["risk-high"].values[0]
    assert (level.label, level.value) == ("The risk reader's level at least", "high")
    assert [v.value for v in form.wait_targets] == ["1", "24", "168", "672"]
    assert form.pathways["high-intensity-therapy"][1].startswith("NHS Talking Therapies")
    # Nothing is suggested: the values are the active version's own.
    assert form.values()[SEVERE] == "20"


def test_a_changed_cut_off_changes_that_value_and_nothing_else() -> None:
    new = _apply({SEVERE: "22"})
    assert _changed_lines(BASE, new) == [
        ("removed", 'version: "2.0.0"'),
        ("added", 'version: "2.0.1"'),
        ("removed", "    when: {instrument: phq9, total_gte: 20}"),
        ("added", "    when: {instrument: phq9, total_gte: 22}"),
    ]
    ruleset = check_ruleset_text(new)
    severe = next(rule for rule in ruleset.rules if rule.id == "phq9-severe")
    assert severe.when.total_gte == 22  # type: ignore[union-attr]
    # Comments and anchors of the file are kept.
    assert new.count("#") == BASE.count("#")
    assert "source: *phq9" in new


def test_values_left_as_they_were_are_not_written() -> None:
    # The lead changed the cut-off in the YAML editor and left the form alone: the YAML wins.
    edited = BASE.replace("total_gte: 20}", "total_gte: 21}", 1)
    new = _apply({}, text=edited)
    assert "total_gte: 21}" in new
    # The form's change wins where the lead made it on the form.
    form = _form(BASE)
    was = form.values()
    new = apply_form(edited, {**was, SEVERE: "23"}, was, version="2.0.1")
    assert "total_gte: 23}" in new


def test_pathways_are_set_added_and_taken_out() -> None:
    new = _apply(
        {
            "p|phq9-mild": "routine-assessment",
            "p|reader-unavailable": "urgent-risk-assessment",
            "p|gad7-mild": "",
        }
    )
    ruleset = check_ruleset_text(new)
    rules = {rule.id: rule for rule in ruleset.rules}
    assert rules["phq9-mild"].pathway == "routine-assessment"
    assert rules["reader-unavailable"].pathway == "urgent-risk-assessment"
    assert rules["gad7-mild"].pathway is None
    lines = _changed_lines(BASE, new)
    assert ("added", "    pathway: urgent-risk-assessment") in lines
    assert ("removed", "    pathway: routine-assessment") in lines
    changes = describe_changes(default_ruleset(), ruleset)
    assert (
        "Words not read by software: a person reads them: pathway no pathway of its own → "
        "Prompt psychosocial assessment of risk by a clinician." in changes
    )
    assert (
        "GAD-7 mild (5-9): pathway Routine assessment - watchful waiting / active monitoring → "
        "no pathway of its own." in changes
    )


def test_risk_levels_and_wait_targets() -> None:
    new = _apply({"l|risk-high|when.risk_level_at_least": "moderate", "w|urgent": "12.5"})
    ruleset = check_ruleset_text(new)
    assert ruleset.wait_targets is not None
    assert ruleset.wait_targets.hours() == {**WAITS, "urgent": 12.5}
    assert new.rstrip().endswith(
        "wait_targets:\n  crisis: 1\n  urgent: 12.5\n  soon: 168\n  routine: 672"
    )
    changes = describe_changes(default_ruleset(), ruleset)
    assert "Risk reader: high risk: the risk reader's level at least high → moderate." in changes
    assert wait_target_changes(ruleset.wait_targets.hours(), WAITS) == [
        "Wait target for urgent proposals: 24 → 12.5 hours to first review."
    ]
    # A version that already carries wait targets gets the form's values written into them.
    again = apply_form(
        new, {**_form(new).values(), "w|urgent": "6"}, _form(new).values(), version="2.0.2"
    )
    assert check_ruleset_text(again).wait_targets.hours()["urgent"] == 6  # type: ignore[union-attr]
    assert again.count("wait_targets:") == 1
    assert wait_target_changes(WAITS, WAITS) == []
    # Without targets of its own a version brings back the defaults, and says so.
    assert wait_target_changes(WAITS, ruleset.wait_targets.hours(), own=False) == [
        "Wait target for urgent proposals: 12.5 → 24 hours to first review.",
        "This version sets no wait targets of its own, so Alongside's defaults would apply; "
        "to keep the ones in force, write them on the form or in the YAML.",
    ]
    assert wait_target_changes(WAITS, WAITS, own=False) == []


def test_a_rules_urgency_is_changed_in_place() -> None:
    new = _apply({"u|phq9-severe": "urgent"})
    assert ("added", "    urgency: urgent") in _changed_lines(BASE, new)
    assert len(_changed_lines(BASE, new)) == 4  # the version and the urgency
    ruleset = check_ruleset_text(new)
    assert "PHQ-9 severe (20-27): urgency Soon → Urgent." in describe_changes(
        default_ruleset(), ruleset
    )
    with pytest.raises(RulesetProblems, match="choose one of the urgencies listed"):
        _apply({"u|phq9-severe": "asap"})


WHO5_BANDS = "b|who5-low-wellbeing|when.severity_in"


def test_bands_are_chosen_among_the_published_ones_never_written() -> None:
    rules = {rule.rule_id: rule for rule in _form().rules}
    who5 = {v.kind: v for v in rules["who5-low-wellbeing"].values}
    bands = who5["bands"]
    assert bands.key == WHO5_BANDS
    assert bands.value == "likely depression|poor wellbeing"
    assert [words for _name, words in bands.choices] == [
        "likely depression (0-28)",
        "poor wellbeing (29-50)",
        "adequate wellbeing (51-100)",
    ]
    assert "Topp et al. 2015" in bands.hint
    assert "not changed here or in the YAML" in bands.hint
    # A rule firing in bands has no number to type: only the bands, its urgency and pathway.
    assert set(who5) == {"bands", "urgency", "pathway"}
    assert [v.kind for v in rules["pcl5-probable-ptsd"].values] == ["bands", "urgency", "pathway"]
    # Sex-specific bands show both published ranges.
    auditc = next(v for v in rules["auditc-positive"].values if v.kind == "bands")
    assert dict(auditc.choices)["positive"] == "positive (women 3-12, men 4-12)"

    new = _apply({WHO5_BANDS: "likely depression"})
    assert _changed_lines(BASE, new)[-2:] == [
        ("removed", f"    {WHO5_WHEN}"),
        ("added", "    when: {instrument: who5, severity_in: [likely depression]}"),
    ]
    changes = describe_changes(default_ruleset(), check_ruleset_text(new))
    assert (
        "WHO-5 low wellbeing (50 or below): fires in these bands likely depression, poor "
        "wellbeing → likely depression." in changes
    )
    assert not any("when it applies changed" in line for line in changes)
    # Ticked in any order, written in the instrument's order.
    widened = _apply({WHO5_BANDS: "adequate wellbeing|likely depression|poor wellbeing"})
    assert "severity_in: [likely depression, poor wellbeing, adequate wellbeing]}" in widened


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("", "tick at least one band", id="none-ticked"),
        pytest.param("likely depression|29-40", "the instrument's published bands", id="made-up"),
        pytest.param("severe", "the instrument's published bands", id="another-instruments"),
    ],
)
def test_bands_outside_the_published_ones_are_refused(value: str, message: str) -> None:
    with pytest.raises(RulesetProblems) as raised:
        _apply({WHO5_BANDS: value})
    assert any(message in problem.message for problem in raised.value.problems)


def test_no_box_ticked_is_not_posted_and_still_refused() -> None:
    form = _form()
    was = form.values()
    posted = {key: value for key, value in was.items() if key != WHO5_BANDS}
    with pytest.raises(RulesetProblems, match="tick at least one band"):
        apply_form(BASE, posted, was, version="2.0.1")
    # Positive control: the same post with the box ticked saves as it was.
    assert apply_form(BASE, {**posted, WHO5_BANDS: was[WHO5_BANDS]}, was, version="2.0.1")


@pytest.mark.parametrize(
    ("changes", "version", "message"),
    [
        pytest.param(
            {SEVERE: "twenty"},
            "2.0.1",
            "PHQ-9 severe (20-27): a cut-off is a whole number from 0 to 1000, not 'twenty'.",
            id="words",
        ),
        pytest.param(
            {SEVERE: "1001"}, "2.0.1", "a cut-off is a whole number from 0 to 1000", id="too-big"
        ),
        pytest.param({SEVERE: "-1"}, "2.0.1", "a cut-off is a whole number", id="negative"),
        pytest.param(
            {"p|phq9-mild": "nowhere"},
            "2.0.1",
            "PHQ-9 mild (5-9): choose one of the pathways listed.",
            id="pathway",
        ),
        pytest.param(
            {"l|risk-high|when.risk_level_at_least": "dire"},
            "2.0.1",
            "choose one of the risk levels listed",
            id="level",
        ),
        pytest.param(
            {"w|soon": "0"}, "2.0.1", "wait target for soon: a number of hours", id="wait-zero"
        ),
        pytest.param({"w|soon": "nan"}, "2.0.1", "wait target for soon", id="wait-nan"),
        pytest.param({"w|soon": "a week"}, "2.0.1", "wait target for soon", id="wait-words"),
        pytest.param(
            {}, "", 'the new version needs a version, for example "2.0.1".', id="no-version"
        ),
        pytest.param(
            {}, "2" * 81, "the version is at most 80 characters on one line.", id="long-version"
        ),
        pytest.param(
            {"t|gone|when.total_gte": "3"},
            "2.0.1",
            "the rule is no longer in the YAML below",
            id="gone",
        ),
    ],
)
def test_wrong_values_are_named_in_words(
    changes: dict[str, str], version: str, message: str
) -> None:
    with pytest.raises(RulesetProblems) as raised:
        _apply(changes, version=version)
    assert any(message in p.message for p in raised.value.problems), raised.value.problems


def test_changes_on_the_form_need_yaml_that_can_be_read() -> None:
    broken = BASE.replace("    urgency: soon\n", "    urgency soon\n", 1)
    with pytest.raises(RulesetProblems, match=r"cannot be read\. Correct it first"):
        _apply({SEVERE: "22"}, text=broken)
    # Without a change on the form the text is left for the check to name the line.
    assert _apply({}, text=broken) == broken


def test_a_value_moved_in_the_yaml_is_not_written_somewhere_else() -> None:
    moved = BASE.replace("when: {instrument: phq9, total_gte: 20}", "when: {flag: phq9-item9}", 1)
    with pytest.raises(RulesetProblems, match="not where it was"):
        _apply({SEVERE: "22"}, text=moved)


def test_a_flow_style_rule_keeps_its_pathway_to_the_yaml() -> None:
    text = BASE.replace(
        "  - id: phq2-positive\n    when: {instrument: phq2, total_gte: 3}\n    urgency: routine\n",
        "  - {id: phq2-positive, when: {instrument: phq2, total_gte: 3}, urgency: routine,\n"
        "     reason: x, source: y}\n  - id: phq2-old\n    when: {instrument: phq2, total_gte: 3}\n"
        "    urgency: routine\n",
        1,
    )
    assert check_ruleset_text(text)
    with pytest.raises(RulesetProblems, match="its pathway can only be changed in the YAML"):
        _apply({"p|phq2-positive": "low-intensity"}, text=text)
    # A cut-off in the same flow-style rule is still written in place.
    assert "total_gte: 4}, urgency" in _apply({"t|phq2-positive|when.total_gte": "4"}, text=text)


def test_a_pathway_sharing_its_line_is_taken_out_in_the_yaml() -> None:
    text = BASE.replace(
        "    urgency: soon\n    pathway: high-intensity-therapy\n",
        "    urgency: soon\n    pathway: high-intensity-therapy # and more: x\n",
        1,
    )
    assert "pathway: low-intensity # and more" in _apply(
        {"p|phq9-severe": "low-intensity"}, text=text
    )
    new = _apply({"p|phq9-severe": ""}, text=text)
    assert "high-intensity-therapy # and more" not in new
    text = BASE.replace(
        "  - id: phq9-severe\n    when: {instrument: phq9, total_gte: 20}\n    urgency: soon\n"
        "    pathway: high-intensity-therapy\n",
        "  - pathway: high-intensity-therapy\n    id: phq9-severe\n"
        "    when: {instrument: phq9, total_gte: 20}\n    urgency: soon\n",
        1,
    )
    with pytest.raises(RulesetProblems, match="can only be removed in the YAML"):
        _apply({"p|phq9-severe": ""}, text=text)


def test_a_rule_without_urgency_gets_its_pathway_after_its_last_key() -> None:
    text = BASE.replace(
        f"  - id: who5-low-wellbeing\n    {WHO5_WHEN}\n    urgency: routine\n",
        f"  - id: who5-low-wellbeing\n    {WHO5_WHEN}\n",
        1,
    )
    new = _apply({"p|who5-low-wellbeing": "low-intensity"}, text=text)
    assert new.rstrip().endswith("pathway: low-intensity")


def test_a_version_without_a_version_key_is_named() -> None:
    text = BASE.replace('version: "2.0.0"\n', "", 1)
    with pytest.raises(RulesetProblems, match="has no 'version:' to change"):
        _apply({}, text=text)


def test_the_form_reads_what_it_can_of_broken_yaml() -> None:
    assert _form("rules: [").rules == ()
    assert _form("- a\n").rules == ()
    odd = (
        "rules: [3, {id: x, when: {any: [{instrument: phq9, total_gte: true},"
        " {instrument: zz9, total_lte: 4}]}}]\n"
    )
    (rule,) = _form(odd).rules
    assert [(v.label, v.value) for v in rule.values] == [
        ("zz9 total at most", "4"),
        ("Pathway it proposes", ""),
    ]


def test_what_changed_in_words() -> None:
    old = default_ruleset()
    text = (
        BASE.replace("total_gte: 20}", "total_gte: 22}", 1)
        .replace(
            "    urgency: soon\n    pathway: high-intensity-therapy\n",
            "    urgency: urgent\n    pathway: high-intensity-therapy\n",
            1,
        )
        .replace("(severe depression band, 20-27)", "(22 or more)", 1)
        .replace(
            "{instrument: gad7, total_gte: 15}",
            "{all: [{instrument: gad7, total_gte: 15}, {own_words: true}]}",
            1,
        )
        .replace("Kroenke et al. 2007, Ann Intern Med 146:317-325", "Kroenke 2007", 1)
        .replace(
            "    when: {flag: cssrs-q4}\n",
            "    when: {flag: cssrs-q4}\n    safeguarding: true\n",
            1,
        )
        .replace("  - id: phq2-positive", "  - id: phq2-screen", 1)
        .replace(
            "    label: Routine assessment - watchful waiting / active monitoring",
            "    label: Routine assessment",
            1,
        )
        .replace(
            ALCOHOL_SOURCE.rstrip("\n"),
            "    source: NICE CG115",
            1,
        )
        .replace("description: >\n", "description: >\n  Changed.\n", 1)
        .replace('cssrs-screen: ["no", "yes"]', 'cssrs-screen: ["No", "Yes"]', 1)
        .replace(
            "  pathway: routine-assessment\n  reason: >-\n    No answer",
            "  pathway: low-intensity\n  reason: >-\n    No answer",
            1,
        )
    )
    lines = describe_changes(old, check_ruleset_text(text))
    assert lines[0] == "Version 2.0.0 becomes 2.0.0." or "Version" not in lines[0]
    for expected in (
        "PHQ-9 severe (20-27): PHQ-9 total at least 20 → 22.",
        "PHQ-9 severe (20-27): urgency Soon → Urgent.",
        "PHQ-9 severe (20-27): the reason clinicians read is worded differently.",
        "GAD-7 severe (15-21): when it applies changed (see the line-by-line changes).",
        "GAD-2 positive screen (3 or more): the source it cites changed.",
        "C-SSRS question 4: suicidal thoughts with some intention to act: now a safeguarding "
        "concern.",
        "New rule: Phq2 screen (Routine).",
        "Rule taken out: PHQ-2 positive screen (3 or more) (Routine).",
        "Pathway renamed: Routine assessment - watchful waiting / active monitoring → Routine "
        "assessment.",
        "Alcohol assessment (full AUDIT) and alcohol service: the source it cites changed.",
        "The description changed.",
        "The wording of answers shown in reasons changed.",
        "When no rule names a pathway: Routine assessment - watchful waiting / active monitoring"
        " → Low-intensity intervention / guided self-help (step 2).",
    ):
        assert expected in lines, (expected, lines)
    # The reason no longer quotes the old cut-off, so no reminder to change it.
    assert not any("still mentions 20" in line for line in lines)


def test_pathways_added_taken_out_and_reordered_and_the_same_rules() -> None:
    old = default_ruleset()
    assert describe_changes(old, old) == []
    text = BASE.replace(
        "  - id: alcohol-service\n    label: Alcohol assessment (full AUDIT) and alcohol service\n"
        + ALCOHOL_SOURCE,
        "",
        1,
    ).replace("pathway: alcohol-service", "pathway: low-intensity")
    text = text.replace(
        "pathways:\n",
        "pathways:\n  - id: peer-support\n    label: Peer support\n    source: Local\n",
        1,
    )
    text = text.replace(
        "  pathway: routine-assessment\n  reason: >-\n    No answer",
        "  pathway: routine-assessment\n  reason: >-\n    Nothing pointed. No answer",
        1,
    )
    lines = describe_changes(old, check_ruleset_text(text))
    assert "New pathway: Peer support." in lines
    assert "Pathway taken out: Alcohol assessment (full AUDIT) and alcohol service." in lines
    assert (
        "When no rule names a pathway: Routine assessment - watchful waiting / active monitoring"
        " → Routine assessment - watchful waiting / active monitoring (its reason or source "
        "changed)." in lines
    )
    swapped = BASE.replace("  - id: crisis-team\n", "  - id: crisis-team-x\n", 1)
    first, second = (
        swapped.index("  - id: crisis-team-x"),
        swapped.index("  - id: self-harm-assessment"),
    )
    third = swapped.index("  - id: urgent-risk-assessment")
    reordered = swapped[:first] + swapped[second:third] + swapped[first:second] + swapped[third:]
    reordered = reordered.replace("crisis-team-x", "crisis-team")
    assert "The order in which pathways are chosen changed." in describe_changes(
        old, check_ruleset_text(reordered)
    )


def test_line_diff_marks_lines_and_gaps() -> None:
    new = _apply({SEVERE: "22", "t|gad2-positive|when.total_gte": "4"})
    diff = line_diff(BASE, new)
    kinds = [line.kind for line in diff]
    assert kinds.count("added") == 3
    assert kinds.count("removed") == 3
    assert "gap" in kinds
    removed = next(line for line in diff if line.kind == "removed" and "total_gte: 20" in line.text)
    added = next(line for line in diff if line.kind == "added" and "total_gte: 22" in line.text)
    assert (removed.old_number, removed.new_number) == (added.new_number, None)
    same = next(line for line in diff if line.kind == "same")
    assert same.old_number is not None
    assert same.new_number is not None
    assert line_diff(BASE, BASE) == []


@pytest.mark.parametrize(
    ("current", "taken", "expected"),
    [
        ("2.0.0", set(), "2.0.1"),
        ("2.0.0", {"2.0.1", "2.0.2"}, "2.0.3"),
        ("2.0.0-demo-2", set(), "2.0.0-demo-3"),
        ("local", set(), "local.1"),
    ],
)
def test_suggest_version(current: str, taken: set[str], expected: str) -> None:
    assert suggest_version(current, taken) == expected


def test_hours_text() -> None:
    assert [hours_text(h) for h in (24.0, 0.5, 1)] == ["24", "0.5", "1"]


# --- the preview in words --------------------------------------------------------------------


def _inputs(phq9: int, gad7: int, **extra: Any) -> TriageInputs:
    def score(total: int, band: str, flags: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"total": total, "severity": band, "flags": list(flags), "answers": []}

    scores = {"phq9": score(phq9, "band"), "gad7": score(gad7, "band")}
    return TriageInputs(scores=scores, reader_consent=False, wrote_words=False, **extra)


def test_the_preview_says_how_many_change_in_which_direction_with_examples() -> None:
    old = default_ruleset()
    new = check_ruleset_text(_apply({SEVERE: "25", "t|phq9-mild|when.total_gte": "7"}))
    past = [_inputs(24, 3), _inputs(21, 3), _inputs(6, 3), _inputs(12, 12), _inputs(24, 16)]
    result = preview_change(old, new, past)
    words = preview_in_words(result, past, old, new, examples=3)
    assert words.total == 5
    assert words.changed == 4
    assert words.headline == (
        "Of the last 5 intakes, 4 would get a different proposal: 3 a different urgency "
        "(0 more urgent, 3 less urgent) and 3 a different pathway."
    )
    (urgency,) = words.urgency_moves
    assert (urgency.before, urgency.after, urgency.count, urgency.direction) == (
        "Soon",
        "Routine",
        3,
        "less urgent",
    )
    pathways = {(m.before, m.after): m.count for m in words.pathway_moves}
    assert (
        pathways[
            (
                "High-intensity psychological therapy (step 3)",
                "Routine assessment - watchful waiting / active monitoring",
            )
        ]
        == 2
    )
    # One example of each kind of change first.
    assert len(words.examples) == 3
    assert len({(e.before, e.after) for e in words.examples}) == 3
    first = words.examples[0]
    assert first.intake == "PHQ-9 24 (band); GAD-7 3 (band)"
    assert first.before == "Soon, High-intensity psychological therapy (step 3)"
    assert first.rules_before == "phq9-severe"
    assert words.crisis == ""
    # Fewer kinds than examples: the rest are filled with more of the same.
    assert len(preview_in_words(result, past, old, new, examples=4).examples) == 4


def test_the_preview_names_crisis_moves_and_says_when_nothing_changes() -> None:
    old = default_ruleset()
    flagged = TriageInputs(
        scores={"cssrs-screen": {"total": 1, "severity": "high risk", "flags": ["cssrs-q4"]}},
        reader_consent=True,
        risk={"level": "low", "evidence": [], "signals": []},
        wrote_words=True,
    )
    softer = check_ruleset_text(
        BASE.replace(
            "  - id: cssrs-q4-intent\n    when: {flag: cssrs-q4}\n    urgency: crisis",
            "  - id: cssrs-q4-intent\n    when: {flag: cssrs-q4}\n    urgency: urgent",
            1,
        )
    )
    result = preview_change(old, softer, [flagged])
    words = preview_in_words(result, [flagged], old, softer)
    assert words.crisis.startswith(
        "1 intake would no longer be crisis; 0 intakes would become crisis"
    )
    assert words.urgency_moves[0].direction == "less urgent"
    back = preview_in_words(preview_change(softer, old, [flagged]), [flagged], softer, old)
    assert back.urgency_moves[0].direction == "more urgent"
    same = preview_in_words(preview_change(old, old, [flagged]), [flagged], old, old)
    assert same.headline == "Of the last 1 intake, none would get a different proposal."
    assert preview_in_words(preview_change(old, old, []), [], old, old).headline == (
        "There are no past intakes to replay yet."
    )
    assert propose_triage_for(flagged, old).urgency == "crisis"


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            TriageInputs(
                scores={"phq9": {"total": 11, "severity": "moderate", "flags": ["phq9-item9"]}},
                reader_consent=True,
                risk={"level": "moderate", "evidence": []},
            ),
            "PHQ-9 11 (moderate); PHQ-9 question 9 answered; risk read in their words: moderate",
        ),
        (
            TriageInputs(
                scores={"zz9": {"total": 2}},
                reader_consent=True,
                risk={"level": "high", "evidence": [{"signal": "reader_unavailable"}]},
            ),
            "zz9 2; their words could not be read by software",
        ),
        (
            TriageInputs(scores={}, reader_consent=False, wrote_words=True),
            "wrote in their own words (software reading declined)",
        ),
        (
            TriageInputs(scores={"x": {}}, reader_consent=False, wrote_words=False),
            "no scores stored",
        ),
    ],
)
def test_an_intake_in_words(inputs: TriageInputs, expected: str) -> None:
    assert describe_inputs(inputs) == expected


def test_edge_cases_of_the_yaml_the_form_writes_into() -> None:
    # A pathway taken out in the YAML and on the form: nothing more to take out.
    text = BASE.replace(
        "    urgency: soon\n    pathway: high-intensity-therapy\n", "    urgency: soon\n", 1
    )
    form = _form(BASE)
    was = form.values()
    assert "urgency: soon\n    reason" in apply_form(
        text, {**was, "p|phq9-severe": ""}, was, version="2.0.1"
    )
    # The last rule of a file without a final newline gets its pathway on a line of its own.
    new = _apply({"p|who5-low-wellbeing": "low-intensity"}, text=BASE.rstrip("\n"))
    assert "    urgency: routine\n    pathway: low-intensity\n    reason" in new
    # A rule whose condition is not a mapping shows only its pathway.
    (rule,) = _form("rules: [{id: y, when: 3}]\n").rules
    assert [v.label for v in rule.values] == ["Pathway it proposes"]


def test_a_nested_cut_off_changes_in_words_without_a_changed_shape() -> None:
    nested = "{any: [{instrument: phq9, total_gte: 20}, {flag: cssrs-q1}]}"
    old = check_ruleset_text(BASE.replace("{instrument: phq9, total_gte: 20}", nested, 1))
    new = check_ruleset_text(
        BASE.replace("{instrument: phq9, total_gte: 20}", nested.replace("20", "21"), 1)
    )
    lines = describe_changes(old, new)
    assert lines[0] == "PHQ-9 severe (20-27): PHQ-9 total at least 20 → 21."
    assert not any("when it applies changed" in line for line in lines)


def test_without_a_version_field_the_yaml_keeps_its_own() -> None:
    form = _form()
    was = form.values()
    new = apply_form(BASE, {**was, SEVERE: "21"}, was, version=None)
    assert 'version: "2.0.0"' in new
    assert "total_gte: 21}" in new


@pytest.mark.parametrize(
    "instrument",
    [
        pytest.param("nosuch", id="an-instrument-alongside-does-not-know"),
        pytest.param("cssrs-screen", id="an-instrument-without-published-bands"),
    ],
)
def test_bands_are_offered_only_where_the_instrument_publishes_them(instrument: str) -> None:
    text = BASE.replace(WHO5_WHEN, f"when: {{instrument: {instrument}, severity_in: [mild]}}", 1)
    assert text != BASE
    rules = {rule.rule_id: rule for rule in _form(text).rules}
    assert "bands" not in {v.kind for v in rules["who5-low-wellbeing"].values}
    # Positive control: the shipped rule offers its instrument's bands.
    assert "bands" in {
        v.kind for v in {r.rule_id: r for r in _form().rules}["who5-low-wellbeing"].values
    }


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(WHO5_BANDS, id="no-longer-a-list-of-bands"),
        pytest.param("b|who5-low-wellbeing|when.any.3.severity_in", id="a-path-not-in-the-rule"),
    ],
)
def test_bands_moved_in_the_yaml_are_not_written_somewhere_else(key: str) -> None:
    moved = BASE.replace(WHO5_WHEN, "when: {flag: phq9-item9}", 1)
    assert moved != BASE
    with pytest.raises(RulesetProblems, match="these bands are not where they were"):
        _apply({key: "likely depression"}, text=moved)


def test_an_urgency_that_is_not_a_plain_value_is_not_overwritten() -> None:
    listed = BASE.replace(
        "when: {instrument: phq9, total_gte: 20}\n    urgency: soon\n",
        "when: {instrument: phq9, total_gte: 20}\n    urgency: [soon]\n",
        1,
    )
    assert listed != BASE
    with pytest.raises(RulesetProblems, match="its urgency is not where it was"):
        _apply({"u|phq9-severe": "urgent"}, text=listed)


def test_bands_inside_an_any_list_are_changed_where_they_are() -> None:
    nested = BASE.replace(
        WHO5_WHEN,
        "when: {any: [{flag: phq9-item9}, "
        "{instrument: who5, severity_in: [likely depression, poor wellbeing]}]}",
        1,
    )
    assert nested != BASE
    key = "b|who5-low-wellbeing|when.any.1.severity_in"
    rules = {rule.rule_id: rule for rule in _form(nested).rules}
    assert key in {v.key for v in rules["who5-low-wellbeing"].values}
    new = _apply({key: "likely depression"}, text=nested)
    assert "{instrument: who5, severity_in: [likely depression]}]}" in new
    assert "{flag: phq9-item9}" in new
