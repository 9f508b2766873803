"""The phone number a text message goes to, read from a number as a person wrote it; pure."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s().\-/]")
_NUMBER = re.compile(r"\+?[0-9]{6,15}")


def sms_number(raw: str | None) -> str | None:
    """The number a text goes to, from a phone number as written on a record ("+1 (555)
    010-0123", "0044 7700 900123"): digits with an optional leading ``+``; None when it cannot
    be texted (letters, too short or too long, nothing at all)."""
    if not raw:
        return None
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if _NUMBER.fullmatch(compact) else None


def is_sms_number(value: str) -> bool:
    """Whether ``value`` is already a number as :func:`sms_number` writes it."""
    return _NUMBER.fullmatch(value) is not None
