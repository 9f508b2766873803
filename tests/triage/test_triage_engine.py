"""The triage engine under the default ruleset: every required rule, fail-closed, properties."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alongside.errors import InvalidInput
from alongside.triage.engine import (
    NOT_ANSWERED,
    TriageProposal,
    inputs_digest,
    propose_triage,
    render_reason,
)
from alongside.triage.rulesets import (
    RISK_LEVEL_ORDER,
    URGENCY_ORDER,
    Ruleset,
    default_ruleset,
    urgency_rank,
)

RULESET = default_ruleset()
PHQ9_BANDS = (
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately severe"),
)


def _band(total: int, bands: tuple[tuple[int, int, str], ...], top: str) -> str:
    for low, high, name in bands:
        if low <= total <= high:
            return name
    return top


def phq9(answers: list[int]) -> dict[str, Any]:
    """A PHQ-9 result in the shape of ScoreResult.to_dict()."""
    total = sum(answers)
    return {
        "instrument": "phq9",
        "version": "1.0.0",
        "total": total,
        "raw_total": total,
        "severity": _band(total, PHQ9_BANDS, "severe"),
        "flags": ["phq9-item9"] if answers[8] >= 1 else [],
        "answers": answers,
        "risk_category": None,
        "notes": [],
    }


def phq9_total(total: int, item9: int = 0) -> dict[str, Any]:
    """A PHQ-9 with the given total and item 9 answer."""
    rest = total - item9
    answers = [min(3, max(0, rest - 3 * i)) for i in range(8)] + [item9]
    assert sum(answers) == total
    return phq9(answers)


def gad7_total(total: int) -> dict[str, Any]:
    """A GAD-7 result with the given total."""
    answers = [min(3, max(0, total - 3 * i)) for i in range(7)]
    bands = ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"))
    return {
        "instrument": "gad7",
        "version": "1.0.0",
        "total": total,
        "raw_total": total,
        "severity": _band(total, bands, "severe"),
        "flags": [],
        "answers": answers,
        "risk_category": None,
        "notes": [],
    }


def cssrs(answers: list[int]) -> dict[str, Any]:
    """A C-SSRS screener result: six yes/no answers and the optional 'within three months'."""
    flags = [f"cssrs-q{n}" for n in range(1, 7) if answers[n - 1] == 1]
    return {
        "instrument": "cssrs-screen",
        "version": "1.0.0",
        "total": None,
        "raw_total": None,
        "severity": None,
        "flags": flags,
        "answers": answers,
        "risk_category": None,
        "notes": [],
    }


def reading(level: str, *phrases: str, signal: str = "ideation") -> dict[str, Any]:
    """A risk reading in the shape of RiskReading.to_dict()."""
    return {
        "level": level,
        "probability": 0.5,
        "evidence": [{"start": 0, "end": len(p), "text": p, "signal": signal} for p in phrases],
        "reasons": [],
        "versions": {"model": "test"},
    }


def unavailable() -> dict[str, Any]:
    """The shape of alongside.risk's fail-closed reading: level high, reader_unavailable."""
    risk = reading("high")
    risk["evidence"] = [{"start": 0, "end": 0, "text": "", "signal": "reader_unavailable"}]
    return risk


def propose(
    scores: dict[str, dict[str, Any]] | None = None,
    risk: dict[str, Any] | None = None,
    *,
    consent: bool = True,
    ruleset: Ruleset = RULESET,
) -> TriageProposal:
    """Propose with a 'none' reading by default, so only the instruments speak."""
    if risk is None and consent:
        risk = reading("none")
    return propose_triage(scores=scores or {}, risk=risk, reader_consent=consent, ruleset=ruleset)


NO = [0, 0, 0, 0, 0, 0]

