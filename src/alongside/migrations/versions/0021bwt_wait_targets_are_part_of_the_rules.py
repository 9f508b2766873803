"""Wait targets are part of the triage rules: the review targets set on the oversight page
move into a version of the rules, and review_settings loses its target columns

Before, the review-wait targets lived in two places: review_settings (set on the oversight
page) and a ruleset version's ``wait_targets`` (copied into review_settings when the version
was activated), so the two could differ. From here on only the active version's targets
count. An organisation whose settings held targets other than its active version's gets a
new version of its rules carrying them (the active version's text with the targets written
in), activated with a reason saying so, so waits are measured as before. Downgrading puts the
active version's targets back into review_settings.

This migration reads and writes the database only; it imports nothing of the application but
its column type, so later changes to the code cannot change what it does.

Revision ID: 0021bwt
Revises: 0020sti
Create Date: 2026-11-30 16:00:00.000000
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

import alongside.models.base

revision: str = "0021bwt"
down_revision: str | None = "0020sti"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

URGENCIES = ("crisis", "urgent", "soon", "routine")
# Alongside's defaults when neither the settings nor the version set a target (as shipped).
DEFAULT_MINUTES = {"crisis": 60, "urgent": 24 * 60, "soon": 7 * 24 * 60, "routine": 28 * 24 * 60}
WAIT_COMMENT = (
    "# Review-wait targets (hours from proposal to first review, by urgency) while this version\n"
    "# is active: the clinic's own service standards. The queue, the waitlist and oversight\n"
    "# measure against them.\n"
)
NOTE = "The wait targets set on the oversight page, carried into the rules."
REASON = (
    "Wait targets became part of the triage rules: the targets set on the oversight page were "
    "written into this version unchanged, so waits are measured as before."
)
ACTIVATED_BY = "Alongside (upgrade)"
TIME = alongside.models.base.UTCDateTime(timezone=True)

settings_table = sa.table(
    "review_settings",
    sa.column("id", sa.Uuid()),
    sa.column("created_at", TIME),
    sa.column("organization_id", sa.Uuid()),
    *(sa.column(f"target_{urgency}_minutes", sa.Integer()) for urgency in URGENCIES),
)
versions_table = sa.table(
    "ruleset_versions",
    sa.column("id", sa.Uuid()),
    sa.column("created_at", TIME),
    sa.column("organization_id", sa.Uuid()),
    sa.column("ruleset_id", sa.String()),
    sa.column("version", sa.String()),
    sa.column("yaml_text", sa.Text()),
    sa.column("note", sa.String()),
    sa.column("created_by_id", sa.Uuid()),
    sa.column("activated_at", TIME),
    sa.column("activated_by_id", sa.Uuid()),
    sa.column("is_active", sa.Boolean()),
)
activations_table = sa.table(
    "ruleset_activations",
    sa.column("id", sa.Uuid()),
    sa.column("created_at", TIME),
    sa.column("organization_id", sa.Uuid()),
    sa.column("ruleset_version_id", sa.Uuid()),
    sa.column("previous", sa.String()),
    sa.column("activated_by_id", sa.Uuid()),
    sa.column("activated_by_name", sa.String()),
    sa.column("activated_at", TIME),
    sa.column("reason", sa.Text()),
    sa.column("wait_targets", sa.JSON()),
)


def upgrade() -> None:
    """Apply this migration."""
    _settings_into_rules()
    with op.batch_alter_table("review_settings", schema=None) as batch_op:
        for urgency in URGENCIES:
            batch_op.drop_column(f"target_{urgency}_minutes")


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("review_settings", schema=None) as batch_op:
        for urgency in URGENCIES:
            batch_op.add_column(sa.Column(f"target_{urgency}_minutes", sa.Integer(), nullable=True))
    _rules_into_settings()


def _default_text() -> str:
    # The built-in ruleset shipped with this code: the one in force where none is stored.
    return (
        resources.files("alongside")
        .joinpath("triage", "rules", "default.yaml")
        .read_text(encoding="utf-8")
    )


def _minutes_in(document: Mapping[str, Any]) -> dict[str, int]:
    """The wait targets a version sets, in minutes (the defaults where it sets none)."""
    block = document.get("wait_targets")
    if not isinstance(block, Mapping):
        return dict(DEFAULT_MINUTES)
    return {
        urgency: max(1, round(float(block.get(urgency, DEFAULT_MINUTES[urgency] / 60)) * 60))
        for urgency in URGENCIES
    }


def _hours_text(minutes: int) -> str:
    hours = minutes / 60
    return str(int(hours)) if hours.is_integer() else f"{round(hours, 6):g}"


def _next_version(current: str, taken: set[str]) -> str:
    """The next free version after ``current``: its last number plus one (2.0.0 → 2.0.1)."""
    match = re.fullmatch(r"(.*?)(\d+)", current)
    stem, number = (match.group(1), int(match.group(2))) if match else (current + ".", 0)
    while True:
        number += 1
        candidate = f"{stem}{number}"
        if candidate not in taken:
            return candidate


def _top_level(root: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    return next(
        (v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
    )


def _with_targets(text: str, version: str, minutes: Mapping[str, int]) -> str:
    """The YAML with a new version number and these wait targets, the rest as written."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[tuple[int, int, str]] = []
    version_node = _top_level(root, "version")
    if version_node is not None:
        edits.append(
            (version_node.start_mark.index, version_node.end_mark.index, json.dumps(version))
        )
    block = _top_level(root, "wait_targets")
    if isinstance(block, yaml.MappingNode):
        for key, value in block.value:
            if isinstance(key, yaml.ScalarNode) and key.value in minutes:
                hours = _hours_text(minutes[key.value])
                edits.append((value.start_mark.index, value.end_mark.index, hours))
    else:
        lines = "".join(f"  {u}: {_hours_text(minutes[u])}\n" for u in URGENCIES)
        ending = "" if text.endswith("\n") else "\n"
        edits.append((len(text), len(text), f"{ending}\n{WAIT_COMMENT}wait_targets:\n{lines}"))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _settings_into_rules() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    for row in bind.execute(sa.select(settings_table)).mappings().all():
        given = {u: row[f"target_{u}_minutes"] for u in URGENCIES}
        if all(value is None for value in given.values()):
            continue  # never set: the defaults, which a version without targets keeps
        wanted = {u: given[u] or DEFAULT_MINUTES[u] for u in URGENCIES}
        organization_id = row["organization_id"]
        active = (
            bind.execute(
                sa.select(versions_table)
                .where(versions_table.c.organization_id == organization_id)
                .where(versions_table.c.is_active.is_(True))
            )
            .mappings()
            .first()
        )
        text = active["yaml_text"] if active is not None else _default_text()
        document = yaml.safe_load(text)
        if _minutes_in(document) == wanted:
            continue
        ruleset_id, current = str(document["id"]), str(document["version"])
        taken = set(
            bind.execute(
                sa.select(versions_table.c.version)
                .where(versions_table.c.organization_id == organization_id)
                .where(versions_table.c.ruleset_id == ruleset_id)
            ).scalars()
        )
        version = _next_version(current, taken | {current})
        version_id = uuid.uuid4()
        bind.execute(
            sa.update(versions_table)
            .where(versions_table.c.organization_id == organization_id)
            .values(is_active=False)
        )
        bind.execute(
            sa.insert(versions_table).values(
                id=version_id,
                created_at=now,
                organization_id=organization_id,
                ruleset_id=ruleset_id,
                version=version,
                yaml_text=_with_targets(text, version, wanted),
                note=NOTE,
                created_by_id=None,
                activated_at=now,
                activated_by_id=None,
                is_active=True,
            )
        )
        bind.execute(
            sa.insert(activations_table).values(
                id=uuid.uuid4(),
                created_at=now,
                organization_id=organization_id,
                ruleset_version_id=version_id,
                previous=f"{ruleset_id} {current}",
                activated_by_id=None,
                activated_by_name=ACTIVATED_BY,
                activated_at=now,
                reason=REASON,
                wait_targets=wanted,
            )
        )


def _rules_into_settings() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    active = bind.execute(
        sa.select(versions_table.c.organization_id, versions_table.c.yaml_text).where(
            versions_table.c.is_active.is_(True)
        )
    ).all()
    for organization_id, text in active:
        document = yaml.safe_load(text)
        if not isinstance(document, Mapping) or "wait_targets" not in document:
            continue
        values = {f"target_{u}_minutes": m for u, m in _minutes_in(document).items()}
        updated = bind.execute(
            sa.update(settings_table)
            .where(settings_table.c.organization_id == organization_id)
            .values(**values)
        )
        if updated.rowcount == 0:
            bind.execute(
                sa.insert(settings_table).values(
                    id=uuid.uuid4(), created_at=now, organization_id=organization_id, **values
                )
            )
