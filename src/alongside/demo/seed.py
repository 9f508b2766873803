"""Seed a synthetic clinic so a newcomer sees every capability within a minute."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.accounts.service import create_client_login, create_user
from alongside.models import CareTeam, Client, ClinicianProfile, Organization, Role, Site, User

DEMO_PASSWORD = "alongside-demo"  # noqa: S105 - documented demo credential, created only by `demo`
DEMO_DOMAIN = "demo.test"
DEMO_ORGANIZATION_SLUG = "riverside-demo"


@dataclass(frozen=True)
class ClinicianSpec:
    """One invented clinician of the demo clinic."""

    name: str
    specialties: tuple[str, ...]
    languages: tuple[str, ...]
    modalities: tuple[str, ...]


CLINICIANS: list[ClinicianSpec] = [
    ClinicianSpec(
        "Dr Amara Okafor",
        (
            "depression",
            "trauma",
        ),
        (
            "en",
            "yo",
        ),
        (
            "CBT",
            "EMDR",
        ),
    ),
    ClinicianSpec(
        "Jonas Lindqvist",
        (
            "anxiety",
            "obsessive-compulsive disorder",
        ),
        (
            "en",
            "sv",
        ),
        (
            "CBT",
            "ERP",
        ),
    ),
    ClinicianSpec(
        "María Fernández",
        (
            "depression",
            "grief",
        ),
        (
            "en",
            "es",
        ),
        (
            "IPT",
            "CBT",
        ),
    ),
    ClinicianSpec(
        "Wei Chen",
        (
            "anxiety",
            "perinatal",
        ),
        (
            "en",
            "zh",
        ),
        (
            "ACT",
            "CBT",
        ),
    ),
    ClinicianSpec(
        "Priya Raman",
        (
            "self-harm",
            "emotion regulation",
        ),
        (
            "en",
            "ta",
            "hi",
        ),
        ("DBT",),
    ),
    ClinicianSpec(
        "Sam O'Connor",
        (
            "alcohol use",
            "trauma",
        ),
        ("en",),
        (
            "MI",
            "CBT",
            "EMDR",
        ),
    ),
]


@dataclass
class DemoClinic:
    """What the demo created, for printing and for tests."""

    organization: Organization
    sites: list[Site] = field(default_factory=list)
    clinicians: list[User] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    intake_links: list[str] = field(default_factory=list)
    calendar_feed_path: str = ""
    former_clients: list[Client] = field(default_factory=list)


def seed_demo_clinic(session: Session, *, seed: int = 7, client_count: int = 40) -> DemoClinic:
    """Create one organisation, two sites, staff of every role and synthetic clients."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    fake = Faker(["en_US", "en_GB", "es_ES"])
    fake.seed_instance(seed)

    org = Organization(
        name="Riverside Counselling Collective (demo)",
        slug=DEMO_ORGANIZATION_SLUG,
        timezone="America/New_York",
        country="US",
    )
    session.add(org)
    session.flush()
    clinic = DemoClinic(organization=org)
    for name, tz in (
        ("Riverside Main Street", "America/New_York"),
        ("Riverside Telehealth Hub", "America/New_York"),
    ):
        site = Site(organization_id=org.id, name=name, timezone=tz)
        session.add(site)
        clinic.sites.append(site)
    session.flush()

    def staff(email: str, name: str, role: Role) -> User:
        user = create_user(
            session,
            organization=org,
            email=email,
            display_name=name,
            role=role,
            password=DEMO_PASSWORD,
            enforce_policy=False,
        )
        clinic.logins.append((email, role.value))
        return user

    staff(f"admin@{DEMO_DOMAIN}", "Alex Admin", Role.ADMIN)
    staff(f"lead@{DEMO_DOMAIN}", "Dr Lena Hart", Role.CLINICAL_LEAD)
    staff(f"coordinator@{DEMO_DOMAIN}", "Casey Coordinator", Role.COORDINATOR)
    for index, spec in enumerate(CLINICIANS, start=1):
        user = staff(f"clinician{index}@{DEMO_DOMAIN}", spec.name, Role.CLINICIAN)
        user.site_id = clinic.sites[index % 2].id
        session.add(
            ClinicianProfile(
                user_id=user.id,
                specialties=list(spec.specialties),
                languages=list(spec.languages),
                modalities=list(spec.modalities),
                caseload_capacity=rng.randint(18, 30),
            )
        )
        clinic.clinicians.append(user)
    session.flush()

    languages = ["en"] * 7 + ["es", "zh", "hi"]
    for _ in range(client_count):
        client = Client(
            organization_id=org.id,
            site_id=rng.choice(clinic.sites).id,
            given_name=fake.first_name(),
            family_name=fake.last_name(),
            email=f"{fake.user_name()}{rng.randint(10, 99)}@example.org",
            phone=fake.numerify("+1-555-01##-####"),
            date_of_birth=fake.date_of_birth(minimum_age=18, maximum_age=80).isoformat(),
            preferred_language=rng.choice(languages),
        )
        session.add(client)
        clinic.clients.append(client)
    session.flush()

    # Each client has one or two clinicians, so care teams differ between clinicians.
    for client in clinic.clients:
        team = rng.sample(clinic.clinicians, k=rng.choice([1, 1, 2]))
        for position, clinician in enumerate(team):
            session.add(
                CareTeam(
                    organization_id=org.id,
                    client_id=client.id,
                    clinician_id=clinician.id,
                    team_role="primary" if position == 0 else "secondary",
                )
            )
    # One client can sign in to see the client side of Alongside.
    portal_client = clinic.clients[0]
    create_client_login(
        session,
        client=portal_client,
        email=f"client@{DEMO_DOMAIN}",
        display_name=portal_client.given_name,
        password=DEMO_PASSWORD,
        enforce_policy=False,
    )
    clinic.logins.append((f"client@{DEMO_DOMAIN}", Role.CLIENT.value))
    clinic.intake_links = _seed_intakes(session, clinic)
    clinic.calendar_feed_path = seed_scheduling(session, clinic)
    seed_measures(session, clinic)
    seed_client_space(session, clinic)
    clinic.former_clients = seed_history(session, clinic, rng, fake)
    seed_staff(session, clinic)
    return clinic


