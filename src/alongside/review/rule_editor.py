"""The clinical lead's rule editor: a new version from the form for the common changes, what a
version would change (in words, line by line, and over the last intakes), and activation with
a reason.

The review-wait targets are part of the rules: the active version's own, or Alongside's
defaults when it sets none (:func:`alongside.triage.rule_changes.wait_targets_in_force`). The
queue, the waitlist, the dashboard and oversight measure against them, and nothing else stores
them, so changing them means activating a version here, with a reason, like any rule change.

The triage side (:mod:`alongside.triage.rule_changes`) stores, previews and activates
versions; this service puts together what the pages need, so a page or the API calls one
function per use case.

API
---
- :func:`new_version_form` ``(session, *, actor) -> EditorState``: the form filled from the
  active version (with the wait targets in force).
- :func:`save_from_form` ``(session, *, user, actor, posted, now) -> RulesetVersion``: raises
  :class:`FormNotSaved` (422) with the problems in words and the form to show again.
- :func:`version_view` ``(session, *, user, actor, version_id, last_n, now) -> VersionView``.
- :func:`activate` ``(session, *, user, actor, version_id, reason, confirmed, now) ->
  RulesetVersion``: refused (422) without a reason, or, from a page, without the box ticked
  that names the version.
- :func:`rules_overview` ``(session, *, actor) -> RulesOverview``.

Only the clinical lead (``rules.edit``) may use any of it; others get 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput
from alongside.models import RulesetActivation, RulesetVersion, User
from alongside.security.policy import Actor
from alongside.triage import rule_changes
from alongside.triage.preview import PreviewWords
from alongside.triage.rule_form import (
    FORM_PREFIXES,
    DiffLine,
    RuleForm,
    apply_form,
    describe_changes,
    line_diff,
    rule_form,
    suggest_version,
    wait_target_changes,
)
from alongside.triage.rule_problems import Problem, RulesetProblems
from alongside.triage.rulesets import load_ruleset

WAS = "was|"


@dataclass(frozen=True)
class EditorState:
    """What the form shows: its fields, the values in them, the values it was filled with
    (posted back, so only what the lead changed is written), the YAML and the note."""

    form: RuleForm
    shown: Mapping[str, str]
    was: Mapping[str, str]
    yaml_text: str
    note: str
    active: str


class FormNotSaved(InvalidInput):
    """The new version was not saved: the problems, and the form to show again."""

    def __init__(self, problems: Sequence[Problem], state: EditorState) -> None:
        super().__init__(" ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)
        self.state = state


def _wait_hours(session: Session, organization_id: uuid.UUID) -> dict[str, float]:
    return rule_changes.wait_targets_in_force(session, organization_id).hours


def _taken_versions(session: Session, actor: Actor) -> set[str]:
    return {summary.version for summary in rule_changes.list_versions(session, actor=actor)}


def _state(
    session: Session,
    actor: Actor,
    *,
    yaml_text: str,
    version: str,
    shown: Mapping[str, str] | None = None,
    was: Mapping[str, str] | None = None,
    note: str = "",
) -> EditorState:
    wait_hours = _wait_hours(session, actor.organization_id)
    form = rule_form(yaml_text, wait_hours=wait_hours, version=version)
    if not form.rules:  # the YAML cannot be read: the fields come from the active version
        active_text = rule_changes.active_yaml_text(session, actor.organization_id)
        form = rule_form(active_text, wait_hours=wait_hours, version=version)
    filled = form.values()
    return EditorState(
        form=form,
        shown={**filled, **(shown or {})},
        was={**filled, **(was or {})},
        yaml_text=yaml_text,
        note=note,
        active=rule_changes.active_label(session, actor.organization_id),
    )


def new_version_form(session: Session, *, actor: Actor) -> EditorState:
    """The form for a new version, filled from the active version with a new version number."""
    rule_changes.require_rules_edit(actor)
    text = rule_changes.active_yaml_text(session, actor.organization_id)
    current = load_ruleset(text).version
    version = suggest_version(current, _taken_versions(session, actor))
    return _state(session, actor, yaml_text=text, version=version)


def save_from_form(
    session: Session, *, user: User, actor: Actor, posted: Mapping[str, str], now: datetime
) -> RulesetVersion:
    """Write the form's changed values into the YAML and store the new version (inactive)."""
    rule_changes.require_rules_edit(actor)
    text = posted.get("yaml_text") or rule_changes.active_yaml_text(session, actor.organization_id)
    # Browsers send textarea lines ending in CRLF; the stored YAML keeps the file's LF.
    text = text.replace("\r\n", "\n")
    note = posted.get("note", "")
    # Without a version field (a post of the YAML alone), the YAML's own version stands.
    posted_version = posted.get("version")
    version = "" if posted_version is None else posted_version.strip()
    values = {k: v for k, v in posted.items() if k.startswith(FORM_PREFIXES)}
    was = {k.removeprefix(WAS): v for k, v in posted.items() if k.startswith(WAS)}
    try:
        final = apply_form(text, values, was, version=posted_version)
    except RulesetProblems as problems:
        state = _state(
            session, actor, yaml_text=text, version=version, shown=values, was=was, note=note
        )
        raise FormNotSaved(problems.problems, state) from problems
    try:
        return rule_changes.create_version(
            session, user=user, actor=actor, yaml_text=final, note=note, now=now
        )
    except RulesetProblems as problems:
        found: Sequence[Problem] = problems.problems
    except (Conflict, InvalidInput) as error:
        found = [Problem(None, error.message)]
    # The changed values are in the YAML shown again now: the form starts from it.
    state = _state(
        session, actor, yaml_text=final, version=version, shown=values, was=values, note=note
    )
    raise FormNotSaved(found, state)


