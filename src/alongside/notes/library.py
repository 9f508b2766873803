"""Note and safety-plan templates, kept as versioned YAML next to this module (with sources)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from alongside.notes.compose import SLOTS, NoteTemplate, TemplateSection

TEMPLATES_DIR = Path(__file__).parent / "templates"
SAFETY_PLAN_ID = "safety-plan"


class UnknownTemplate(LookupError):
    """No template with this id."""


@dataclass(frozen=True, slots=True)
class SafetyPlanStep:
    """One step of the safety planning intervention."""

    key: str
    title: str
    prompt: str


@dataclass(frozen=True, slots=True)
class SafetyPlanTemplate:
    """The six steps, their version and their source."""

    id: str
    version: str
    title: str
    source: str
    steps: tuple[SafetyPlanStep, ...]


def _read(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path.name}: a template is a mapping")
    return loaded


def _note_template(raw: dict[str, Any]) -> NoteTemplate:
    sections = tuple(
        TemplateSection(
            key=str(s["key"]),
            title=str(s["title"]),
            hint=str(s.get("hint", "")),
            labels=tuple(str(label) for label in s.get("labels", [])),
            receives=tuple(str(slot) for slot in s.get("receives", [])),
        )
        for s in raw["sections"]
    )
    for section in sections:
        unknown = set(section.receives) - SLOTS
        if unknown:
            raise ValueError(f"{raw['id']}: section {section.key} receives unknown {unknown}")
    template = NoteTemplate(
        id=str(raw["id"]),
        version=str(raw["version"]),
        title=str(raw["title"]),
        source=" ".join(str(raw["source"]).split()),
        default_section=str(raw["default_section"]),
        sections=sections,
    )
    template.section(template.default_section)
    return template


@cache
def note_templates() -> dict[str, NoteTemplate]:
    """Every progress note template shipped, by id."""
    found: dict[str, NoteTemplate] = {}
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        raw = _read(path)
        if raw["id"] != SAFETY_PLAN_ID:
            found[str(raw["id"])] = _note_template(raw)
    return found


def note_template(template_id: str) -> NoteTemplate:
    """One progress note template."""
    try:
        return note_templates()[template_id]
    except KeyError:
        raise UnknownTemplate(template_id) from None


@cache
def safety_plan_template() -> SafetyPlanTemplate:
    """The Stanley & Brown safety planning intervention's six steps."""
    raw = _read(TEMPLATES_DIR / f"{SAFETY_PLAN_ID}.yaml")
    return SafetyPlanTemplate(
        id=str(raw["id"]),
        version=str(raw["version"]),
        title=str(raw["title"]),
        source=" ".join(str(raw["source"]).split()),
        steps=tuple(
            SafetyPlanStep(key=str(s["key"]), title=str(s["title"]), prompt=str(s["prompt"]))
            for s in raw["steps"]
        ),
    )
