"""What a new ruleset version would change: past intakes replayed under both versions, and
the same in a clinical lead's words (:func:`preview_in_words`).

Pure: no database, no settings, no clock. It uses the engine and the rulesets; neither of
them imports it (the engine and the rulesets no longer import each other both ways).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alongside.errors import InvalidInput
from alongside.instruments.library import get_instrument
from alongside.triage.engine import READER_UNAVAILABLE, inputs_digest, propose_triage_for
from alongside.triage.rulesets import (
    PreviewChange,
    PreviewResult,
    Ruleset,
    TriageInputs,
    urgency_rank,
)
from alongside.triage.wording import flag_words, urgency_words


def _summary(total: int, counts: Mapping[str, int]) -> str:
    """One sentence a clinical lead can read before activating a version."""

    def intakes(count: int) -> str:
        return f"{count} intake" if count == 1 else f"{count} intakes"

    return (
        f"Of {intakes(total)}: {counts['urgency_changed']} would change urgency "
        f"({counts['raised']} up, {counts['lowered']} down); "
        f"{counts['left_crisis']} would leave crisis; "
        f"{counts['entered_crisis']} would enter crisis; "
        f"{counts['pathway_changed']} would change pathway."
    )


def preview_change(
    old: Ruleset, new: Ruleset, past_inputs: Sequence[TriageInputs]
) -> PreviewResult:
    """Replay past intakes under both versions and report what the new one would change."""
    changes: list[PreviewChange] = []
    counts = dict.fromkeys(
        (
            "urgency_changed",
            "raised",
            "lowered",
            "left_crisis",
            "entered_crisis",
            "pathway_changed",
        ),
        0,
    )
    for index, inputs in enumerate(past_inputs):
        before = propose_triage_for(inputs, old)
        after = propose_triage_for(inputs, new)
        old_rank, new_rank = urgency_rank(before.urgency), urgency_rank(after.urgency)
        if old_rank != new_rank:
            counts["urgency_changed"] += 1
            counts["raised" if new_rank > old_rank else "lowered"] += 1
        if before.urgency == "crisis" and after.urgency != "crisis":
            counts["left_crisis"] += 1
        if before.urgency != "crisis" and after.urgency == "crisis":
            counts["entered_crisis"] += 1
        if before.pathway != after.pathway:
            counts["pathway_changed"] += 1
        if old_rank != new_rank or before.pathway != after.pathway:
            changes.append(
                PreviewChange(
                    index=index,
                    ref=inputs.ref,
                    inputs_digest=inputs_digest(inputs.model_dump(mode="json", exclude={"ref"})),
                    old_urgency=before.urgency,
                    new_urgency=after.urgency,
                    old_pathway=before.pathway,
                    new_pathway=after.pathway,
                    old_fired_rules=before.fired_rules,
                    new_fired_rules=after.fired_rules,
                )
            )
    return PreviewResult(
        old_versions=old.versions,
        new_versions=new.versions,
        total=len(past_inputs),
        changes=tuple(changes),
        summary=_summary(len(past_inputs), counts),
        **counts,
    )


@dataclass(frozen=True)
class Move:
    """How many proposals would move from one urgency (or pathway) to another."""

    before: str
    after: str
    count: int
    direction: str  # "more urgent", "less urgent" or "" (pathways)


@dataclass(frozen=True)
class PreviewExample:
    """One past intake whose proposal would change, in clinicians' words: what it held, not
    whose it was (no name, no id; the rules that fired go behind a details disclosure)."""

    intake: str
    before: str
    after: str
    rules_before: str
    rules_after: str


@dataclass(frozen=True)
class PreviewWords:
    """A preview as a clinical lead reads it before activating a version."""

    total: int
    changed: int
    headline: str
    urgency_moves: tuple[Move, ...]
    pathway_moves: tuple[Move, ...]
    crisis: str
    examples: tuple[PreviewExample, ...]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _pathway_label(ruleset: Ruleset, pathway: str) -> str:
    return next((p.label for p in ruleset.pathways if p.id == pathway), pathway)


def _instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).short_name
    except InvalidInput:
        return instrument_id


def describe_inputs(inputs: TriageInputs) -> str:
    """What a past intake held, as a clinician would summarise it: scores with their bands,
    critical answers, and what was read (or not) in the client's words."""
    parts: list[str] = []
    flags: list[str] = []
    for instrument_id, score in inputs.scores.items():
        total, band = score.get("total"), score.get("severity")
        if total is not None:
            name = _instrument_name(instrument_id)
            parts.append(f"{name} {total}" + (f" ({band})" if band else ""))
        flags.extend(str(flag) for flag in score.get("flags") or [])
    parts.extend(flag_words(flag) for flag in dict.fromkeys(flags))
    risk = inputs.risk
    if inputs.reader_consent and isinstance(risk, Mapping):
        evidence = risk.get("evidence") or []
        if any(isinstance(e, Mapping) and e.get("signal") == READER_UNAVAILABLE for e in evidence):
            parts.append("their words could not be read by software")
        else:
            parts.append(f"risk read in their words: {risk.get('level', 'unknown')}")
    elif inputs.wrote_words is not False and not inputs.reader_consent:
        parts.append("wrote in their own words (software reading declined)")
    return "; ".join(parts) or "no scores stored"