# (case, scores, risk, consent, lowest urgency, rule that must fire, words in its reason)
REQUIRED_RULES: list[tuple[str, dict[str, Any], dict[str, Any] | None, bool, str, str, str]] = [
    (
        "cssrs q4 yes",
        {"cssrs-screen": cssrs([1, 1, 0, 1, 0, 0])},
        None,
        True,
        "crisis",
        "cssrs-q4-intent",
        "question 4",
    ),
    (
        "cssrs q5 yes",
        {"cssrs-screen": cssrs([1, 1, 1, 0, 1, 0])},
        None,
        True,
        "crisis",
        "cssrs-q5-plan",
        "question 5",
    ),
    (
        "cssrs q6 recent",
        {"cssrs-screen": cssrs([0, 0, 0, 0, 0, 1, 1])},
        None,
        True,
        "crisis",
        "cssrs-recent-behaviour",
        "three months",
    ),
    (
        "cssrs q6 when unanswered",
        {"cssrs-screen": cssrs([0, 0, 0, 0, 0, 1])},
        None,
        True,
        "crisis",
        "cssrs-recent-behaviour",
        "read as recent",
    ),
    (
        "cssrs q1 yes",
        {"cssrs-screen": cssrs([1, 0, 0, 0, 0, 0])},
        None,
        True,
        "urgent",
        "cssrs-ideation",
        "question 1: yes",
    ),
    (
        "cssrs q2 yes",
        {"cssrs-screen": cssrs([0, 1, 0, 0, 0, 0])},
        None,
        True,
        "urgent",
        "cssrs-ideation",
        "question 2: yes",
    ),
    (
        "phq9 item 9 = 1",
        {"phq9": phq9_total(3, item9=1)},
        None,
        True,
        "urgent",
        "phq9-item9",
        "answered 1 (several days)",
    ),
    (
        "phq9 item 9 = 2",
        {"phq9": phq9_total(8, item9=2)},
        None,
        True,
        "urgent",
        "phq9-item9",
        "answered 2 (more than half the days)",
    ),
    (
        "phq9 item 9 = 3",
        {"phq9": phq9_total(27, item9=3)},
        None,
        True,
        "urgent",
        "phq9-item9",
        "answered 3 (nearly every day)",
    ),
    (
        "reader imminent",
        {},
        reading("imminent", "tonight I end it"),
        True,
        "crisis",
        "risk-imminent",
        '"tonight I end it"',
    ),
    ("reader high", {}, reading("high", "no way out"), True, "urgent", "risk-high", '"no way out"'),
    (
        "phq9 total 20",
        {"phq9": phq9_total(20)},
        None,
        True,
        "soon",
        "phq9-severe",
        "PHQ-9 total 20",
    ),
    (
        "phq9 total 24",
        {"phq9": phq9_total(24)},
        None,
        True,
        "soon",
        "phq9-severe",
        "severe depression band",
    ),
    (
        "reader declined",
        {},
        None,
        False,
        "urgent",
        "reader-declined-words",
        "a person reads these words within the urgent target",
    ),
    (
        "reader unavailable",
        {},
        unavailable(),
        True,
        "urgent",
        "reader-unavailable",
        "Not screened by software",
    ),
]


@pytest.mark.parametrize(
    ("scores", "risk", "consent", "lowest", "rule_id", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in REQUIRED_RULES],
)
def test_required_rule(
    scores: dict[str, Any],
    risk: dict[str, Any] | None,
    consent: bool,
    lowest: str,
    rule_id: str,
    words: str,
) -> None:
    proposal = propose(scores, risk, consent=consent)
    assert urgency_rank(proposal.urgency) >= urgency_rank(lowest)
    assert rule_id in proposal.fired_rules
    reason = next(r for r in proposal.reasons if r.rule_id == rule_id)
    assert words in reason.text
    assert reason.source


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        pytest.param({"cssrs-screen": cssrs([0, 0, 0, 0, 0, 1, 0])}, "urgent", id="q6-long-ago"),
        pytest.param({"cssrs-screen": cssrs([0, 0, 1, 0, 0, 0])}, "urgent", id="q3-method"),
        pytest.param({"phq9": phq9_total(19)}, "routine", id="phq9-19"),
        pytest.param({"phq9": phq9_total(24, item9=0)}, "soon", id="phq9-24-no-item9"),
        pytest.param({"cssrs-screen": cssrs(NO)}, "routine", id="cssrs-all-no"),
        pytest.param({}, "routine", id="nothing"),
    ],
)
def test_exact_urgency(scores: dict[str, Any], expected: str) -> None:
    assert propose(scores).urgency == expected


def test_reader_moderate_alone_is_routine_but_still_reviewed() -> None:
    proposal = propose({}, reading("moderate", "tired of it all"))
    assert proposal.urgency == "routine"
    assert proposal.pathway == "routine-assessment"
    assert proposal.reasons[-1].rule_id == "fallback"
    assert "never removes anyone from review" in proposal.reasons[-1].text


