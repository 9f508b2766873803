"""Scheduling: availability, appointments (no double booking), waitlist, preferences, feeds, rules.

No double booking is the database's job: on PostgreSQL two exclusion constraints over
``tstzrange(starts_at, ends_at)`` (``btree_gist``) for active appointments, one per clinician
and one per client; on SQLite, triggers that refuse an overlapping active row inside the
writing transaction (which begins IMMEDIATE, so such checks are serialised).

Revision ID: 6021861c60ec
Revises: e1d5cfe5f47f
Create Date: 2026-11-28 15:24:11.833527
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alongside.models.base

ACTIVE = "status NOT IN ('cancelled', 'rescheduled')"
OVERLAP_MESSAGE = "appointment_overlap"
_SQLITE_OVERLAP = (
    "EXISTS (SELECT 1 FROM appointments a WHERE a.{active} "
    "AND (a.clinician_id = NEW.clinician_id OR a.client_id = NEW.client_id) "
    "AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at{other})"
)


def _create_overlap_guards() -> None:
    """Refuse overlapping active appointments for one clinician or one client."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for who in ("clinician", "client"):
            op.execute(
                f"ALTER TABLE appointments ADD CONSTRAINT ex_appointments_{who}_overlap "
                f"EXCLUDE USING gist ({who}_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
                f"WHERE ({ACTIVE})"
            )
    elif dialect == "sqlite":
        new_active = "NEW." + ACTIVE
        insert_check = _SQLITE_OVERLAP.format(active=ACTIVE, other="")
        update_check = _SQLITE_OVERLAP.format(active=ACTIVE, other=" AND a.id != NEW.id")
        op.execute(
            "CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments "
            f"WHEN {new_active} AND {insert_check} "
            f"BEGIN SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE OF "
            "status, starts_at, ends_at, clinician_id, client_id ON appointments "
            f"WHEN {new_active} AND {update_check} "
            f"BEGIN SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}'); END"
        )


def _drop_overlap_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for who in ("clinician", "client"):
            op.execute(
                f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_{who}_overlap"
            )
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_update")


revision: str = "6021861c60ec"
down_revision: str | None = "e1d5cfe5f47f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "scheduling_rules",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("rescreen_interval_days", sa.Integer(), nullable=False),
        sa.Column("client_change_cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("reminder_offsets_hours", sa.JSON(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_rules_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_scheduling_rules")),
    )
    op.create_table(
        "client_preferences",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("modality", sa.String(length=40), nullable=True),
        sa.Column("modality_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("preferred_gender", sa.String(length=40), nullable=True),
        sa.Column("setting", sa.String(length=20), nullable=False),
        sa.Column("site_ids", sa.JSON(), nullable=False),
        sa.Column("times_of_day", sa.JSON(), nullable=False),
        sa.Column("population", sa.String(length=40), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("specialty", sa.LargeBinary(), nullable=True),
        sa.Column("remind_email", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("remind_webhook", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_preferences_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_client_preferences_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_preferences")),
    )
    with op.batch_alter_table("client_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_preferences_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "availability",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "weekly", "extra", "leave", name="availability_kind", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("local_start", sa.Time(), nullable=True),
        sa.Column("local_end", sa.Time(), nullable=True),
        sa.Column("starts_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_availability_clinician_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_availability_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability")),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_clinician_id"), ["clinician_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_availability_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "calendar_feeds",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_clinician_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_calendar_feeds_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_clinician_id"), ["clinician_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "waitlist_entries",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("pathway", sa.String(length=80), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "booked",
                "back_to_triage",
                "removed",
                name="waitlist_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decision_ref", sa.String(length=64), nullable=True),
        sa.Column("previous_clinician_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "next_rescreen_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_rescreen_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("rescreen_intake_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status_changed_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("baseline", sa.LargeBinary(), nullable=True),
        sa.Column("status_reason", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_waitlist_entries_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_waitlist_entries_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_waitlist_entries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_clinician_id"],
            ["users.id"],
            name=op.f("fk_waitlist_entries_previous_clinician_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rescreen_intake_id"],
            ["intakes.id"],
            name=op.f("fk_waitlist_entries_rescreen_intake_id_intakes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waitlist_entries_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_waitlist_entries_org_status", ["organization_id", "status"], unique=False
        )

    op.create_table(
        "appointments",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("waitlist_entry_id", sa.Uuid(), nullable=True),
        sa.Column("rescheduled_from_id", sa.Uuid(), nullable=True),
        sa.Column("booked_by_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "attended",
                "no_show",
                "cancelled",
                "rescheduled",
                name="appointment_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "assessment",
                "therapy",
                "review",
                name="appointment_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("setting", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", alongside.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", alongside.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["booked_by_id"],
            ["users.id"],
            name=op.f("fk_appointments_booked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_appointments_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_appointments_clinician_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_appointments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rescheduled_from_id"],
            ["appointments.id"],
            name=op.f("fk_appointments_rescheduled_from_id_appointments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_appointments_site_id_sites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["waitlist_entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_appointments_waitlist_entry_id_waitlist_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointments_client_starts", ["client_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_clinician_starts", ["clinician_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointments_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointments_status"), ["status"], unique=False)
    _create_overlap_guards()

    with op.batch_alter_table("clinician_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("populations", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("gender", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("in_person", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("telehealth", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("clinician_profiles", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("telehealth")
        batch_op.drop_column("in_person")
        batch_op.drop_column("gender")
        batch_op.drop_column("populations")

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_status"))
        batch_op.drop_index(batch_op.f("ix_appointments_organization_id"))
        batch_op.drop_index("ix_appointments_clinician_starts")
        batch_op.drop_index("ix_appointments_client_starts")

    _drop_overlap_guards()
    op.drop_table("appointments")
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_entries_org_status")
        batch_op.drop_index(batch_op.f("ix_waitlist_entries_client_id"))

    op.drop_table("waitlist_entries")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_organization_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_clinician_id"))

    op.drop_table("calendar_feeds")
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_organization_id"))
        batch_op.drop_index(batch_op.f("ix_availability_clinician_id"))

    op.drop_table("availability")
    with op.batch_alter_table("client_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_preferences_organization_id"))

    op.drop_table("client_preferences")
    op.drop_table("scheduling_rules")