@dataclass(frozen=True)
class VersionView:
    """One version against the active one: in words, line by line, and over past intakes."""

    row: RulesetVersion
    active: str
    changes: list[str]
    diff: list[DiffLine]
    added: int
    removed: int
    preview: PreviewWords | None
    last_n: int
    sets_wait_targets: bool
    # Hours to first review by urgency while this version is active (its own or the defaults).
    wait_hours: dict[str, float]


def version_view(
    session: Session,
    *,
    user: User,
    actor: Actor,
    version_id: uuid.UUID,
    last_n: int,
    now: datetime,
) -> VersionView:
    """What this version changes against the active one, and its preview (none for the
    active version itself)."""
    row = rule_changes.get_version(session, actor=actor, version_id=version_id)
    ruleset = load_ruleset(row.yaml_text)
    active_text = rule_changes.active_yaml_text(session, actor.organization_id)
    active = load_ruleset(active_text)
    changes = describe_changes(active, ruleset)
    own = ruleset.wait_targets is not None
    changes += wait_target_changes(
        ruleset.wait_hours(), _wait_hours(session, actor.organization_id), own=own
    )
    diff = line_diff(active_text, row.yaml_text)
    preview = None
    if not row.is_active:
        preview = rule_changes.preview_version_in_words(
            session, user=user, actor=actor, version_id=row.id, last_n=last_n, now=now
        )
    return VersionView(
        row=row,
        active=rule_changes.active_label(session, actor.organization_id),
        changes=changes,
        diff=diff,
        added=sum(line.kind == "added" for line in diff),
        removed=sum(line.kind == "removed" for line in diff),
        preview=preview,
        last_n=last_n,
        sets_wait_targets=own,
        wait_hours=ruleset.wait_hours(),
    )


def activate(
    session: Session,
    *,
    user: User,
    actor: Actor,
    version_id: uuid.UUID,
    reason: str | None,
    confirmed: str | None,
    require_confirmation: bool,
    now: datetime,
) -> RulesetVersion:
    """Make the version active for new intakes, with the lead's reason (required) and, from a
    page, the tick confirming this version (``confirmed`` is the version the box names). Its
    wait targets come into force with it; when they differ from the ones before, the
    activation records them (in minutes)."""
    row = rule_changes.get_version(session, actor=actor, version_id=version_id)
    messages: list[str] = []
    try:
        rule_changes.clean_reason(reason)
    except InvalidInput as error:
        messages.append(error.message)
    if require_confirmation and (confirmed or "").strip() != row.version:
        messages.append(
            f"Tick the box confirming that version {row.version} becomes the one new intakes "
            "are triaged with."
        )
    if messages:
        raise InvalidInput(" ".join(messages))
    hours = load_ruleset(row.yaml_text).wait_hours()
    minutes = None
    if hours != _wait_hours(session, actor.organization_id):
        minutes = {urgency: max(1, round(value * 60)) for urgency, value in hours.items()}
    return rule_changes.activate_version(
        session,
        user=user,
        actor=actor,
        version_id=row.id,
        reason=reason,
        wait_minutes=minutes,
        now=now,
    )


@dataclass(frozen=True)
class RulesOverview:
    """The rules page: every version, and every activation with its reason."""

    versions: list[rule_changes.VersionSummary]
    activations: list[tuple[RulesetActivation, str]]


def rules_overview(session: Session, *, actor: Actor) -> RulesOverview:
    """Versions newest first (the built-in default last) and activations newest first, each
    with the version it made active."""
    versions = rule_changes.list_versions(session, actor=actor)
    by_id = {v.id: v.version for v in versions if v.id is not None}
    activations = [
        (activation, by_id.get(activation.ruleset_version_id, ""))
        for activation in rule_changes.list_activations(session, actor=actor)
    ]
    return RulesOverview(versions=versions, activations=activations)
