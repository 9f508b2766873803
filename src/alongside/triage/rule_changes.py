"""Rule changes by the clinical lead: store a new ruleset version, preview it, activate it.

Every version an organisation ever used is kept (:class:`~alongside.models.RulesetVersion`),
so a past proposal can be replayed under the version that made it (invariant 10). Without any
stored version, the built-in default ruleset is the active one.

API
---
- :func:`active_ruleset` ``(session, organization_id) -> Ruleset``: what new intakes of the
  organisation should be triaged with. (:func:`alongside.triage.service.process_submission`
  should call it instead of ``default_ruleset()``.)
- :func:`wait_targets_in_force` ``(session, organization_id) -> WaitTargetsInForce``: the
  review-wait targets, which are part of the rules: the active version's own, or Alongside's
  defaults when it sets none. Nothing else stores them, so what the rules editor shows and
  what the queue, the waitlist and oversight measure against cannot differ.
- :func:`ruleset_for_versions` ``(session, organization_id, versions) -> Ruleset | None``: the
  ruleset a past proposal recorded in its ``versions`` (for replay and for the pathways a
  clinician may amend to).
- :func:`list_versions`, :func:`get_version`.
- :func:`create_version` ``(session, *, user, actor, yaml_text, note, now) -> RulesetVersion``:
  validated by :func:`alongside.triage.rule_problems.check_ruleset_text` (what is wrong, in
  words, line by line); the id and version must be new.
- :func:`preview_version` ``(session, *, user, actor, version_id, last_n, now) ->
  PreviewResult``: :func:`~alongside.triage.preview.preview_change` of the active ruleset
  against this version over the organisation's last ``last_n`` proposals' stored inputs.
- :func:`preview_version_in_words`: the same as :class:`~alongside.triage.preview.PreviewWords`
  (how many would change, in which direction, a few examples in clinicians' words).
- :func:`activate_version` ``(session, *, user, actor, version_id, reason, now) ->
  RulesetVersion``: refused without a reason; the reason, the version it replaced and who
  activated it are kept (:class:`~alongside.models.RulesetActivation`) and audited.
- :func:`list_activations` ``(session, *, actor) -> list[RulesetActivation]``, newest first.

Only a person with ``rules.edit`` (the clinical lead) may do any of it; others get 404.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alongside.audit.service import record
from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import (
    AuditAction,
    AuditOutcome,
    AuditPurpose,
    RulesetActivation,
    RulesetVersion,
    Suggestion,
    User,
)
from alongside.models.encrypted import keyring_for
from alongside.security.permissions import Action
from alongside.security.policy import Actor, Resource, can
from alongside.triage.preview import PreviewWords, preview_change, preview_in_words
from alongside.triage.rule_problems import check_ruleset_text
from alongside.triage.rulesets import (
    DEFAULT_RULESET_FILE,
    PreviewResult,
    Ruleset,
    TriageInputs,
    builtin_rulesets,
    default_ruleset,
    load_ruleset,
)

log = logging.getLogger("alongside.triage")

NOT_FOUND = "There is no such ruleset version available to you."
MAX_YAML_LENGTH = 200_000
MAX_NOTE_LENGTH = 500
MAX_REASON_LENGTH = 2000
MIN_REASON_LENGTH = 10
DEFAULT_PREVIEW_COUNT = 500
MAX_PREVIEW_COUNT = 5000
NO_REASON = (
    "Say why you are activating this version (at least {min} characters): the reason is kept "
    "with the change and shown on the rules page."
)


@dataclass(frozen=True)
class VersionSummary:
    """One ruleset version as listed: stored, or the built-in default."""

    id: uuid.UUID | None
    ruleset_id: str
    version: str
    note: str
    is_active: bool
    created_at: datetime | None
    activated_at: datetime | None
    built_in: bool


def default_yaml_text() -> str:
    """The YAML of the built-in default ruleset, as shipped."""
    return (
        resources.files("alongside.triage")
        .joinpath("rules", DEFAULT_RULESET_FILE)
        .read_text(encoding="utf-8")
    )


def require_rules_edit(actor: Actor) -> None:
    """Refuse (404) anyone who may not edit rules, so the pages' existence is not confirmed."""
    if not can(actor, Action.RULES_EDIT, Resource(organization_id=actor.organization_id)):
        raise NotFound(NOT_FOUND)