def seed_staff(session: Session, clinic: DemoClinic) -> None:
    """An invitation waiting, a second-factor reset for the lead to decide (clinician5's),
    and clinician4 reading every time in their own zone."""
    from alongside.accounts.demo import seed_staff_business
    from alongside.kit.time import utcnow

    admin = session.scalar(select(User).where(User.email == f"admin@{DEMO_DOMAIN}"))
    assert admin is not None  # noqa: S101 - made above
    seed_staff_business(
        session,
        admin=admin,
        lost_phone=clinic.clinicians[4],
        own_zone=clinic.clinicians[3],
        now=utcnow(),
    )


def seed_history(
    session: Session, clinic: DemoClinic, rng: random.Random, fake: Faker
) -> list[Client]:
    """Former clients' intakes over the past year, decided and discharged: the past intakes
    the lead's rule preview replays."""
    from alongside.demo.history import seed_past_year
    from alongside.kit.time import utcnow

    coordinator = session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    assert coordinator is not None  # noqa: S101 - created above
    return seed_past_year(
        session,
        rng=rng,
        fake=fake,
        sites=clinic.sites,
        clinicians=clinic.clinicians,
        coordinator=coordinator,
        now=utcnow(),
    )


def seed_client_space(session: Session, clinic: DemoClinic) -> None:
    """The demo client's progress, consents and a correction; an erasure request for the lead."""
    from alongside.kit.time import utcnow
    from alongside.privacy.demo import seed_client_space as seed

    coordinator = session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    assert coordinator is not None  # noqa: S101 - created above
    seed(session, clinic.clients[0], clinic.clients[6], coordinator, utcnow())


def seed_measures(session: Session, clinic: DemoClinic) -> None:
    """Weekly PHQ-9/GAD-7 scores and plans for a few clients (one deteriorating, one
    recovering), so the measures pages and the attention list have something to show."""
    from alongside.kit.time import utcnow
    from alongside.measures.demo import seed_demo_measures

    followed = clinic.clients[1:5]
    # The tour signs in as clinician1: put these clients on their care team so the attention
    # list and the charts show at once.
    first = clinic.clinicians[0]
    for client in followed:
        if (
            session.scalar(
                select(CareTeam.id).where(
                    CareTeam.client_id == client.id, CareTeam.clinician_id == first.id
                )
            )
            is None
        ):
            session.add(
                CareTeam(
                    organization_id=client.organization_id,
                    client_id=client.id,
                    clinician_id=first.id,
                    team_role="secondary",
                )
            )
    session.flush()
    seed_demo_measures(session, followed, utcnow())
    from alongside.notes.demo import seed_demo_notes

    seed_demo_notes(session, first, followed, clinic.clients[0], utcnow())


