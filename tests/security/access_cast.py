"""The cast of the access matrix: real objects of every kind, made through the real services,
in the actor's own team ("own"), another team of the same organisation ("outside") and
another organisation ("foreign").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts import invitations, organisation, second_factor_resets
from alongside.accounts.service import create_client_login
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.measures import service as measures_service
from alongside.models import CareTeam, Client, CrisisAlert, Organization, Role, User
from alongside.models.encrypted import keyring_for
from alongside.notes import service as notes_service
from alongside.notify import service as notify_service
from alongside.privacy import corrections, erasure
from alongside.scheduling import booking, ical, waitlist
from alongside.scheduling import service as scheduling_service
from alongside.security import access
from alongside.security.access import actor_for
from alongside.security.mfa import begin_enrolment
from alongside.security.tokens import create_token
from alongside.triage import crisis_admin, rule_changes
from tests.fixtures.factories import PASSWORD, World, create_client, create_staff
from tests.review.review_support import submitted

PLACES = ("own", "outside", "foreign")
# A Monday far enough ahead for every booking rule (the requests run at today's time).
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)


@dataclass
class Place:
    """One place's objects, by kind."""

    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Cast:
    """Objects of every kind in the three places; some kinds depend on who is asking."""

    world: World
    places: dict[str, Place]
    # Kinds whose "own" object is the asking person's own (their token, their feed...).
    per_role: dict[tuple[str, Role], str]
    intake_token: str
    feed_token: str
    certificate_token: str
    own_clinician: User
    foreign_clinician: User
    # A clinician of the organisation on no care team (joins one in the care-team route).
    spare_clinician: User

    def value(self, kind: str, place: str, role: Role) -> str:
        """The id (or value) of ``kind`` in ``place``, for a request by ``role``."""
        if place == "own" and (kind, role) in self.per_role:
            return self.per_role[(kind, role)]
        return self.places[place].ids[kind]


def _working(db: Session, clinician: User) -> str:
    """Weekday hours 08:00-18:00 for ``clinician``; the id of Monday's row."""
    me = actor_for(db, clinician, utcnow())
    scheduling_service.save_clinician_profile(
        db, actor=me, clinician_id=clinician.id, languages=["en"]
    )
    first = ""
    for weekday in range(5):
        row = scheduling_service.add_weekly_hours(
            db,
            actor=me,
            clinician_id=clinician.id,
            weekday=weekday,
            start=time(8),
            end=time(18),
        )
        first = first or str(row.id)
    return first


def _book(db: Session, booker: User, client: Client, clinician: User, hour: int) -> str:
    appointment = booking.book_appointment(
        db,
        user=booker,
        actor=actor_for(db, booker, utcnow()),
        client_id=client.id,
        clinician_id=clinician.id,
        starts_at=MONDAY + timedelta(hours=hour),
        reason="Assessment after triage",
        now=utcnow(),
    )
    return str(appointment.id)


def _note(db: Session, clinician: User, client: Client) -> str:
    note = notes_service.draft_ad_hoc(
        db,
        user=clinician,
        actor=actor_for(db, clinician, utcnow()),
        client_id=client.id,
        template_id="dap",
        jottings="Mood lower this week.\nP: keep the sleep diary.",
        now=utcnow(),
    )
    return str(note.id)


def _message(db: Session, organization: Organization, n: str) -> str:
    message = notify_service.enqueue(
        db,
        kind="test",
        channel="email",
        recipient="oncall@clinic.test",
        subject="Matrix",
        body="Matrix message",
        payload={},
        idempotency_key=f"matrix-{n}-{uuid.uuid4().hex}",
        organization_id=organization.id,
        now=utcnow(),
    )
    return str(message.id)


def _login(db: Session, client: Client) -> User:
    return create_client_login(
        db,
        client=client,
        email=f"login-{uuid.uuid4().hex[:8]}@example.org",
        display_name=client.given_name,
        password=PASSWORD,
        enforce_policy=False,
    )


