"""Retention rules as data, and which clients' records are past their retention period.

API
---
- :func:`retention_rules` ``(session, organization) -> list[RuleView]``: the organisation's own
  rows of ``retention_rules``; an organisation with none uses the schedule shipped for its
  country (``retention/<country>.yaml``: England's NHS code for GB; for the US the periods are
  left to the operator, so none is past retention until they set them).
- :func:`set_rules_from_defaults` ``(session, organization)``: store the shipped schedule as
  the organisation's rows (the operator then edits them).
- :func:`retention_view` ``(session, organization, client_id, now)``: for the lead's decision,
  each record type with the client's count, last contact and the date retention ends.
- :func:`past_retention` ``(session, organization, now)``: clients (not erased) whose every
  record type with a set period is past it, oldest last contact first.
- :func:`record_type_of` ``(table)``: which record type a table's rows belong to.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alongside.models import Appointment, Client, Intake, Organization, RetentionRule

CLINICAL_RECORD = "clinical_record"
APPOINTMENTS = "appointments"
CONTACT_DETAILS = "contact_details"
MESSAGES = "messages"

# Tables whose rows are not the clinical record itself; every other table of client data is.
_TABLE_TYPES = {
    "clients": CONTACT_DETAILS,
    "appointments": APPOINTMENTS,
    "waitlist_entries": APPOINTMENTS,
    "client_preferences": APPOINTMENTS,
    "outbox_messages": MESSAGES,
}


def record_type_of(table: str) -> str:
    """The record type (retention category) of a table's rows."""
    return _TABLE_TYPES.get(table, CLINICAL_RECORD)


@dataclass(frozen=True)
class RuleView:
    """One record type's retention period and the law or code it comes from."""

    record_type: str
    label: str
    years: int | None
    source: str


@functools.cache
def _shipped(country: str) -> tuple[str, tuple[RuleView, ...]]:
    folder = resources.files("alongside.privacy").joinpath("retention")
    # England's code for England (and "GB" unspecified); Wales, Scotland and Northern Ireland
    # have codes of their own, and elsewhere the periods are left to the operator.
    name = "gb.yaml" if country.upper() in ("GB", "GB-ENG") else "us.yaml"
    entry = folder.joinpath(name)
    data = yaml.safe_load(entry.read_text(encoding="utf-8"))
    rules = tuple(
        RuleView(
            record_type=str(rule["record_type"]),
            label=str(rule["label"]),
            years=None if rule["years"] is None else int(rule["years"]),
            source=" ".join(str(rule["source"]).split()),
        )
        for rule in data["rules"]
    )
    return str(data["schedule"]), rules


def retention_rules(session: Session, organization: Organization) -> list[RuleView]:
    """The organisation's retention rules (its own rows, else its country's shipped ones)."""
    rows = session.scalars(
        select(RetentionRule)
        .where(RetentionRule.organization_id == organization.id)
        .order_by(RetentionRule.record_type)
    ).all()
    if rows:
        return [RuleView(r.record_type, r.label, r.years, r.source) for r in rows]
    return list(_shipped(organization.country)[1])


def set_rules_from_defaults(session: Session, organization: Organization) -> list[RetentionRule]:
    """Store the country's shipped schedule as the organisation's own, editable rows."""
    rows = [
        RetentionRule(
            organization_id=organization.id,
            record_type=rule.record_type,
            label=rule.label,
            years=rule.years,
            source=rule.source,
        )
        for rule in _shipped(organization.country)[1]
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def last_contacts(
    session: Session, organization_id: uuid.UUID, client_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, datetime]:
    """Each client's last contact: their latest appointment start, submitted intake or creation."""
    contacts: dict[uuid.UUID, datetime] = {}
    queries = [
        select(Client.id, Client.created_at).where(Client.organization_id == organization_id),
        select(Appointment.client_id, func.max(Appointment.starts_at))
        .where(Appointment.organization_id == organization_id)
        .group_by(Appointment.client_id),
        select(Intake.client_id, func.max(Intake.submitted_at))
        .where(Intake.organization_id == organization_id)
        .where(Intake.submitted_at.is_not(None))
        .group_by(Intake.client_id),
    ]
    for query in queries:
        if client_ids is not None:
            column = query.selected_columns[0]
            query = query.where(column.in_(client_ids))
        for client_id, moment in session.execute(query):
            if moment is None:
                continue
            if moment.tzinfo is None:  # aggregates bypass the column type on SQLite
                moment = moment.replace(tzinfo=UTC)
            if client_id not in contacts or moment > contacts[client_id]:
                contacts[client_id] = moment
    return contacts


@dataclass(frozen=True)
class RetentionLine:
    """One record type of one client: the rule, and when its retention period ends."""

    rule: RuleView
    retained_until: datetime | None  # None: no period set by the operator

    def within(self, now: datetime) -> bool:
        """Whether the law still asks the clinic to keep these records at ``now``."""
        return self.retained_until is None or now < self.retained_until


@dataclass(frozen=True)
class RetentionView:
    """A client's records against the organisation's retention rules."""

    last_contact: datetime | None
    lines: tuple[RetentionLine, ...]

    def holds(self, now: datetime) -> list[RetentionLine]:
        """The record types still within a retention period (or with none set)."""
        return [line for line in self.lines if line.rule.years != 0 and line.within(now)]


def retention_view(
    session: Session, organization: Organization, client_id: uuid.UUID
) -> RetentionView:
    """The client's last contact and, per record type, the date its retention ends."""
    last = last_contacts(session, organization.id, [client_id]).get(client_id)
    lines = []
    for rule in retention_rules(session, organization):
        until = None
        if rule.years is not None and last is not None:
            until = _add_years(last, rule.years)
        lines.append(RetentionLine(rule=rule, retained_until=until))
    return RetentionView(last_contact=last, lines=tuple(lines))


@dataclass(frozen=True)
class PastRetention:
    """A client whose records are all past their retention periods."""

    client_id: uuid.UUID
    last_contact: datetime
    retained_until: datetime


def past_retention(
    session: Session, organization: Organization, now: datetime
) -> list[PastRetention]:
    """Clients (not erased) whose every record type with a period is past it."""
    rules = [r for r in retention_rules(session, organization) if r.years]
    if not rules or any(
        r.years is None for r in retention_rules(session, organization) if r.record_type != MESSAGES
    ):
        return []
    longest = max(r.years or 0 for r in rules)
    active = set(
        session.scalars(
            select(Client.id)
            .where(Client.organization_id == organization.id)
            .where(Client.status != "erased")
        )
    )
    found = []
    for client_id, last in last_contacts(session, organization.id).items():
        if client_id not in active:
            continue
        until = _add_years(last, longest)
        if until <= now:
            found.append(
                PastRetention(client_id=client_id, last_contact=last, retained_until=until)
            )
    found.sort(key=lambda p: p.last_contact)
    return found
