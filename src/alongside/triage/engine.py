"""The triage engine: scores and a risk reading in, a proposal with checkable reasons out.

Pure and deterministic: plain mappings in (the shapes of ``ScoreResult.to_dict()`` and
``RiskReading.to_dict()``), a frozen proposal out; no database, settings or clock.

How a proposal is made:

* every rule whose condition holds *fires*; the proposal's urgency is the highest urgency
  among fired rules (``crisis`` > ``urgent`` > ``soon`` > ``routine``), ``routine`` if none;
* the pathway is the fired rules' pathway that comes first in the ruleset's ``pathways``
  list (safety first, then the most intensive step of care indicated); the other indicated
  pathways are kept in ``alternative_pathways`` for the clinician; when no fired rule names
  a pathway, the ruleset's fallback pathway is used and its reason is added;
* reasons are listed most urgent first, so a clinician reads the deciding ones first.

Fail closed (invariant 2): when the client consented but there is no reading, the reading's
evidence says ``reader_unavailable``, or its level is not one the engine knows, the intake
counts as *reader unavailable* — never as "no risk" — and the reading's level (the reader's
fail-closed placeholder) is not presented as a reading of the client's words.

A proposal only orders the work: every proposal goes to a clinician whatever its urgency
(invariant 9).
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alongside.errors import InvalidInput
from alongside.triage.rulesets import (
    RISK_LEVEL_ORDER,
    URGENCY_ORDER,
    AllCondition,
    AnyCondition,
    Condition,
    CssrsRecentBehaviourCondition,
    FlagCondition,
    InstrumentCondition,
    OwnWordsCondition,
    ReaderDeclinedCondition,
    ReaderNeedsPersonCondition,
    ReaderUnavailableCondition,
    RiskLevelCondition,
    RiskSignalCondition,
    Rule,
    Ruleset,
    TriageInputs,
    Urgency,
    risk_level_rank,
    urgency_rank,
)

READER_UNAVAILABLE = "reader_unavailable"
CRITICAL_ITEM = "critical_item"
_NOT_PHRASES = frozenset({READER_UNAVAILABLE, CRITICAL_ITEM})
NOT_ANSWERED = "not answered"
FALLBACK_RULE_ID = "fallback"
# The C-SSRS screener flags question 6 (behaviour); its follow-up ("within the past three
# months?") is the seventh answer.
CSSRS_BEHAVIOUR_FLAG = "cssrs-q6"
CSSRS_RECENT_ANSWER_INDEX = 6


class Reason(BaseModel):
    """Why a rule fired, in words a clinician can check against the answers and the text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    text: str
    source: str
    urgency: Urgency