def _active_row(session: Session, organization_id: uuid.UUID) -> RulesetVersion | None:
    return session.scalar(
        select(RulesetVersion)
        .where(RulesetVersion.organization_id == organization_id)
        .where(RulesetVersion.is_active.is_(True))
    )


@functools.lru_cache(maxsize=32)
def _stored_ruleset(yaml_text: str) -> Ruleset:
    # A stored version's text never changes, so it is read once per process: every submission
    # and every page measuring waits reads the active version.
    return load_ruleset(yaml_text)


def active_ruleset(session: Session, organization_id: uuid.UUID) -> Ruleset:
    """The ruleset new intakes of this organisation are triaged with."""
    row = _active_row(session, organization_id)
    return default_ruleset() if row is None else _stored_ruleset(row.yaml_text)


@dataclass(frozen=True)
class WaitTargetsInForce:
    """The review-wait targets in force, in hours by urgency (most urgent first); the version
    of the rules they belong to; whether that version sets them (else Alongside's defaults)."""

    hours: dict[str, float]
    version: str
    own: bool


def wait_targets_in_force(session: Session, organization_id: uuid.UUID) -> WaitTargetsInForce:
    """The active version's wait targets (Alongside's defaults where it sets none)."""
    row = _active_row(session, organization_id)
    if row is None:
        default = default_ruleset()
        return WaitTargetsInForce(
            default.wait_hours(), _label(default.id, default.version), own=False
        )
    try:
        ruleset = _stored_ruleset(row.yaml_text)
    except InvalidInput:
        # A version stored under an older schema that this one rejects: waits are still
        # measured (against the defaults) rather than the queue failing to show.
        log.exception("active_ruleset_unreadable", extra={"event": "wait_targets_fallback"})
        return WaitTargetsInForce(
            default_ruleset().wait_hours(), _label(row.ruleset_id, row.version), own=False
        )
    return WaitTargetsInForce(
        ruleset.wait_hours(),
        _label(row.ruleset_id, row.version),
        own=ruleset.wait_targets is not None,
    )


def ruleset_for_versions(
    session: Session, organization_id: uuid.UUID, versions: dict[str, Any]
) -> Ruleset | None:
    """The ruleset a proposal recorded (``{"ruleset", "ruleset_version"}``), if still known."""
    ruleset_id, version = versions.get("ruleset"), versions.get("ruleset_version")
    shipped = builtin_rulesets().get((str(ruleset_id), str(version)))
    if shipped is not None:
        return shipped
    row = session.scalar(
        select(RulesetVersion)
        .where(RulesetVersion.organization_id == organization_id)
        .where(RulesetVersion.ruleset_id == str(ruleset_id))
        .where(RulesetVersion.version == str(version))
    )
    return None if row is None else _stored_ruleset(row.yaml_text)


def list_versions(session: Session, *, actor: Actor) -> list[VersionSummary]:
    """Every version of the organisation, newest first, then the built-in default."""
    require_rules_edit(actor)
    rows = session.scalars(
        select(RulesetVersion)
        .where(RulesetVersion.organization_id == actor.organization_id)
        .order_by(RulesetVersion.created_at.desc(), RulesetVersion.id)
    ).all()
    default = default_ruleset()
    summaries = [
        VersionSummary(
            id=row.id,
            ruleset_id=row.ruleset_id,
            version=row.version,
            note=row.note,
            is_active=row.is_active,
            created_at=row.created_at,
            activated_at=row.activated_at,
            built_in=False,
        )
        for row in rows
    ]
    summaries.append(
        VersionSummary(
            id=None,
            ruleset_id=default.id,
            version=default.version,
            note=default.description,
            is_active=not any(row.is_active for row in rows),
            created_at=None,
            activated_at=None,
            built_in=True,
        )
    )
    return summaries