@pytest.mark.parametrize(
    ("scores", "pathway"),
    [
        pytest.param({"phq9": phq9_total(15)}, "high-intensity-therapy", id="phq9-15"),
        pytest.param({"phq9": phq9_total(22)}, "high-intensity-therapy", id="phq9-22"),
        pytest.param({"gad7": gad7_total(15)}, "high-intensity-therapy", id="gad7-15"),
        pytest.param({"phq9": phq9_total(10)}, "low-intensity", id="phq9-10"),
        pytest.param({"phq9": phq9_total(14)}, "low-intensity", id="phq9-14"),
        pytest.param({"gad7": gad7_total(12)}, "low-intensity", id="gad7-12"),
        pytest.param({"phq9": phq9_total(5)}, "low-intensity", id="phq9-mild"),
        pytest.param({"gad7": gad7_total(7)}, "routine-assessment", id="gad7-mild"),
        pytest.param({"phq9": phq9_total(4)}, "routine-assessment", id="phq9-minimal"),
        pytest.param(
            {"auditc": {"total": 5, "severity": "positive", "answers": [2, 2, 1]}},
            "alcohol-service",
            id="auditc-positive",
        ),
        pytest.param(
            {"auditc": {"total": 2, "severity": "negative", "answers": [1, 1, 0]}},
            "routine-assessment",
            id="auditc-negative",
        ),
        pytest.param(
            {"pcl5": {"total": 40, "severity": "probable ptsd", "answers": [2] * 20}},
            "trauma-focused-therapy",
            id="pcl5-probable",
        ),
        pytest.param(
            {"pcl5": {"total": 32, "severity": "below threshold", "answers": [2] * 16}},
            "routine-assessment",
            id="pcl5-below",
        ),
        pytest.param(
            {"phq9": phq9_total(16, item9=1), "cssrs-screen": cssrs([1, 1, 0, 1, 0, 0])},
            "crisis-team",
            id="crisis-first",
        ),
        pytest.param({"phq9": phq9_total(16, item9=1)}, "urgent-risk-assessment", id="risk-first"),
    ],
)
def test_pathway(scores: dict[str, Any], pathway: str) -> None:
    assert propose(scores).pathway == pathway


def test_other_indicated_pathways_are_kept_in_precedence_order() -> None:
    proposal = propose(
        {
            "phq9": phq9_total(12, item9=1),
            "gad7": gad7_total(16),
            "auditc": {"total": 6, "severity": "positive", "answers": [2, 2, 2]},
        }
    )
    assert proposal.pathway == "urgent-risk-assessment"
    assert proposal.alternative_pathways == (
        "high-intensity-therapy",
        "alcohol-service",
        "low-intensity",
    )


def test_reasons_are_most_urgent_first_and_checkable() -> None:
    proposal = propose(
        {"phq9": phq9_total(21, item9=2), "cssrs-screen": cssrs([1, 1, 1, 0, 1, 0])},
        reading("high", "I have the pills"),
    )
    ranks = [urgency_rank(reason.urgency) for reason in proposal.reasons]
    assert ranks == sorted(ranks, reverse=True)
    assert proposal.reasons[0].rule_id == "cssrs-q5-plan"
    texts = " ".join(reason.text for reason in proposal.reasons)
    assert "PHQ-9 item 9 answered 2 (more than half the days)" in texts
    assert '"I have the pills"' in texts
    assert "PHQ-9 total 21" in texts
    assert proposal.versions == {"ruleset": "alongside-default", "ruleset_version": "2.0.0"}


def test_reader_declined_marks_words_for_a_person() -> None:
    proposal = propose({"phq9": phq9_total(3)}, consent=False)
    assert proposal.needs_human_reading is True
    # Declining never lowers priority: a person reads the words within the urgent target.
    assert proposal.urgency == "urgent"
    # A reading passed in without consent is not used.
    ignored = propose({}, reading("imminent", "x"), consent=False)
    assert ignored.urgency == "urgent"
    assert "risk-imminent" not in ignored.fired_rules