def _proposal_words(ruleset: Ruleset, urgency: str, pathway: str) -> str:
    return f"{urgency_words(urgency)}, {_pathway_label(ruleset, pathway)}"


def preview_in_words(
    result: PreviewResult,
    past_inputs: Sequence[TriageInputs],
    old: Ruleset,
    new: Ruleset,
    *,
    examples: int = 5,
) -> PreviewWords:
    """The preview in words: how many would change, in which direction, and a few examples
    (one of each kind of change first, so the examples show the range of what moves)."""
    urgency_moves: Counter[tuple[str, str]] = Counter()
    pathway_moves: Counter[tuple[str, str]] = Counter()
    for change in result.changes:
        if change.old_urgency != change.new_urgency:
            urgency_moves[(change.old_urgency, change.new_urgency)] += 1
        if change.old_pathway != change.new_pathway:
            pathway_moves[(change.old_pathway, change.new_pathway)] += 1
    changed = len(result.changes)
    of = _count(result.total, "intake", "intakes")
    if not result.total:
        headline = "There are no past intakes to replay yet."
    elif not changed:
        headline = f"Of the last {of}, none would get a different proposal."
    else:
        headline = (
            f"Of the last {of}, {changed} would get a different proposal: "
            f"{result.urgency_changed} a different urgency ({result.raised} more urgent, "
            f"{result.lowered} less urgent) and {result.pathway_changed} a different pathway."
        )
    crisis = ""
    if result.left_crisis or result.entered_crisis:
        crisis = (
            f"{_count(result.left_crisis, 'intake', 'intakes')} would no longer be crisis; "
            f"{_count(result.entered_crisis, 'intake', 'intakes')} would become crisis "
            "(a crisis proposal alerts the clinician on call)."
        )
    urgency_rows = tuple(
        Move(
            urgency_words(before),
            urgency_words(after),
            count,
            "more urgent" if urgency_rank(after) > urgency_rank(before) else "less urgent",
        )
        for (before, after), count in urgency_moves.most_common()
    )
    pathway_rows = tuple(
        Move(_pathway_label(old, before), _pathway_label(new, after), count, "")
        for (before, after), count in pathway_moves.most_common()
    )
    # One example of each kind of change first, then more of the commonest.
    chosen: list[PreviewChange] = []
    kinds: set[tuple[str, str, str, str]] = set()
    for change in result.changes:
        kind = (change.old_urgency, change.new_urgency, change.old_pathway, change.new_pathway)
        if kind not in kinds and len(chosen) < examples:
            kinds.add(kind)
            chosen.append(change)
    for change in result.changes:
        if len(chosen) >= examples:
            break
        if change not in chosen:
            chosen.append(change)
    shown = tuple(
        PreviewExample(
            intake=describe_inputs(past_inputs[change.index])
            if 0 <= change.index < len(past_inputs)
            else "",
            before=_proposal_words(old, change.old_urgency, change.old_pathway),
            after=_proposal_words(new, change.new_urgency, change.new_pathway),
            rules_before=", ".join(change.old_fired_rules) or "none",
            rules_after=", ".join(change.new_fired_rules) or "none",
        )
        for change in chosen
    )
    return PreviewWords(
        total=result.total,
        changed=changed,
        headline=headline,
        urgency_moves=urgency_rows,
        pathway_moves=pathway_rows,
        crisis=crisis,
        examples=shown,
    )