def _seed_intakes(session: Session, clinic: DemoClinic) -> list[str]:
    from alongside.intake.demo import seed_demo_intakes
    from alongside.kit.time import utcnow

    links = seed_demo_intakes(session, clinic.clinicians, clinic.clients, utcnow())
    from alongside.review.demo import seed_review

    seed_review(session, clinic.organization.id, utcnow())
    return links


# Demo profiles in the scheduling vocabulary (codes of alongside.scheduling.vocabulary), by
# clinician: specialties, modalities, populations, gender.
_SCHEDULING_PROFILES: list[tuple[list[str], list[str], list[str], str]] = [
    (["depression", "trauma"], ["cbt", "emdr"], ["adults"], "woman"),
    (["anxiety", "ocd"], ["cbt", "erp"], ["adults", "adolescents"], "man"),
    (["depression", "grief"], ["ipt", "cbt"], ["adults", "older_adults"], "woman"),
    (["anxiety", "perinatal"], ["act", "cbt"], ["adults"], "man"),
    (["self_harm", "personality"], ["dbt"], ["adults", "adolescents"], "woman"),
    (["substance_use", "trauma"], ["cbt", "emdr"], ["adults"], "man"),
]


def seed_scheduling(session: Session, clinic: DemoClinic) -> str:
    """Weekly hours for the six clinicians (the first on leave next Monday and Tuesday), a
    waitlist (and one client taken off it, with the reason), booked appointments and one last
    week that the client did not attend; returns the path of the first clinician's calendar
    feed (``/calendar/<token>.ics``)."""
    from datetime import time, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from alongside.kit.time import utcnow
    from alongside.review.service import review_targets
    from alongside.scheduling import booking, ical, service, waitlist
    from alongside.scheduling.availability import Leave
    from alongside.scheduling.vocabulary import LANGUAGES
    from alongside.security.access import actor_for

    now = utcnow()
    coordinator = session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
    assert coordinator is not None  # noqa: S101 - created above
    for index, (clinician, spec) in enumerate(zip(clinic.clinicians, CLINICIANS, strict=True)):
        me = actor_for(session, clinician, now)
        specialties, modalities, populations, gender = _SCHEDULING_PROFILES[index]
        service.save_clinician_profile(
            session,
            actor=me,
            clinician_id=clinician.id,
            specialties=specialties,
            # Only languages in the maintained list (Yoruba and Swedish are not in it yet).
            languages=[code for code in spec.languages if code in LANGUAGES],
            modalities=modalities,
            populations=populations,
            gender=gender,
            timezone=clinic.organization.timezone,
            in_person=index % 3 != 2,
            telehealth=True,
        )
        late = index % 2 == 1  # half the clinicians work into the evening
        for weekday in range(5):
            service.add_weekly_hours(
                session,
                actor=me,
                clinician_id=clinician.id,
                weekday=weekday,
                start=time(11) if late else time(9),
                end=time(19) if late else time(17),
            )
    session.flush()
    # Leave before anything is booked, so nothing is booked in it: the first clinician (the
    # tour's) is away next Monday and Tuesday.
    zone = ZoneInfo(clinic.organization.timezone)
    today = now.astimezone(zone).date()
    next_monday = today + timedelta(days=7 - today.weekday())
    first_clinician = clinic.clinicians[0]
    away = Leave.days(next_monday, next_monday + timedelta(days=1), zone, "Annual leave")
    service.add_leave(
        session,
        actor=actor_for(session, first_clinician, now),
        clinician_id=first_clinician.id,
        starts_at=away.start,
        ends_at=away.end,
        note="Annual leave",
    )
    urgencies = ["urgent", "routine", "soon", "routine", "crisis", "routine", "soon", "routine"]
    # A clinic sees a crisis within its target (an hour, by default): the crisis client joined
    # the list a third of that ago. The others have waited days, some beyond their urgency's
    # target, which the waitlist and the lead's dashboard mark.
    crisis_target = review_targets(session, clinic.organization.id)["crisis"]
    for offset, client in enumerate(clinic.clients[20:28]):
        urgency = urgencies[offset]
        waited = crisis_target / 3 if urgency == "crisis" else timedelta(days=3 * offset + 1)
        waitlist.add_to_waitlist(
            session,
            client_id=client.id,
            urgency=urgency,
            pathway="low-intensity" if offset % 2 else "high-intensity-therapy",
            decided_by=clinic.clinicians[offset % len(clinic.clinicians)],
            now=now - waited,
        )
    as_coordinator = actor_for(session, coordinator, now)
    rules = service.rules_for(session, clinic.organization.id)
    by_id = {c.id: c for c in clinic.clinicians}
    for offset, client in enumerate(clinic.clients[:6]):
        # Booked with their primary clinician, so the demo's care teams stay as seeded.
        primary = session.scalar(
            select(CareTeam.clinician_id)
            .where(CareTeam.client_id == client.id)
            .where(CareTeam.team_role == "primary")
        )
        clinician = by_id[primary] if primary in by_id else clinic.clinicians[offset]
        slots = service.free_slots(
            session, clinician, now + timedelta(days=1), now + timedelta(days=8), rules.slot_minutes
        )
        booking.book_appointment(
            session,
            user=coordinator,
            actor=as_coordinator,
            client_id=client.id,
            clinician_id=clinician.id,
            starts_at=slots[offset * 3].start,
            kind="therapy" if offset % 2 else "assessment",
            reason="Demo appointment",
            now=now,
        )
    service.save_preferences(
        session,
        user=coordinator,
        actor=as_coordinator,
        client_id=clinic.clients[0].id,
        now=now,
        remind_email=True,
    )
    _seed_no_show(session, clinic, coordinator, now)
    if len(clinic.clients) > 28:
        # Waited three weeks, then found care elsewhere: off the list, with the reason.
        leaver = waitlist.add_to_waitlist(
            session,
            client_id=clinic.clients[28].id,
            urgency="routine",
            pathway="low-intensity",
            decided_by=clinic.clinicians[2],
            now=now - timedelta(days=23),
        )
        waitlist.remove_from_waitlist(
            session,
            user=coordinator,
            actor=actor_for(session, coordinator, now - timedelta(days=2)),
            entry_id=leaver.id,
            reason="Found care elsewhere: started with a therapist through their employer",
            now=now - timedelta(days=2),
        )
    _feed, token = ical.create_feed(
        session,
        actor=actor_for(session, clinic.clinicians[0], now),
        clinician_id=clinic.clinicians[0].id,
        now=now,
    )
    return ical.feed_path(token)