def get_version(session: Session, *, actor: Actor, version_id: uuid.UUID) -> RulesetVersion:
    """One stored version of the actor's organisation, or NotFound."""
    require_rules_edit(actor)
    row = session.get(RulesetVersion, version_id)
    if row is None or row.organization_id != actor.organization_id:
        raise NotFound(NOT_FOUND)
    return row


def active_yaml_text(session: Session, organization_id: uuid.UUID) -> str:
    """The YAML of the active version: the starting point for editing a new one."""
    row = _active_row(session, organization_id)
    return default_yaml_text() if row is None else row.yaml_text


def _audit(
    session: Session, user: User, action: AuditAction, resource_id: uuid.UUID | None, now: datetime
) -> None:
    record(
        session,
        actor=user,
        action=action,
        resource_type="ruleset_version",
        resource_id=resource_id,
        client_id=None,
        organization_id=user.organization_id,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )


def create_version(
    session: Session, *, user: User, actor: Actor, yaml_text: str, note: str, now: datetime
) -> RulesetVersion:
    """Validate and store a new version (not yet active)."""
    require_rules_edit(actor)
    if len(yaml_text) > MAX_YAML_LENGTH:
        raise InvalidInput(f"yaml_text: at most {MAX_YAML_LENGTH} characters.")
    cleaned_note = note.strip()
    if len(cleaned_note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"note: at most {MAX_NOTE_LENGTH} characters.")
    ruleset = check_ruleset_text(yaml_text)
    default = default_ruleset()
    taken = session.scalar(
        select(RulesetVersion.id)
        .where(RulesetVersion.organization_id == actor.organization_id)
        .where(RulesetVersion.ruleset_id == ruleset.id)
        .where(RulesetVersion.version == ruleset.version)
    )
    if taken is not None or (ruleset.id, ruleset.version) == (default.id, default.version):
        raise Conflict(
            f"Version {ruleset.version!r} of ruleset {ruleset.id!r} exists already; "
            "give the new one another version (old versions are kept for replaying decisions)."
        )
    row = RulesetVersion(
        organization_id=actor.organization_id,
        ruleset_id=ruleset.id,
        version=ruleset.version,
        yaml_text=yaml_text,
        note=cleaned_note,
        created_by_id=user.id,
        created_at=now,
        is_active=False,
    )
    session.add(row)
    session.flush()
    _audit(session, user, AuditAction.CREATE, row.id, now)
    return row


def past_inputs(session: Session, organization_id: uuid.UUID, last_n: int) -> list[TriageInputs]:
    """The stored triage inputs of the organisation's last ``last_n`` proposals, newest first."""
    rows = session.scalars(
        select(Suggestion)
        .where(Suggestion.organization_id == organization_id)
        .where(Suggestion.kind == "triage")
        .order_by(Suggestion.proposed_at.desc(), Suggestion.id)
        .limit(last_n)
    ).all()
    keyring_for(session).preload(session, [row.client_id for row in rows])
    inputs: list[TriageInputs] = []
    for row in rows:
        stored = row.inputs_dict
        if not stored:
            continue  # erased client: nothing left to replay
        inputs.append(
            TriageInputs(
                scores=stored.get("scores") or {},
                risk=stored.get("risk"),
                reader_consent=bool(stored.get("reader_consent")),
                wrote_words=stored.get("wrote_words"),
                ref=str(row.id),
            )
        )
    return inputs


def _replay(
    session: Session,
    *,
    user: User,
    actor: Actor,
    version_id: uuid.UUID,
    last_n: int,
    now: datetime,
) -> tuple[PreviewResult, list[TriageInputs], Ruleset, Ruleset]:
    row = get_version(session, actor=actor, version_id=version_id)
    if not 1 <= last_n <= MAX_PREVIEW_COUNT:
        raise InvalidInput(f"last_n: between 1 and {MAX_PREVIEW_COUNT}.")
    inputs = past_inputs(session, actor.organization_id, last_n)
    old, new = active_ruleset(session, actor.organization_id), load_ruleset(row.yaml_text)
    result = preview_change(old, new, inputs)
    # The replay reads stored answers of many clients; one event says so (it shows no PHI).
    record(
        session,
        actor=user,
        action=AuditAction.SEARCH,
        resource_type="triage_inputs",
        resource_id=json.dumps({"preview": str(row.id), "last_n": last_n})[:128],
        client_id=None,
        organization_id=actor.organization_id,
        purpose=AuditPurpose.OPERATIONS,
        outcome=AuditOutcome.SUCCESS,
        now=now,
    )
    return result, inputs, old, new