class TriageProposal(BaseModel):
    """A triage proposal: urgency, pathway and reasons, for a clinician to decide on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urgency: Urgency
    pathway: str
    alternative_pathways: tuple[str, ...]
    reasons: tuple[Reason, ...] = Field(min_length=1)
    fired_rules: tuple[str, ...]
    versions: Mapping[str, str]
    needs_human_reading: bool
    # A rule marked as safeguarding fired: the words describe someone else at risk.
    safeguarding: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return self.model_dump(mode="json")


class _ScoreIn(BaseModel):
    """The parts of a score the rules look at; other keys are carried but not read."""

    model_config = ConfigDict(extra="allow", frozen=True)

    total: int | float | None = None
    severity: str | None = None
    flags: tuple[str, ...] = ()
    answers: tuple[int | None, ...] = ()


class _EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    text: str = ""
    signal: str = ""


class _SignalIn(BaseModel):
    """One C-SSRS-shaped signal as the reader stores it (see the reader's ``RiskSignal``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    # Stored as "construct" (the C-SSRS word); BaseModel reserves that name.
    kind: str = Field(alias="construct")
    recency: str = "unknown"
    subject: str = "self"
    text: str = ""


class _RiskIn(BaseModel):
    """The parts of a risk reading the rules look at."""

    model_config = ConfigDict(extra="allow", frozen=True)

    level: str | None = None
    probability: float | None = None
    evidence: tuple[_EvidenceIn, ...] = ()
    # Old stored readings have no signals: they count as none (the level still applies).
    signals: tuple[_SignalIn, ...] = ()
    needs_human_reading: bool = False


@dataclass(frozen=True)
class _Facts:
    """What the conditions are evaluated against, derived once per proposal."""

    scores: Mapping[str, _ScoreIn]
    flags: frozenset[str]
    cssrs_recent: bool
    risk_level: str | None
    reader_declined: bool
    reader_unavailable: bool
    risk: _RiskIn | None
    wrote_words: bool
    signals: tuple[_SignalIn, ...] = ()
    reader_needs_person: bool = False


def inputs_digest(payload: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``payload``: sorted keys, no spaces, UTF-8."""
    try:
        canonical = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"triage inputs are not plain JSON data: {error}") from error
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _parse_scores(scores: Mapping[str, Mapping[str, Any]]) -> dict[str, _ScoreIn]:
    parsed: dict[str, _ScoreIn] = {}
    for instrument, score in scores.items():
        try:
            parsed[instrument] = _ScoreIn.model_validate(score)
        except ValidationError as error:
            raise InvalidInput(f"score for {instrument!r} is malformed: {error}") from error
    return parsed


def _cssrs_recent(scores: Mapping[str, _ScoreIn]) -> bool:
    """C-SSRS question 6 yes and within three months; an unanswered follow-up counts as recent."""
    for score in scores.values():
        if CSSRS_BEHAVIOUR_FLAG not in score.flags:
            continue
        answers = score.answers
        # Fail closed: behaviour with an unknown date is treated as recent, as the screener's
        # triage guidance treats recent behaviour as high risk.
        if len(answers) <= CSSRS_RECENT_ANSWER_INDEX or answers[CSSRS_RECENT_ANSWER_INDEX] != 0:
            return True
    return False


def _facts(
    scores: Mapping[str, Mapping[str, Any]],
    risk: Mapping[str, Any] | None,
    reader_consent: bool,
    wrote_words: bool | None,
) -> _Facts:
    parsed = _parse_scores(scores)
    flags = frozenset(flag for score in parsed.values() for flag in score.flags)
    reading: _RiskIn | None = None
    unavailable = False
    if reader_consent:
        if risk is None:
            unavailable = True
        else:
            try:
                reading = _RiskIn.model_validate(risk)
            except ValidationError:
                # A reading we cannot understand is no reading: fail closed.
                reading = None
                unavailable = True
            else:
                unavailable = reading.level not in RISK_LEVEL_ORDER or any(
                    item.signal == READER_UNAVAILABLE for item in reading.evidence
                )
    # Without consent any reading passed in is ignored: the client's words were not for it.
    # An unavailable reader's level is a fail-closed placeholder, not a reading of the words,
    # so it is not reported as one; the reader-unavailable rule sets the urgency instead.
    level = reading.level if reading is not None and not unavailable else None
    # Signals are facts read from the words even when the reading as a whole is flagged for a
    # person: a recent attempt found in the text escalates whatever else went wrong.
    signals = reading.signals if reading is not None else ()
    return _Facts(
        scores=parsed,
        flags=flags,
        cssrs_recent=_cssrs_recent(parsed),
        risk_level=level,
        reader_declined=not reader_consent,
        reader_unavailable=unavailable,
        risk=reading if level is not None else None,
        # Unknown (inputs stored before this was recorded) counts as written: fail closed.
        wrote_words=True if wrote_words is None else wrote_words,
        signals=signals,
        reader_needs_person=reading is not None and reading.needs_human_reading,
    )


def _instrument_holds(condition: InstrumentCondition, facts: _Facts) -> bool:
    score = facts.scores.get(condition.instrument)
    if score is None:
        return False
    if condition.item is not None and condition.gte is not None:
        index = condition.item - 1
        answer = score.answers[index] if index < len(score.answers) else None
        if answer is None or answer < condition.gte:
            return False
    if condition.total_gte is not None or condition.total_lte is not None:
        if score.total is None:
            return False
        if condition.total_gte is not None and score.total < condition.total_gte:
            return False
        if condition.total_lte is not None and score.total > condition.total_lte:
            return False
    if condition.severity_in is not None and score.severity not in condition.severity_in:
        return False
    return True


def _matching_signals(condition: RiskSignalCondition, facts: _Facts) -> list[_SignalIn]:
    match = condition.risk_signal
    return [
        signal
        for signal in facts.signals
        if signal.kind in match.constructs
        and (match.recency is None or signal.recency in match.recency)
        and signal.subject == match.subject
    ]


def _signals_behind(condition: Condition, facts: _Facts) -> list[_SignalIn]:
    """The signals that made a (holding) condition hold, for the reason to quote."""
    match condition:
        case RiskSignalCondition():
            return _matching_signals(condition, facts)
        case AnyCondition(any=parts) | AllCondition(all=parts):
            return [
                signal
                for part in parts
                if _holds(part, facts)
                for signal in _signals_behind(part, facts)
            ]
    return []


def _holds(condition: Condition, facts: _Facts) -> bool:
    """Evaluate one structured condition; there is no other way for a rule to run."""
    match condition:
        case InstrumentCondition():
            return _instrument_holds(condition, facts)
        case FlagCondition(flag=flag):
            return flag in facts.flags
        case CssrsRecentBehaviourCondition():
            return facts.cssrs_recent
        case RiskLevelCondition(risk_level_at_least=threshold):
            return facts.risk_level is not None and risk_level_rank(
                facts.risk_level
            ) >= risk_level_rank(threshold)
        case ReaderDeclinedCondition():
            return facts.reader_declined
        case ReaderUnavailableCondition():
            return facts.reader_unavailable
        case RiskSignalCondition():
            return bool(_matching_signals(condition, facts))
        case OwnWordsCondition():
            return facts.wrote_words
        case ReaderNeedsPersonCondition():
            return facts.reader_needs_person
        case AnyCondition(any=parts):
            return any(_holds(part, facts) for part in parts)
        case AllCondition(all=parts):
            return all(_holds(part, facts) for part in parts)
    raise AssertionError(f"unhandled condition {condition!r}")  # pragma: no cover


def _template_context(facts: _Facts, ruleset: Ruleset) -> dict[str, str]:
    """The values a reason template may show: scores, items with their answer labels, risk."""
    context: dict[str, str] = {}
    for instrument, score in facts.scores.items():
        prefix = instrument.replace("-", "_")
        labels = ruleset.answer_labels.get(instrument, ())
        if score.total is not None:
            context[f"{prefix}_total"] = f"{score.total:g}"
        if score.severity is not None:
            context[f"{prefix}_severity"] = score.severity
        for number, answer in enumerate(score.answers, start=1):
            if answer is None:
                continue
            context[f"{prefix}_item{number}"] = str(answer)
            if 0 <= answer < len(labels):
                context[f"{prefix}_item{number}_label"] = labels[answer]
    if facts.risk is not None:
        context["risk_level"] = facts.risk.level or ""
        if facts.risk.probability is not None:
            context["risk_probability"] = f"{facts.risk.probability:.2f}"
        # Phrases from the client's words and instrument items are told apart, so a flag name
        # is never quoted as if the client had written it.
        phrases = [
            f'"{item.text}"'
            for item in facts.risk.evidence
            if item.text and item.signal not in _NOT_PHRASES
        ]
        items = [item.text for item in facts.risk.evidence if item.signal == CRITICAL_ITEM]
        context["risk_evidence"] = ", ".join(phrases) if phrases else "no phrase highlighted"
        context["risk_items"] = ", ".join(items) if items else "none"
    return context


def render_reason(template: str, context: Mapping[str, str]) -> str:
    """Fill a reason template's plain-name fields; a missing value reads "not answered"."""
    parts: list[str] = []
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(literal)
        if field is not None:
            parts.append(context.get(field, NOT_ANSWERED))
    return "".join(parts)


def _reason(rule: Rule, context: Mapping[str, str], facts: _Facts) -> Reason:
    quoted: list[str] = []
    for signal in _signals_behind(rule.when, facts):
        phrase = f'"{signal.text}"' if signal.text else f"({signal.kind})"
        if phrase not in quoted:
            quoted.append(phrase)
    rule_context = {**context, "signal_phrases": ", ".join(quoted) or "no phrase highlighted"}
    return Reason(
        rule_id=rule.id,
        text=render_reason(rule.reason, rule_context),
        source=rule.source,
        urgency=rule.urgency,
    )


def propose_triage(
    *,
    scores: Mapping[str, Mapping[str, Any]],
    risk: Mapping[str, Any] | None,
    reader_consent: bool,
    ruleset: Ruleset,
    wrote_words: bool | None = None,
) -> TriageProposal:
    """Propose an urgency, a pathway and reasons for one intake under ``ruleset``.

    ``wrote_words`` says whether the client wrote words of their own; ``None`` (not known, as
    on inputs stored before it was recorded) counts as written, so a person reads them.
    """
    facts = _facts(scores, risk, reader_consent, wrote_words)
    fired = [rule for rule in ruleset.rules if _holds(rule.when, facts)]
    urgency: Urgency = URGENCY_ORDER[max((urgency_rank(rule.urgency) for rule in fired), default=0)]
    indicated = sorted(
        {rule.pathway for rule in fired if rule.pathway is not None}, key=ruleset.pathway_rank
    )
    context = _template_context(facts, ruleset)
    # Stable sort: among equally urgent rules the ruleset's own order is kept.
    reasons = [
        _reason(rule, context, facts)
        for rule in sorted(fired, key=lambda rule: -urgency_rank(rule.urgency))
    ]
    if indicated:
        pathway = indicated[0]
    else:
        pathway = ruleset.fallback.pathway
        reasons.append(
            Reason(
                rule_id=FALLBACK_RULE_ID,
                text=ruleset.fallback.reason,
                source=ruleset.fallback.source,
                urgency="routine",
            )
        )
    return TriageProposal(
        urgency=urgency,
        pathway=pathway,
        alternative_pathways=tuple(indicated[1:]),
        reasons=tuple(reasons),
        fired_rules=tuple(rule.id for rule in fired),
        versions=ruleset.versions,
        # Declining with no words written leaves nothing for a person to read.
        needs_human_reading=(facts.reader_declined and facts.wrote_words)
        or facts.reader_unavailable
        or facts.reader_needs_person,
        safeguarding=any(rule.safeguarding for rule in fired),
    )


def propose_triage_for(inputs: TriageInputs, ruleset: Ruleset) -> TriageProposal:
    """Propose triage for stored inputs (replay of a past intake, or a ruleset preview)."""
    return propose_triage(
        scores=inputs.scores,
        risk=inputs.risk,
        reader_consent=inputs.reader_consent,
        ruleset=ruleset,
        wrote_words=inputs.wrote_words,
    )