def _seed_no_show(session: Session, clinic: DemoClinic, coordinator: User, now: datetime) -> None:
    """A session last week (the clinic's calendar week) that the client did not attend, with
    the reason, for the first clinician's *My week* (Previous week)."""
    from datetime import time, timedelta
    from zoneinfo import ZoneInfo

    from alongside.scheduling import booking, service
    from alongside.security.access import actor_for

    if len(clinic.clients) < 2:
        return
    clinician, client = clinic.clinicians[0], clinic.clients[1]
    zone = ZoneInfo(clinic.organization.timezone)
    today = now.astimezone(zone).date()
    last_monday = today - timedelta(days=today.weekday() + 7)
    start = datetime.combine(last_monday, time(0), tzinfo=zone)
    minutes = service.rules_for(session, clinic.organization.id).slot_minutes
    slots = service.free_slots(session, clinician, start, start + timedelta(days=5), minutes)
    if not slots:
        return
    # The tour's clinician sees this client (as seed_measures arranges): on the care team,
    # second to the client's own clinician, so booking does not make a second primary.
    if (
        session.scalar(
            select(CareTeam.id).where(
                CareTeam.client_id == client.id, CareTeam.clinician_id == clinician.id
            )
        )
        is None
    ):
        session.add(
            CareTeam(
                organization_id=client.organization_id,
                client_id=client.id,
                clinician_id=clinician.id,
                team_role="secondary",
            )
        )
        session.flush()
    # Booked the week before, as the clinic would have.
    booked_at = start - timedelta(days=7)
    missed = booking.book_appointment(
        session,
        user=coordinator,
        actor=actor_for(session, coordinator, booked_at),
        client_id=client.id,
        clinician_id=clinician.id,
        starts_at=slots[len(slots) // 2].start,
        kind="therapy",
        reason="Weekly session",
        now=booked_at,
    )
    booking.mark_no_show(
        session,
        user=clinician,
        actor=actor_for(session, clinician, now),
        appointment_id=missed.id,
        reason="Did not join the video call; no answer to two phone calls",
        now=now,
    )
