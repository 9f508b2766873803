"""Safety parity, written from the published sources: the same fact escalates the same way.

Each row is one intake: questionnaire answers by what the reader read in the client's words
(C-SSRS-shaped signals) by consent to the software reading by the organisation's country. It
names the lowest urgency the sources call for, a rule that must explain it, and the source.
Readings are built directly (as the reader's ``to_dict()`` gives them), so the rows test
triage, not the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alongside.instruments.scoring import score_instrument
from alongside.triage.crisis_resources import crisis_resources_for
from alongside.triage.engine import propose_triage
from alongside.triage.rule_changes import default_yaml_text
from alongside.triage.rulesets import builtin_rulesets, default_ruleset, urgency_rank

RULESET = default_ruleset()

CSSRS_HIGH = "Columbia C-SSRS Screen Version - Recent triage: yes to 4 or 5, or 6 within 3 months"
CSSRS_MOD = "Columbia C-SSRS Screen Version - Recent triage: yes to 3, or 6 over 3 months ago"
CSSRS_LOW = "Columbia C-SSRS Screen Version - Recent triage: yes to 1 or 2"
POSNER = "Posner et al. 2011 (C-SSRS behaviour: actual, interrupted, aborted attempts, preparation)"
NG225 = "NICE NG225 (2022): any self-harm calls for a psychosocial assessment"
KROENKE = "Kroenke, Spitzer & Williams 2001: PHQ-9 item 9 critical at any value >= 1"
PHQ9_BANDS = "Kroenke et al. 2001 bands; NHS Talking Therapies Manual 2023 stepped care"
CONSENT = "NICE NG225: a person assesses, software never decides alone; UK GDPR Art. 22 / ICO"
SAFEGUARD = "NICE NG225 (2022): safeguarding and involving families and carers"
EU112 = "European Commission: 112 is the emergency number across the EU"

ZEROS9 = [0] * 9
CSSRS_NO = [0, 0, 0, 0, 0, 0]


def signal(construct: str, recency: str = "current", subject: str = "self") -> dict[str, Any]:
    text = f"[{construct} {recency} {subject}]"
    return {
        "construct": construct,
        "recency": recency,
        "subject": subject,
        "start": 0,
        "end": len(text),
        "text": text,
    }


def reading(*signals: dict[str, Any], level: str = "low") -> dict[str, Any]:
    return {
        "level": level,
        "probability": 0.2,
        "evidence": [],
        "reasons": [],
        "versions": {"model": "test"},
        "signals": list(signals),
        "needs_human_reading": False,
        "language": "en",
    }


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    answers: dict[str, list[int]] = field(default_factory=dict)
    signals: tuple[dict[str, Any], ...] = ()
    consent: bool = True
    words: bool = True
    country: str = "US"
    lowest: str = "routine"
    highest: str = "crisis"
    rule: str | None = None
    pathway: str | None = None
    contacts: frozenset[str] = frozenset()
    not_contacts: frozenset[str] = frozenset()
    safeguarding: bool = False


def words(*signals: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return {"signals": signals, **kwargs}


CASES: list[Case] = [
    # --- the screener's answers (questionnaire path) -------------------------------------------
    Case(
        "cssrs-q4",
        CSSRS_HIGH,
        {"cssrs-screen": [1, 1, 0, 1, 0, 0]},
        lowest="crisis",
        rule="cssrs-q4-intent",
        contacts=frozenset({"988", "911"}),
    ),
    Case(
        "cssrs-q5",
        CSSRS_HIGH,
        {"cssrs-screen": [1, 1, 1, 0, 1, 0]},
        lowest="crisis",
        rule="cssrs-q5-plan",
    ),
    Case(
        "cssrs-q6-recent",
        CSSRS_HIGH,
        {"cssrs-screen": [0, 0, 0, 0, 0, 1, 1]},
        lowest="crisis",
        rule="cssrs-recent-behaviour",
    ),
    Case(
        "cssrs-q6-lifetime",
        CSSRS_MOD,
        {"cssrs-screen": [0, 0, 0, 0, 0, 1, 0]},
        lowest="urgent",
        highest="urgent",
        rule="cssrs-method-or-past-behaviour",
    ),
    Case(
        "cssrs-q3",
        CSSRS_MOD,
        {"cssrs-screen": [1, 1, 1, 0, 0, 0]},
        lowest="urgent",
        highest="urgent",
        rule="cssrs-method-or-past-behaviour",
    ),
    Case(
        "cssrs-q1",
        CSSRS_LOW,
        {"cssrs-screen": [1, 0, 0, 0, 0, 0]},
        lowest="urgent",
        highest="urgent",
        rule="cssrs-ideation",
    ),
    Case("cssrs-none", CSSRS_LOW, {"cssrs-screen": CSSRS_NO}, highest="routine"),
    Case(
        "phq9-item9",
        KROENKE,
        {"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]},
        lowest="urgent",
        rule="phq9-item9",
        pathway="urgent-risk-assessment",
    ),
    Case(
        "phq9-severe",
        PHQ9_BANDS,
        {"phq9": [3, 3, 3, 3, 3, 3, 2, 0, 0]},
        lowest="soon",
        highest="soon",
        rule="phq9-severe",
        pathway="high-intensity-therapy",
    ),
    Case(
        "phq9-zero", PHQ9_BANDS, {"phq9": ZEROS9}, highest="routine", pathway="routine-assessment"
    ),
    # --- the same facts in the client's words (parity) ----------------------------------------
    Case(
        "words-attempt-recent",
        CSSRS_HIGH + "; " + POSNER,
        {"phq9": ZEROS9},
        (signal("attempt", "recent"),),
        lowest="crisis",
        rule="words-recent-attempt",
        pathway="crisis-team",
        contacts=frozenset({"988", "911"}),
    ),
    Case(
        "words-attempt-unknown",
        CSSRS_HIGH + "; unknown recency read as recent",
        {"phq9": ZEROS9},
        (signal("attempt", "unknown"),),
        lowest="crisis",
        rule="words-recent-attempt",
    ),
    Case(
        "words-interrupted",
        POSNER,
        {},
        (signal("interrupted_attempt", "recent"),),
        lowest="crisis",
        rule="words-recent-attempt",
    ),
    Case(
        "words-aborted",
        POSNER,
        {},
        (signal("aborted_attempt", "current"),),
        lowest="crisis",
        rule="words-recent-attempt",
    ),
    Case(
        "words-preparation",
        POSNER + "; " + CSSRS_HIGH,
        {"phq9": ZEROS9},
        (signal("preparation", "current"),),
        lowest="crisis",
        rule="words-preparation",
    ),
    Case(
        "words-preparation-unknown",
        POSNER,
        {},
        (signal("preparation", "unknown"),),
        lowest="crisis",
        rule="words-preparation",
    ),
    Case(
        "words-method-and-intent",
        CSSRS_HIGH + " (question 4: intent)",
        {},
        (signal("method"), signal("intent")),
        lowest="crisis",
        rule="words-intent-or-plan",
    ),
    Case(
        "words-plan",
        CSSRS_HIGH + " (question 5: plan with intent)",
        {},
        (signal("plan"),),
        lowest="crisis",
        rule="words-intent-or-plan",
    ),
    Case(
        "words-method-only",
        CSSRS_MOD + " (question 3)",
        {},
        (signal("method"),),
        lowest="urgent",
        highest="urgent",
        rule="words-method",
    ),
    Case(
        "words-ideation",
        CSSRS_LOW + " (question 2)",
        {},
        (signal("ideation"),),
        lowest="urgent",
        highest="urgent",
        rule="words-suicidal-thoughts",
    ),
    Case(
        "words-wish-dead",
        CSSRS_LOW + " (question 1)",
        {},
        (signal("wish_dead"),),
        lowest="urgent",
        highest="urgent",
        rule="words-suicidal-thoughts",
    ),
    Case(
        "words-self-harm-current",
        NG225,
        {"phq9": ZEROS9},
        (signal("self_harm", "current"),),
        lowest="urgent",
        highest="urgent",
        rule="words-self-harm",
        pathway="self-harm-assessment",
    ),
    Case(
        "words-self-harm-recent",
        NG225,
        {},
        (signal("self_harm", "recent"),),
        lowest="urgent",
        rule="words-self-harm",
        pathway="self-harm-assessment",
    ),
    Case(
        "words-self-harm-past",
        NG225,
        {},
        (signal("self_harm", "past"),),
        lowest="soon",
        highest="soon",
        rule="words-past-self-harm",
        pathway="self-harm-assessment",
    ),
    Case(
        "words-past-attempt-with-distress",
        CSSRS_MOD + "; " + KROENKE,
        {"phq9": [2, 2, 2, 2, 1, 1, 1, 1, 1]},
        (signal("attempt", "past"),),
        lowest="urgent",
        highest="urgent",
        rule="words-past-attempt",
    ),
    Case(
        "words-past-attempt-resolved",
        CSSRS_MOD + " (question 6 not within 3 months)",
        {"phq9": ZEROS9},
        (signal("attempt", "past"),),
        lowest="soon",
        highest="urgent",
        rule="words-past-attempt",
    ),
    Case(
        "words-past-thoughts",
        CSSRS_LOW + " (outside the past-month frame)",
        {},
        (signal("ideation", "past"),),
        lowest="soon",
        highest="soon",
        rule="words-past-thoughts",
    ),
    Case(
        "words-self-harm-and-recent-attempt",
        CSSRS_HIGH + "; " + NG225,
        {},
        (signal("self_harm"), signal("attempt", "recent")),
        lowest="crisis",
        pathway="crisis-team",
    ),
    # --- someone else at risk: safeguarding, not a reading of the writer ---------------------
    Case(
        "other-attempt",
        SAFEGUARD,
        {"phq9": ZEROS9},
        (signal("attempt", "recent", "other"),),
        lowest="urgent",
        highest="urgent",
        rule="safeguarding-other-person",
        safeguarding=True,
    ),
    Case(
        "other-preparation",
        SAFEGUARD,
        {},
        (signal("preparation", "current", "other"),),
        lowest="urgent",
        highest="urgent",
        rule="safeguarding-other-person",
        safeguarding=True,
    ),
    Case(
        "other-and-self",
        SAFEGUARD + "; " + CSSRS_HIGH,
        {},
        (signal("plan", "current", "other"), signal("intent")),
        lowest="crisis",
        rule="safeguarding-other-person",
        safeguarding=True,
    ),
    # --- consent: declining never lowers priority --------------------------------------------
    Case(
        "declined-with-words",
        CONSENT,
        {"phq9": ZEROS9},
        consent=False,
        lowest="urgent",
        highest="urgent",
        rule="reader-declined-words",
    ),
    Case(
        "declined-signals-ignored",
        CONSENT,
        {"phq9": ZEROS9},
        (signal("attempt", "recent"),),
        consent=False,
        lowest="urgent",
        highest="urgent",
        rule="reader-declined-words",
    ),
    Case(
        "declined-no-words",
        CONSENT + " (nothing to read, nothing added)",
        {"phq9": ZEROS9},
        consent=False,
        words=False,
        highest="routine",
    ),
    Case(
        "declined-no-words-phq9-severe",
        PHQ9_BANDS,
        {"phq9": [3, 3, 3, 3, 3, 3, 2, 0, 0]},
        consent=False,
        words=False,
        lowest="soon",
        highest="soon",
        rule="phq9-severe",
    ),
    Case(
        "declined-with-cssrs-q4",
        CSSRS_HIGH + "; " + CONSENT,
        {"cssrs-screen": [1, 1, 0, 1, 0, 0]},
        consent=False,
        lowest="crisis",
        rule="cssrs-q4-intent",
    ),
    Case(
        "consented-no-signals",
        "no fact in the words: the instruments decide",
        {"phq9": ZEROS9},
        highest="routine",
    ),
    # --- countries: crisis resources for any clinic ------------------------------------------
    Case(
        "crisis-gb-eng",
        CSSRS_HIGH + "; NHS England 111 mental health option",
        {},
        (signal("attempt", "recent"),),
        country="GB-ENG",
        lowest="crisis",
        contacts=frozenset({"999", "111", "116 123", "85258"}),
        not_contacts=frozenset({"911", "988", "741741"}),
    ),
    Case(
        "crisis-gb-sct",
        "Breathing Space; NHS 24",
        {"cssrs-screen": [1, 1, 1, 1, 1, 0]},
        country="GB-SCT",
        lowest="crisis",
        contacts=frozenset({"999", "0800 83 85 87"}),
        not_contacts=frozenset({"911", "988"}),
    ),
    Case(
        "crisis-gb-wls",
        "NHS 111 Wales press 2; CALL",
        {},
        (signal("plan"),),
        country="GB-WLS",
        lowest="crisis",
        contacts=frozenset({"999", "0800 132 737"}),
    ),
    Case(
        "crisis-gb-nir",
        "Lifeline NI",
        {},
        (signal("preparation"),),
        country="GB-NIR",
        lowest="crisis",
        contacts=frozenset({"999", "0808 808 8000"}),
        not_contacts=frozenset({"111"}),
    ),
    Case(
        "crisis-ie",
        "Pieta; 50808; Samaritans Ireland",
        {},
        (signal("attempt", "recent"),),
        country="IE",
        lowest="crisis",
        contacts=frozenset({"1800 247 247", "50808"}),
    ),
    Case(
        "crisis-ca",
        "9-8-8 Suicide Crisis Helpline (Canada)",
        {},
        (signal("attempt", "recent"),),
        country="CA",
        lowest="crisis",
        contacts=frozenset({"988", "911"}),
        not_contacts=frozenset({"741741"}),
    ),
    Case(
        "crisis-au",
        "Lifeline Australia; Triple Zero",
        {},
        (signal("intent"),),
        country="AU",
        lowest="crisis",
        contacts=frozenset({"000", "13 11 14"}),
    ),
    Case(
        "crisis-nz",
        "1737; Lifeline Aotearoa",
        {},
        (signal("intent"),),
        country="NZ",
        lowest="crisis",
        contacts=frozenset({"111", "1737"}),
    ),
    Case(
        "crisis-fr",
        EU112,
        {"cssrs-screen": [1, 1, 0, 1, 0, 0]},
        country="FR",
        lowest="crisis",
        contacts=frozenset({"112"}),
        not_contacts=frozenset({"911", "999"}),
    ),
    Case(
        "crisis-jp",
        "no table entry: call your local emergency number",
        {},
        (signal("attempt", "recent"),),
        country="JP",
        lowest="crisis",
        contacts=frozenset({"Your local emergency number"}),
        not_contacts=frozenset({"911", "999", "112"}),
    ),
]


def _run(case: Case) -> tuple[Any, Any]:
    scores = {
        name: score_instrument(name, answers).to_dict() for name, answers in case.answers.items()
    }
    risk = reading(*case.signals) if case.consent else None
    proposal = propose_triage(
        scores=scores,
        risk=risk,
        reader_consent=case.consent,
        ruleset=RULESET,
        wrote_words=case.words,
    )
    resources = crisis_resources_for(case.country) if proposal.urgency == "crisis" else None
    return proposal, resources


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_parity_table(case: Case) -> None:
    assert case.source
    proposal, resources = _run(case)
    rank = urgency_rank(proposal.urgency)
    assert urgency_rank(case.lowest) <= rank <= urgency_rank(case.highest), proposal.fired_rules
    if case.rule is not None:
        assert case.rule in proposal.fired_rules
        reason = next(r for r in proposal.reasons if r.rule_id == case.rule)
        assert reason.source
        if case.rule.startswith("words-"):
            # Marked as read from the words, quoting the phrase behind it.
            assert reason.text.startswith("Read from the client's words: \"[")
    if case.pathway is not None:
        assert proposal.pathway == case.pathway
    assert proposal.safeguarding is case.safeguarding
    if proposal.urgency == "crisis":
        assert resources is not None
        assert resources.resources
        contacts = {r.contact for r in resources.resources}
        assert case.contacts <= contacts
        assert not case.not_contacts & contacts
    if not case.consent:
        assert proposal.needs_human_reading is case.words


def test_signals_about_someone_else_never_read_as_the_writer() -> None:
    proposal, _ = _run(CASES[[c.id for c in CASES].index("other-attempt")])
    assert "words-recent-attempt" not in proposal.fired_rules
    assert any(r.text.startswith("Safeguarding:") for r in proposal.reasons)


def test_the_old_ruleset_still_replays_as_it_was() -> None:
    old = builtin_rulesets()[("alongside-default", "1.0.0")]
    declined = propose_triage(scores={}, risk=None, reader_consent=False, ruleset=old)
    assert (declined.urgency, declined.fired_rules) == ("soon", ("reader-declined",))
    assert declined.versions["ruleset_version"] == "1.0.0"


# --- properties ------------------------------------------------------------------------------

CONSTRUCTS = [
    "wish_dead",
    "ideation",
    "method",
    "intent",
    "plan",
    "preparation",
    "attempt",
    "interrupted_attempt",
    "aborted_attempt",
    "self_harm",
]
signals_strategy = st.lists(
    st.builds(
        signal,
        st.sampled_from(CONSTRUCTS),
        st.sampled_from(["current", "recent", "past", "unknown"]),
        st.sampled_from(["self", "other"]),
    ),
    max_size=4,
)
phq9_strategy = st.lists(st.integers(0, 3), min_size=9, max_size=9)
cssrs_strategy = st.one_of(
    st.just(CSSRS_NO),
    st.lists(st.integers(0, 1), min_size=6, max_size=6).map(lambda a: [*a, 1] if a[5] else a),
)


def _urgency(
    phq9: list[int], cssrs: list[int], risk: dict[str, Any] | None, consent: bool, wrote: bool
) -> int:
    scores = {
        "phq9": score_instrument("phq9", phq9).to_dict(),
        "cssrs-screen": score_instrument("cssrs-screen", cssrs).to_dict(),
    }
    proposal = propose_triage(
        scores=scores, risk=risk, reader_consent=consent, ruleset=RULESET, wrote_words=wrote
    )
    return urgency_rank(proposal.urgency)


@settings(max_examples=300, deadline=None)
@given(phq9_strategy, cssrs_strategy, signals_strategy, st.booleans())
def test_declining_the_reader_never_lowers_urgency(
    phq9: list[int], cssrs: list[int], signals: list[dict[str, Any]], wrote: bool
) -> None:
    consented = _urgency(phq9, cssrs, reading(*signals), True, wrote or bool(signals))
    declined = _urgency(phq9, cssrs, None, False, wrote or bool(signals))
    # Words the reader would have read are words a person reads within the urgent target.
    if signals or wrote:
        assert declined >= min(consented, urgency_rank("urgent"))
        assert declined >= urgency_rank("urgent")
    else:
        assert declined >= _urgency(phq9, cssrs, reading(), True, False)


@settings(max_examples=300, deadline=None)
@given(phq9_strategy, cssrs_strategy, signals_strategy, signals_strategy)
def test_adding_risk_signals_never_lowers_urgency(
    phq9: list[int], cssrs: list[int], some: list[dict[str, Any]], more: list[dict[str, Any]]
) -> None:
    before = _urgency(phq9, cssrs, reading(*some), True, True)
    after = _urgency(phq9, cssrs, reading(*some, *more), True, True)
    assert after >= before


# --- what a clinician reads cites published guidance only ----------------------------------

INTERNAL = re.compile(
    r"DESIGN\.md|CLINICAL-SOURCES|CONVENTIONS\.md|\bissue\s*#?\d+|invariant", re.I
)


def test_rendered_proposals_and_rules_cite_no_internal_documents() -> None:
    shown: list[str] = [default_yaml_text()]
    for pathway in RULESET.pathways:
        shown += [pathway.label, pathway.source]
    shown += [RULESET.fallback.reason, RULESET.fallback.source]
    for rule in RULESET.rules:
        shown += [rule.reason, rule.source]
    for case in CASES:
        proposal, resources = _run(case)
        shown += [f"{reason.text} {reason.source}" for reason in proposal.reasons]
        if resources is not None:
            shown += [f"{r.name} {r.how} {r.source}" for r in resources.resources]
    leaks = [text for text in shown if INTERNAL.search(text)]
    assert leaks == []
    # Positive control: the scan finds what the 1.0.0 ruleset said.
    old = builtin_rulesets()[("alongside-default", "1.0.0")]
    assert INTERNAL.search(old.fallback.source)