def preview_version(
    session: Session,
    *,
    user: User,
    actor: Actor,
    version_id: uuid.UUID,
    last_n: int = DEFAULT_PREVIEW_COUNT,
    now: datetime,
) -> PreviewResult:
    """What this version would change, against the active one, over the last ``last_n`` intakes."""
    result, _inputs, _old, _new = _replay(
        session, user=user, actor=actor, version_id=version_id, last_n=last_n, now=now
    )
    return result


def preview_version_in_words(
    session: Session,
    *,
    user: User,
    actor: Actor,
    version_id: uuid.UUID,
    last_n: int = DEFAULT_PREVIEW_COUNT,
    now: datetime,
) -> PreviewWords:
    """The same preview as a clinical lead reads it: counts, directions and a few examples."""
    result, inputs, old, new = _replay(
        session, user=user, actor=actor, version_id=version_id, last_n=last_n, now=now
    )
    return preview_in_words(result, inputs, old, new)


def _label(ruleset_id: str, version: str) -> str:
    return f"{ruleset_id} {version}"


def active_label(session: Session, organization_id: uuid.UUID) -> str:
    """The active version as "ruleset version" (the built-in default when none is stored)."""
    row = _active_row(session, organization_id)
    if row is None:
        default = default_ruleset()
        return _label(default.id, default.version)
    return _label(row.ruleset_id, row.version)


def clean_reason(reason: str | None) -> str:
    """The reason for an activation, or InvalidInput saying one is needed."""
    cleaned = " ".join((reason or "").split())
    if len(cleaned) < MIN_REASON_LENGTH:
        raise InvalidInput(NO_REASON.format(min=MIN_REASON_LENGTH))
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidInput(f"The reason is at most {MAX_REASON_LENGTH} characters.")
    return cleaned


def activate_version(
    session: Session,
    *,
    user: User,
    actor: Actor,
    version_id: uuid.UUID,
    reason: str | None,
    now: datetime,
    wait_minutes: dict[str, int] | None = None,
) -> RulesetVersion:
    """Make this version the one new intakes are triaged with; the others stay stored. The
    reason is required; it is kept with who activated it and what was active before.
    ``wait_minutes``: the wait targets it puts in force when they differ from the ones before
    (the rules page says so beside the reason)."""
    row = get_version(session, actor=actor, version_id=version_id)
    cleaned = clean_reason(reason)
    load_ruleset(row.yaml_text)  # stored versions were validated; a newer schema may not agree
    if row.is_active:
        raise Conflict(f"Version {row.version} is already the active one.")
    previous = active_label(session, actor.organization_id)
    session.execute(
        update(RulesetVersion)
        .where(RulesetVersion.organization_id == actor.organization_id)
        .where(RulesetVersion.id != row.id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    row.is_active = True
    row.activated_at = now
    row.activated_by_id = user.id
    session.add(
        RulesetActivation(
            organization_id=actor.organization_id,
            ruleset_version_id=row.id,
            previous=previous,
            activated_by_id=user.id,
            activated_by_name=user.display_name,
            activated_at=now,
            reason=cleaned,
            wait_targets=wait_minutes,
        )
    )
    session.flush()
    _audit(session, user, AuditAction.UPDATE, row.id, now)
    return row


def list_activations(session: Session, *, actor: Actor) -> list[RulesetActivation]:
    """Every activation of the organisation, newest first, with its reason."""
    require_rules_edit(actor)
    return list(
        session.scalars(
            select(RulesetActivation)
            .where(RulesetActivation.organization_id == actor.organization_id)
            .order_by(RulesetActivation.activated_at.desc(), RulesetActivation.created_at.desc())
        )
    )