def build_cast(db: Session, world: World) -> Cast:
    """Every kind of object in the three places, through the real services."""
    now = utcnow()
    org, other = world.org, world.other_org
    clinician = world.users[Role.CLINICIAN]
    lead = world.users[Role.CLINICAL_LEAD]
    coordinator = world.users[Role.COORDINATOR]
    admin = world.users[Role.ADMIN]
    foreign_clinician = db.scalars(
        select(User)
        .join(CareTeam, CareTeam.clinician_id == User.id)
        .where(CareTeam.client_id == world.foreign_client.id)
    ).one()
    foreign_lead = create_staff(db, other, Role.CLINICAL_LEAD)
    foreign_coordinator = create_staff(db, other, Role.COORDINATOR)
    foreign_admin = create_staff(db, other, Role.ADMIN)
    # The clinical lead works on the own client's care team too (their "own team").
    db.add(CareTeam(organization_id=org.id, client_id=world.own_client.id, clinician_id=lead.id))
    db.flush()

    clients = {
        "own": world.own_client,
        "outside": world.outside_client,
        "foreign": world.foreign_client,
    }
    clinicians = {"own": clinician, "outside": world.other_clinician, "foreign": foreign_clinician}
    bookers = {"own": coordinator, "outside": coordinator, "foreign": foreign_coordinator}
    leads = {"own": lead, "outside": lead, "foreign": foreign_lead}
    admins = {"own": admin, "outside": admin, "foreign": foreign_admin}
    orgs = {"own": org, "outside": org, "foreign": other}
    logins = {"own": world.client_user, "outside": _login(db, world.outside_client)}
    logins["foreign"] = _login(db, world.foreign_client)

    # The colleague whose second factor an administrator may ask to reset.
    begin_enrolment(world.other_clinician, keyring_for(db).provider)
    world.other_clinician.totp_enabled = True
    places = {place: Place() for place in PLACES}
    per_role: dict[tuple[str, Role], str] = {}
    availability = {place: _working(db, clinicians[place]) for place in PLACES}
    lead_availability = _working(db, lead)
    for n, place in enumerate(PLACES):
        ids = places[place].ids
        client = clients[place]
        ids["client"] = str(client.id)
        ids["clinician"] = str(clinicians[place].id)
        ids["user"] = str(clinicians[place].id if place != "own" else world.other_clinician.id)
        ids["availability"] = availability[place]
        suggestion = submitted(db, clinicians[place], client, "crisis")
        ids["suggestion"] = str(suggestion.id)
        ids["intake"] = str(suggestion.intake_id)
        alert = db.scalars(select(CrisisAlert).where(CrisisAlert.client_id == client.id)).first()
        assert alert is not None
        ids["alert"] = str(alert.id)
        ids["appointment"] = _book(db, bookers[place], client, clinicians[place], 9 + n)
        entry = waitlist.add_to_waitlist(
            db,
            client_id=client.id,
            urgency="routine",
            pathway="low-intensity",
            decided_by=clinicians[place],
            now=now,
        )
        ids["waitlist_entry"] = str(entry.id)
        measures_service.set_plan(
            db,
            user=clinicians[place],
            actor=actor_for(db, clinicians[place], now),
            client_id=client.id,
            instruments=["phq9"],
            cadence="before_session",
            now=now,
        )
        ids["note"] = _note(db, clinicians[place], client)
        _secret, token = create_token(
            db, clinicians[place], name="matrix", scopes=["client.read"], now=now
        )
        ids["token"] = str(token.id)
        feed, feed_token = ical.create_feed(
            db,
            actor=actor_for(db, clinicians[place], now),
            clinician_id=clinicians[place].id,
            now=now,
        )
        ids["feed"] = str(feed.id)
        site = organisation.add_site(
            db,
            by=admins[place],
            actor=actor_for(db, admins[place], now),
            name=f"Matrix site {place}",
            timezone="UTC",
            now=now,
        )
        ids["site"] = str(site.id)
        if place != "outside":
            version = rule_changes.create_version(
                db,
                user=leads[place],
                actor=actor_for(db, leads[place], now),
                yaml_text=rule_changes.default_yaml_text().replace(
                    'version: "2.0.0"', 'version: "2.0.1"', 1
                ),
                note="Matrix version",
                now=now,
            )
            ids["ruleset_version"] = str(version.id)
            crisis_admin.save_local_service(
                db,
                actor=admins[place],
                entry={
                    "id": f"matrix-{place}",
                    "name": "Matrix crisis line",
                    "contact": "555-0100",
                    "how": "Call any time",
                    "source": "Matrix",
                    "url": "",
                },
                now=now,
            )
            ids["crisis_service"] = f"matrix-{place}"
        else:
            ids["ruleset_version"] = places["own"].ids["ruleset_version"]
            ids["crisis_service"] = places["own"].ids["crisis_service"]
        ids["outbox_message"] = _message(db, orgs[place], place)
        if place != "outside":
            invited = invitations.invite(
                db,
                actor=actor_for(db, admins[place], now),
                by=admins[place],
                email=f"invited-{place}@clinic.test",
                display_name=f"Invited {place}",
                role=Role.CLINICIAN,
                link_base="https://clinic.test",
                now=now,
            )
            ids["staff_invitation"] = str(invited.id)
            # An administrator's own factor, asked for by them: a lead decides it.
            reset = second_factor_resets.request_reset(
                db,
                actor=actor_for(db, admins[place], now),
                by=admins[place],
                user_id=admins[place].id,
                reason="Matrix: lost their phone",
                link_base="https://clinic.test",
                now=now,
            )
            ids["second_factor_reset"] = str(reset.id)
        else:
            ids["staff_invitation"] = places["own"].ids["staff_invitation"]
            ids["second_factor_reset"] = places["own"].ids["second_factor_reset"]
        # Break-glass: a clinician opens a client outside their team (reviewed by the lead).
        stranger = create_client(db, orgs[place])
        grant = access.request_break_glass(
            db,
            actor_for(db, clinicians[place], now),
            client_id=stranger.id,
            reason="Matrix: crisis call out of hours",
            now=now,
            minutes=60,
        )
        ids["break_glass_grant"] = str(grant.id)
        login = logins[place]
        request, certificate = erasure.request_erasure(
            db, login, actor_for(db, login, now), client.id, now
        )
        ids["erasure_request"] = str(request.id)
        if place == "own":
            certificate_token = certificate
        correction = corrections.request_correction(
            db,
            login,
            actor_for(db, login, now),
            field="phone",
            value="555-0199",
            reason="My number changed",
            now=now,
        )
        ids["correction_request"] = str(correction.id)
    # What is one's own depends on who asks: their token, their hours, their feed.
    for role, user in world.users.items():
        if role is Role.CLIENT:
            continue
        _secret, token = create_token(
            db,
            user,
            name="mine",
            scopes=["client.read"] if role is not Role.ADMIN else ["user.manage"],
            now=now,
        )
        per_role[("token", role)] = str(token.id)
    per_role[("clinician", Role.CLINICAL_LEAD)] = str(lead.id)
    per_role[("availability", Role.CLINICAL_LEAD)] = lead_availability
    lead_feed, _ = ical.create_feed(
        db, actor=actor_for(db, lead, now), clinician_id=lead.id, now=now
    )
    per_role[("feed", Role.CLINICAL_LEAD)] = str(lead_feed.id)
    fresh = intake_service.create_intake(
        db, actor=clinician, client_id=world.own_client.id, now=now
    )
    _own_feed, feed_token = ical.create_feed(
        db, actor=actor_for(db, clinician, now), clinician_id=clinician.id, now=now
    )
    db.flush()
    return Cast(
        world=world,
        places=places,
        per_role=per_role,
        intake_token=fresh.token,
        feed_token=feed_token,
        certificate_token=certificate_token,
        own_clinician=clinician,
        foreign_clinician=foreign_clinician,
        spare_clinician=create_staff(db, org, Role.CLINICIAN),
    )
