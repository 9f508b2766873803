"""What a new ruleset version would change: past intakes replayed under both versions.

Pure: no database, no settings, no clock. It uses the engine and the rulesets; neither of
them imports it (the engine and the rulesets no longer import each other both ways).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alongside.triage.engine import inputs_digest, propose_triage_for
from alongside.triage.rulesets import (
    PreviewChange,
    PreviewResult,
    Ruleset,
    TriageInputs,
    urgency_rank,
)


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
