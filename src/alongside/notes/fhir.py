"""FHIR R4B export of signed progress notes: a ``Composition`` and a ``DocumentReference``.

Pure: plain values in, JSON-ready dicts out, each validated with ``fhir.resources.R4B``
(an invalid resource raises :class:`InvalidInput` instead of leaving Alongside). The note's
type is LOINC 11506-3 (Progress note). Addenda appear as a section of their own, each signed
and dated. The client and the clinicians appear as references by id.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.documentreference import DocumentReference
from pydantic import ValidationError

from alongside.errors import InvalidInput

PROGRESS_NOTE = {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}


@dataclass(frozen=True, slots=True)
class AddendumEntry:
    """An addendum as the export shows it."""

    text: str
    author_id: str | None
    author_name: str
    signed_at: datetime


def _validated(model: type[Any], resource: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = model.model_validate(resource)
    except ValidationError as exc:
        raise InvalidInput(f"Invalid FHIR {resource.get('resourceType')}: {exc}") from None
    out: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return out


def _instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _div(paragraphs: Sequence[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) or "<p>(empty)</p>"
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'


def note_bundle(
    *,
    note_id: str,
    client_id: str,
    title: str,
    author_id: str | None,
    author_name: str,
    signed_at: datetime,
    sections: Sequence[tuple[str, Sequence[str]]],
    addenda: Sequence[AddendumEntry],
    encounter_id: str | None = None,
) -> dict[str, Any]:
    """A ``collection`` Bundle of the note's Composition and DocumentReference."""
    author = {"reference": f"Practitioner/{author_id}", "display": author_name}
    fhir_sections = [
        {"title": heading, "text": {"status": "generated", "div": _div(list(sentences))}}
        for heading, sentences in sections
    ]
    if addenda:
        fhir_sections.append(
            {
                "title": "Addenda",
                "text": {
                    "status": "generated",
                    "div": _div(
                        [
                            f"{a.signed_at:%Y-%m-%d %H:%M} UTC, signed by {a.author_name}: {a.text}"
                            for a in addenda
                        ]
                    ),
                },
            }
        )
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": note_id,
        "status": "amended" if addenda else "final",
        "type": {"coding": [PROGRESS_NOTE]},
        "subject": {"reference": f"Patient/{client_id}"},
        "date": _instant(signed_at),
        "author": [author],
        "title": title,
        "attester": [{"mode": "legal", "time": _instant(signed_at), "party": author}],
        "section": fhir_sections,
    }
    if encounter_id is not None:
        composition["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    composition = _validated(Composition, composition)
    text = "\n\n".join(f"{heading}\n" + " ".join(sentences) for heading, sentences in sections)
    if addenda:
        text += "\n\nAddenda\n" + "\n".join(
            f"{a.signed_at:%Y-%m-%d %H:%M} UTC, {a.author_name}: {a.text}" for a in addenda
        )
    reference = _validated(
        DocumentReference,
        {
            "resourceType": "DocumentReference",
            "id": f"{note_id}-document",
            "status": "current",
            "docStatus": "amended" if addenda else "final",
            "type": {"coding": [PROGRESS_NOTE]},
            "subject": {"reference": f"Patient/{client_id}"},
            "date": _instant(signed_at),
            "author": [author],
            "description": title,
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                        "title": title,
                    }
                }
            ],
            "context": {"related": [{"reference": f"Composition/{note_id}"}]},
        },
    )
    return _validated(
        Bundle,
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": composition}, {"resource": reference}],
        },
    )
