"""The rule editor's services: the preview reads past intakes in bulk, activations keep their
reasons and what they replaced, and a form that cannot be saved comes back whole."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session, sessionmaker

from alongside.errors import Conflict, InvalidInput, NotFound
from alongside.models import Role, Suggestion, User
from alongside.review import rule_editor
from alongside.security.access import actor_for
from alongside.security.policy import Actor
from alongside.triage import rule_changes
from tests.fixtures.factories import World, create_staff
from tests.review.review_support import NOW, submitted


def _lead(db: Session, world: World) -> tuple[User, Actor]:
    lead = world.users[Role.CLINICAL_LEAD]
    return lead, actor_for(db, lead, NOW)


def _version(db: Session, world: World, version: str) -> uuid.UUID:
    lead, actor = _lead(db, world)
    text = rule_changes.default_yaml_text().replace('version: "2.0.0"', f'version: "{version}"', 1)
    row = rule_changes.create_version(db, user=lead, actor=actor, yaml_text=text, note="", now=NOW)
    return row.id


@contextmanager
def _statements(connection: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", before)


def test_the_preview_reads_the_last_intakes_in_bulk(
    db: Session,
    world: World,
    connection: Connection,
    session_factory: sessionmaker[Session],
) -> None:
    clinician = world.users[Role.CLINICIAN]
    org = clinician.organization_id

    def read(last_n: int) -> tuple[int, int]:
        # A new session: no client's key is cached yet, as in a request.
        fresh = session_factory()
        try:
            with _statements(connection) as seen:
                inputs = rule_changes.past_inputs(fresh, org, last_n)
            return len(inputs), len(seen)
        finally:
            fresh.close()

    for kind in ("calm", "severe"):
        submitted(db, clinician, world.own_client, kind, words="", reading=False)
    db.flush()
    few = read(500)
    for kind in ("calm", "severe", "urgent", "calm"):
        submitted(db, clinician, world.own_client, kind, words="", reading=False)
    submitted(db, world.other_clinician, world.outside_client, "calm", words="", reading=False)
    db.flush()
    more = read(500)
    # One query for the proposals and one for the clients' keys, however many intakes.
    assert few == (2, 2)
    assert more == (7, 2)
    # The last N only, newest first.
    newest = db.scalars(
        select(Suggestion.id).order_by(Suggestion.proposed_at.desc(), Suggestion.id).limit(3)
    ).all()
    assert [i.ref for i in rule_changes.past_inputs(db, org, 3)] == [str(i) for i in newest]
    assert rule_changes.DEFAULT_PREVIEW_COUNT == 500


def test_a_preview_over_fewer_intakes_and_its_bounds(db: Session, world: World) -> None:
    for kind in ("calm", "severe", "severe"):
        submitted(db, world.users[Role.CLINICIAN], world.own_client, kind, words="", reading=False)
    lead, actor = _lead(db, world)
    version_id = _version(db, world, "2.0.1")
    words = rule_changes.preview_version_in_words(
        db, user=lead, actor=actor, version_id=version_id, last_n=2, now=NOW
    )
    assert words.total == 2
    assert words.headline == "Of the last 2 intakes, none would get a different proposal."
    result = rule_changes.preview_version(
        db, user=lead, actor=actor, version_id=version_id, now=NOW
    )
    assert result.total == 3
    for wrong in (0, rule_changes.MAX_PREVIEW_COUNT + 1):
        with pytest.raises(InvalidInput, match="between 1 and"):
            rule_changes.preview_version(
                db, user=lead, actor=actor, version_id=version_id, last_n=wrong, now=NOW
            )


def test_activations_keep_their_reasons_and_what_they_replaced(db: Session, world: World) -> None:
    lead, actor = _lead(db, world)
    first, second = _version(db, world, "2.0.1"), _version(db, world, "2.0.2")
    with pytest.raises(InvalidInput, match="at most 2000 characters"):
        rule_changes.activate_version(
            db, user=lead, actor=actor, version_id=first, reason="x" * 2001, now=NOW
        )
    with pytest.raises(InvalidInput, match="Say why you are activating this version"):
        rule_changes.activate_version(
            db, user=lead, actor=actor, version_id=first, reason="short", now=NOW
        )
    rule_changes.activate_version(
        db, user=lead, actor=actor, version_id=first, reason="Reviewed at the team meeting", now=NOW
    )
    with pytest.raises(Conflict, match="already the active one"):
        rule_changes.activate_version(
            db, user=lead, actor=actor, version_id=first, reason="Once more, to be sure", now=NOW
        )
    rule_editor.activate(
        db,
        user=lead,
        actor=actor,
        version_id=second,
        reason="Second thoughts   about\nthe wording",
        confirmed=None,
        require_confirmation=False,
        now=NOW + timedelta(days=1),
    )
    overview = rule_editor.rules_overview(db, actor=actor)
    assert [(a.reason, a.previous, v) for a, v in overview.activations] == [
        ("Second thoughts about the wording", "alongside-default 2.0.1", "2.0.2"),
        ("Reviewed at the team meeting", "alongside-default 2.0.0", "2.0.1"),
    ]
    assert [v.version for v in overview.versions if v.is_active] == ["2.0.2"]
    # The next form starts from the active version, with the next free number.
    state = rule_editor.new_version_form(db, actor=actor)
    assert state.form.version == "2.0.3"
    assert state.active == "alongside-default 2.0.2"


def test_a_page_activation_needs_the_box_naming_the_version(db: Session, world: World) -> None:
    lead, actor = _lead(db, world)
    version_id = _version(db, world, "2.0.1")
    for confirmed in (None, "", "2.0.2", "yes"):
        with pytest.raises(InvalidInput, match=r"Tick the box confirming that version 2\.0\.1"):
            rule_editor.activate(
                db,
                user=lead,
                actor=actor,
                version_id=version_id,
                reason="Reviewed at the team meeting",
                confirmed=confirmed,
                require_confirmation=True,
                now=NOW,
            )
    row = rule_editor.activate(
        db,
        user=lead,
        actor=actor,
        version_id=version_id,
        reason="Reviewed at the team meeting",
        confirmed="2.0.1",
        require_confirmation=True,
        now=NOW,
    )
    assert row.is_active


def _posted(db: Session, actor: Actor, **changes: str) -> dict[str, str]:
    state = rule_editor.new_version_form(db, actor=actor)
    posted = dict(state.shown)
    posted.update({f"was|{k}": v for k, v in state.was.items() if k != "version"})
    posted.update(yaml_text=state.yaml_text, note="")
    posted.update(changes)
    return posted


def test_a_form_that_cannot_be_saved_comes_back_whole(db: Session, world: World) -> None:
    lead, actor = _lead(db, world)
    _version(db, world, "2.0.1")
    severe = "t|phq9-severe|when.total_gte"
    # A version number that is taken: the changed value is in the YAML shown again.
    with pytest.raises(rule_editor.FormNotSaved) as taken:
        rule_editor.save_from_form(
            db,
            user=lead,
            actor=actor,
            posted=_posted(db, actor, version="2.0.1", **{severe: "22"}),
            now=NOW,
        )
    assert "exists already" in taken.value.problems[0].message
    state = taken.value.state
    assert "total_gte: 22}" in state.yaml_text
    assert state.shown[severe] == "22"
    assert state.was[severe] == "22"
    # A note too long.
    with pytest.raises(rule_editor.FormNotSaved, match="at most 500 characters"):
        rule_editor.save_from_form(
            db, user=lead, actor=actor, posted=_posted(db, actor, note="n" * 501), now=NOW
        )
    # YAML that cannot be read: the form's fields still come from the active version.
    posted = _posted(db, actor, **{severe: "22"})
    posted["yaml_text"] = "rules: ["
    with pytest.raises(rule_editor.FormNotSaved) as unreadable:
        rule_editor.save_from_form(db, user=lead, actor=actor, posted=posted, now=NOW)
    assert unreadable.value.state.form.rules
    assert unreadable.value.state.yaml_text == "rules: ["
    assert unreadable.value.state.was[severe] == "20"
    # Windows line endings from a browser's textarea are stored as the file's own.
    posted = _posted(db, actor)
    posted["yaml_text"] = posted["yaml_text"].replace("\n", "\r\n")
    row = rule_editor.save_from_form(db, user=lead, actor=actor, posted=posted, now=NOW)
    assert "\r" not in row.yaml_text
    assert row.version == "2.0.2"


def test_the_editor_is_the_leads_alone(db: Session, world: World) -> None:
    version_id = _version(db, world, "2.0.1")
    for role in (Role.CLINICIAN, Role.COORDINATOR, Role.ADMIN):
        user = world.users[role]
        actor = actor_for(db, user, NOW)
        with pytest.raises(NotFound, match="no such ruleset version"):
            rule_editor.new_version_form(db, actor=actor)
        for call in (
            lambda: rule_editor.rules_overview(db, actor=actor),  # noqa: B023
            lambda: rule_editor.save_from_form(db, user=user, actor=actor, posted={}, now=NOW),  # noqa: B023
            lambda: rule_editor.activate(
                db,
                user=user,  # noqa: B023
                actor=actor,  # noqa: B023
                version_id=version_id,
                reason="Reviewed at the team meeting",
                confirmed="2.0.1",
                require_confirmation=True,
                now=NOW,
            ),
        ):
            with pytest.raises(NotFound, match="no such ruleset version"):
                call()


def test_erased_clients_are_not_replayed_and_other_organisations_versions_are_not_found(
    db: Session, world: World
) -> None:
    from alongside.privacy.erasure import erase_client

    clinician = world.users[Role.CLINICIAN]
    submitted(db, clinician, world.own_client, "severe", words="", reading=False)
    submitted(db, world.other_clinician, world.outside_client, "calm", words="", reading=False)
    lead, actor = _lead(db, world)
    erase_client(db, world.outside_client, actor_user=lead, reason="Asked to be erased", now=NOW)
    # The erased client's answers went with their key: one intake is left to replay.
    assert len(rule_changes.past_inputs(db, clinician.organization_id, 500)) == 1
    with pytest.raises(InvalidInput, match="at most 200000 characters"):
        rule_changes.create_version(
            db, user=lead, actor=actor, yaml_text="x" * 200_001, note="", now=NOW
        )
    version_id = _version(db, world, "2.0.1")
    elsewhere = create_staff(db, world.other_org, Role.CLINICAL_LEAD)
    with pytest.raises(NotFound):
        rule_changes.get_version(db, actor=actor_for(db, elsewhere, NOW), version_id=version_id)
