"""Split the client's words into plain and highlighted pieces at the risk reader's evidence.

Pure. The template wraps highlighted pieces in ``<mark>``; the text itself is always escaped
by the template, never turned into markup here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Evidence entries that are not phrases of the text (the reader failed; an instrument item).
NOT_PHRASES = frozenset({"reader_unavailable", "critical_item"})


@dataclass(frozen=True)
class Piece:
    """A run of the client's text, highlighted when it is evidence, with the reader's signal."""

    text: str
    highlighted: bool
    signal: str = ""


def _spans(text: str, evidence: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for entry in evidence:
        signal = str(entry.get("signal") or "")
        if signal in NOT_PHRASES:
            continue
        try:
            start, end = int(entry.get("start", 0)), int(entry.get("end", 0))
        except (TypeError, ValueError):
            continue
        start, end = max(start, 0), min(end, len(text))
        if start < end:
            spans.append((start, end, signal))
    return sorted(spans)


def highlight(text: str, evidence: Iterable[Mapping[str, Any]]) -> list[Piece]:
    """The text in order, evidence spans marked; overlapping spans merge into one mark."""
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, signal in _spans(text, evidence):
        if merged and start <= merged[-1][1]:
            last_start, last_end, signals = merged[-1]
            if signal and signal not in signals:
                signals.append(signal)
            merged[-1] = (last_start, max(last_end, end), signals)
        else:
            merged.append((start, end, [signal] if signal else []))
    pieces: list[Piece] = []
    position = 0
    for start, end, signals in merged:
        if start > position:
            pieces.append(Piece(text[position:start], False))
        pieces.append(Piece(text[start:end], True, ", ".join(signals)))
        position = end
    if position < len(text):
        pieces.append(Piece(text[position:], False))
    return pieces