@pytest.mark.parametrize(
    "risk",
    [
        pytest.param(None, id="no-reading"),
        pytest.param(unavailable(), id="unavailable-evidence"),
        pytest.param({"level": "catastrophic"}, id="unknown-level"),
        pytest.param({"level": None}, id="no-level"),
        pytest.param({"level": "low", "evidence": "not a list"}, id="malformed"),
    ],
)
def test_reader_failure_fails_closed(risk: dict[str, Any] | None) -> None:
    proposal = propose_triage(scores={}, risk=risk, reader_consent=True, ruleset=RULESET)
    assert urgency_rank(proposal.urgency) >= urgency_rank("urgent")
    assert proposal.needs_human_reading is True
    assert any("Not screened by software" in reason.text for reason in proposal.reasons)


def test_unavailable_readers_level_is_not_presented_as_a_reading() -> None:
    proposal = propose({}, unavailable())
    assert proposal.fired_rules == ("reader-unavailable",)
    assert proposal.urgency == "urgent"
    # The instruments alone still reach crisis when the reader is down.
    crisis = propose({"cssrs-screen": cssrs([1, 1, 0, 1, 0, 0])}, unavailable())
    assert crisis.urgency == "crisis"
    assert crisis.needs_human_reading is True


def test_nothing_wrong_still_goes_to_a_clinician() -> None:
    proposal = propose({"phq9": phq9_total(0), "gad7": gad7_total(0)})
    assert proposal.urgency == "routine"
    assert proposal.pathway == "routine-assessment"
    assert [reason.rule_id for reason in proposal.reasons] == ["fallback"]
    assert proposal.needs_human_reading is False
    # There is no urgency below routine: triage orders the work, it never excludes.
    assert URGENCY_ORDER[0] == "routine"


def test_fallback_reason_added_when_only_urgency_rules_fire() -> None:
    proposal = propose({}, None, consent=False)
    assert proposal.fired_rules == ("reader-declined-words",)
    assert proposal.pathway == "routine-assessment"
    assert [reason.rule_id for reason in proposal.reasons] == ["reader-declined-words", "fallback"]


def test_to_dict_is_plain_json() -> None:
    data = propose({"phq9": phq9_total(12)}).to_dict()
    assert data["urgency"] == "routine"
    assert data["pathway"] == "low-intensity"
    assert data["reasons"][0]["rule_id"] == "phq9-moderate"
    assert data["reasons"][0]["text"].startswith("PHQ-9 total 12 (moderate")
    assert set(data) >= {"urgency", "pathway", "reasons", "fired_rules", "versions"}
    assert isinstance(data["fired_rules"], list)


def test_malformed_score_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="score for 'phq9' is malformed"):
        propose({"phq9": {"total": "lots"}})


def test_missing_values_do_not_fire_and_templates_say_not_answered() -> None:
    scores: dict[str, dict[str, Any]] = {
        "phq9": {"total": None, "answers": [0, 0, 0, 0, 0, 0, 0, 0, None]},
        "gad7": {"answers": [5]},  # a label beyond the published wording is left out
    }
    proposal = propose(scores)
    assert proposal.fired_rules == ()
    assert render_reason("A {phq9_item9} B {gad7_item1_label} C", {}) == (
        f"A {NOT_ANSWERED} B {NOT_ANSWERED} C"
    )


def test_short_answer_list_does_not_fire_item_rule() -> None:
    assert "phq9-item9" not in propose({"phq9": {"total": 3, "answers": [3]}}).fired_rules


def test_risk_probability_is_available_to_templates() -> None:
    ruleset = RULESET.model_copy(
        update={
            "rules": (
                next(rule for rule in RULESET.rules if rule.id == "risk-imminent").model_copy(
                    update={"reason": "p={risk_probability} level={risk_level} {risk_evidence}"}
                ),
            )
        }
    )
    proposal = propose({}, reading("imminent"), ruleset=ruleset)
    assert proposal.reasons[0].text == "p=0.50 level=imminent no phrase highlighted"


def test_flags_in_the_reading_are_not_quoted_as_the_clients_words() -> None:
    risk = reading("high", "no way out")
    risk["evidence"].append({"start": 0, "end": 0, "text": "phq9-item9", "signal": "critical_item"})
    proposal = propose({"phq9": phq9_total(4, item9=1)}, risk)
    text = next(r.text for r in proposal.reasons if r.rule_id == "risk-high")
    assert 'highlighted: "no way out"; instrument items: phq9-item9.' in text
    assert '"phq9-item9"' not in text
    only_items = reading("high")
    only_items["evidence"] = [{"start": 0, "end": 0, "text": "cssrs-q4", "signal": "critical_item"}]
    text = next(r.text for r in propose({}, only_items).reasons if r.rule_id == "risk-high")
    assert "highlighted: no phrase highlighted; instrument items: cssrs-q4." in text


def test_who5_low_wellbeing_asks_for_a_phq9() -> None:
    proposal = propose({"who5": {"total": 24, "severity": "likely depression"}})
    reason = next(r for r in proposal.reasons if r.rule_id == "who5-low-wellbeing")
    assert reason.text.startswith("WHO-5 score 24 of 100 (likely depression;")
    assert "Topp" in reason.source
    assert proposal.urgency == "routine"


def test_inputs_digest_is_canonical() -> None:
    assert inputs_digest({}) == hashlib.sha256(b"{}").hexdigest()
    assert inputs_digest({"b": 1, "a": [1, "é"]}) == inputs_digest({"a": [1, "é"], "b": 1})
    assert inputs_digest({"a": 1}) != inputs_digest({"a": 2})
    expected = hashlib.sha256('{"a":[1,"é"],"b":1}'.encode()).hexdigest()
    assert inputs_digest({"b": 1, "a": [1, "é"]}) == expected


@pytest.mark.parametrize("payload", [{"x": float("nan")}, {"x": object()}])
def test_inputs_digest_rejects_non_json(payload: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="not plain JSON"):
        inputs_digest(payload)


# --- properties -----------------------------------------------------------------------------

answers_0_3 = st.integers(min_value=0, max_value=3)
intakes = st.fixed_dictionaries(
    {
        "phq9": st.lists(answers_0_3, min_size=9, max_size=9),
        "gad7": st.lists(answers_0_3, min_size=7, max_size=7),
        "cssrs": st.lists(st.integers(0, 1), min_size=7, max_size=7),
        "level": st.sampled_from(RISK_LEVEL_ORDER),
        "consent": st.booleans(),
    }
)


def _gad7(answers: list[int]) -> dict[str, Any]:
    score = gad7_total(sum(answers))
    score["answers"] = answers
    return score


def _propose_intake(intake: dict[str, Any]) -> TriageProposal:
    scores = {
        "phq9": phq9(intake["phq9"]),
        "gad7": _gad7(intake["gad7"]),
        "cssrs-screen": cssrs(intake["cssrs"]),
    }
    risk = reading(intake["level"], "words") if intake["consent"] else None
    return propose_triage(
        scores=scores, risk=risk, reader_consent=intake["consent"], ruleset=RULESET
    )


@st.composite
def worsened(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """An intake and the same intake with one risk input made worse."""
    before: dict[str, Any] = draw(intakes)
    after: dict[str, Any] = {
        key: list(value) if isinstance(value, list) else value for key, value in before.items()
    }
    what = draw(st.sampled_from(["phq9", "gad7", "cssrs", "level"]))
    if what == "level":
        rank = RISK_LEVEL_ORDER.index(before["level"])
        after["level"] = RISK_LEVEL_ORDER[draw(st.integers(rank, len(RISK_LEVEL_ORDER) - 1))]
    else:
        top = 1 if what == "cssrs" else 3
        index = draw(st.integers(0, len(before[what]) - 1))
        after[what][index] = draw(st.integers(before[what][index], top))
    return before, after


@settings(max_examples=300, deadline=None)
@given(worsened())
def test_urgency_never_decreases_when_risk_gets_worse(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = pair
    assert urgency_rank(_propose_intake(after).urgency) >= urgency_rank(
        _propose_intake(before).urgency
    )


@settings(max_examples=300, deadline=None)
@given(intakes)
def test_every_proposal_has_a_reason_a_pathway_and_the_winning_urgency(
    intake: dict[str, Any],
) -> None:
    proposal = _propose_intake(intake)
    assert len(proposal.reasons) >= 1
    assert all(reason.text and reason.source for reason in proposal.reasons)
    assert proposal.pathway in {pathway.id for pathway in RULESET.pathways}
    fired = [rule for rule in RULESET.rules if rule.id in proposal.fired_rules]
    top = max((urgency_rank(rule.urgency) for rule in fired), default=0)
    assert urgency_rank(proposal.urgency) == top
    assert proposal.needs_human_reading is (not intake["consent"])
    assert "{" not in " ".join(reason.text for reason in proposal.reasons)
