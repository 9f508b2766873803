"""The risk reader: classifier, rules and instrument critical items fused into one reading.

It reads every window of the text (a few sentences each) and the whole text, and the level
is the highest any of them supports, so one risk sentence in 2,000 words counts. The rules
are evidence, never a veto: nothing is blanked before the classifier, and a phrase the rules
would set aside (negated, about someone else, an idiom, a question) is set aside only when
the classifier agrees that its window carries no risk. An English text with words in no
English word list is read a second time with their spelling put right, and the higher
reading is kept, its evidence quoting the client's own words (``alongside.risk.spelling``).

It fails closed: a missing, altered or corrupt model, an error or a text that takes longer
than its budget gives ``high`` with ``needs_human_reading``, never ``none`` (DESIGN.md,
invariant 2). It reads; it never decides (NICE NG225): the level only orders the work.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TypeVar

from alongside.errors import InvalidInput
from alongside.risk import lexicon
from alongside.risk.classifier import RiskModel, load_model
from alongside.risk.language import Detected, detect, load_detector
from alongside.risk.reading import Evidence, Level, RiskReading, RiskSignal, unavailable_reading
from alongside.risk.rules import Mention, level_of, normalise, read_rules
from alongside.risk.signals import (
    construct_of,
    model_signal,
    other_subject,
    recency_of,
    sentences,
    windows,
)
from alongside.risk.spelling import Corrected, correct, speller

DEFAULT_BUDGET_S: Final = 1.0

# Instrument flags and the lowest level each implies. C-SSRS screener (Posner et al. 2011;
# Columbia Lighthouse Project triage guidance): yes to 1 or 2 only -> low; yes to 3, or 6
# longer ago than three months -> moderate; yes to 4 or 5, or 6 within three months -> high.
# PHQ-9 item 9 (Kroenke et al. 2001) is a critical item at any value >= 1; Alongside reads it
# as at least moderate so that a clinician looks promptly (project policy, not a cut-off).
CRITICAL_ITEMS: Final[dict[str, tuple[Level, str]]] = {
    "phq9-item9": (
        Level.MODERATE,
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) endorsed",
    ),
    "cssrs-q1": (Level.LOW, "C-SSRS 1 (wish to be dead) answered yes"),
    "cssrs-q2": (Level.LOW, "C-SSRS 2 (non-specific suicidal thoughts) answered yes"),
    "cssrs-q3": (Level.MODERATE, "C-SSRS 3 (thoughts of a method) answered yes"),
    "cssrs-q4": (Level.HIGH, "C-SSRS 4 (suicidal intent) answered yes"),
    "cssrs-q5": (Level.HIGH, "C-SSRS 5 (intent with a plan) answered yes"),
    "cssrs-q6": (
        Level.HIGH,
        "C-SSRS 6 (suicidal behaviour) answered yes, timing not given: read as recent",
    ),
    "cssrs-q6-recent": (Level.HIGH, "C-SSRS 6 (suicidal behaviour) within the past three months"),
    "cssrs-q6-lifetime": (
        Level.MODERATE,
        "C-SSRS 6 (suicidal behaviour) longer ago than three months",
    ),
}


def read_critical_items(items: Sequence[str]) -> tuple[Level, list[Evidence], list[str]]:
    """Level floor, evidence and reasons from instrument critical items."""
    level = Level.NONE
    evidence: list[Evidence] = []
    reasons: list[str] = []
    for raw in items:
        if not isinstance(raw, str):
            raise InvalidInput(f"critical items must be strings, got {type(raw).__name__}")
        name = raw.strip().lower().replace("_", "-")
        if not name:
            continue
        floor, why = CRITICAL_ITEMS.get(
            name,
            # An unknown flag still came from an instrument that flagged something: count it
            # rather than drop it silently.
            (
                Level.MODERATE,
                f"critical item '{raw}' is not one the reader knows; read as moderate",
            ),
        )
        level = Level.highest(level, floor)
        evidence.append(Evidence(start=0, end=0, text=raw, signal="critical_item"))
        reasons.append(f"Instrument: {why} (at least {floor.value}).")
    return level, evidence, reasons


class RiskReader:
    """Loads the model once and reads many texts; safe to share between threads."""

    def __init__(
        self,
        model: RiskModel | None,
        *,
        budget_s: float | None = DEFAULT_BUDGET_S,
        error: str | None = None,
    ) -> None:
        self._model = model
        self._budget_s = budget_s
        self._error = error if model is not None or error else "no model loaded"

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        budget_s: float | None = DEFAULT_BUDGET_S,
    ) -> RiskReader:
        """Load and verify the model (default: the one shipped); never raises."""
        try:
            model = load_model(path)
            # Loaded now, so that the first text does not pay for it (and a broken detector
            # fails closed at load rather than on a client's text).
            load_detector()
            speller()
        except Exception as exc:  # any failure to load must fail closed
            return cls(None, budget_s=budget_s, error=f"model not loaded: {exc}")
        return cls(model, budget_s=budget_s)

    @property
    def available(self) -> bool:
        """False when every reading will be the fail-closed ``high``."""
        return self._error is None

    @property
    def versions(self) -> dict[str, str]:
        """Rules, model and data versions this reader stamps on each reading."""
        model = self._model
        return {
            "rules": lexicon.RULES_VERSION,
            "model": model.version if model else "unavailable",
            "data_digest": model.data_digest if model else "unknown",
        }

    @property
    def model(self) -> RiskModel | None:
        """The loaded model (None when unavailable)."""
        return self._model

    def read(self, text: str, critical_items: Sequence[str] = ()) -> RiskReading:
        """Read one text; any failure or a text over budget gives the fail-closed reading."""
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a string, got {type(text).__name__}")
        if isinstance(critical_items, str):
            raise InvalidInput("critical_items must be a list of item names, not one string")
        items_level, items_evidence, items_reasons = read_critical_items(critical_items)
        if self._error is not None:
            return self._fail(self._error, items_evidence, items_reasons)
        if self._budget_s is None:
            try:
                return self._read(text, items_level, items_evidence, items_reasons)
            except Exception as exc:  # fail closed on anything
                return self._fail(f"error: {exc!r}", items_evidence, items_reasons)
        result: list[RiskReading] = []
        failure: list[BaseException] = []

        def work() -> None:
            try:
                result.append(self._read(text, items_level, items_evidence, items_reasons))
            except BaseException as exc:  # reported to the caller below
                failure.append(exc)

        # A daemon thread per text: one stuck text cannot block the texts after it.
        worker = threading.Thread(target=work, name="risk-read", daemon=True)
        worker.start()
        worker.join(self._budget_s)
        if worker.is_alive():
            return self._fail(
                f"took longer than its budget of {self._budget_s:g} s",
                items_evidence,
                items_reasons,
            )
        if failure:
            return self._fail(f"error: {failure[0]!r}", items_evidence, items_reasons)
        return result[0]

    def _fail(self, why: str, evidence: list[Evidence], reasons: list[str]) -> RiskReading:
        base = unavailable_reading(why, self.versions)
        return base.model_copy(
            update={
                "evidence": base.evidence + tuple(evidence),
                "reasons": base.reasons + tuple(reasons),
            }
        )

    def _read(
        self,
        raw_text: str,
        items_level: Level,
        items_evidence: list[Evidence],
        items_reasons: list[str],
    ) -> RiskReading:
        model = self._model
        assert model is not None  # noqa: S101 - guarded by self._error in read()
        text = normalise(raw_text)
        language = detect(text) if text.strip() else None
        # One cache of the classifier's readings for both readings below: a window that no
        # correction touched is the same passage, looked up rather than read again.
        read = _Reads(model)
        first = self._read_text(
            model, text, language, read, items_level, items_evidence, items_reasons
        )
        if language is not None and not language.validated:
            return first  # English spelling says nothing about another language
        fixed = correct(text)
        if not fixed.changed:
            return first
        # A typo in the one word that carries the risk must not hide it: read the text again
        # with each unknown word put right, and keep the higher reading (module spelling).
        second = self._read_text(model, fixed.text, language, read, Level.NONE, [], [])
        # Kept when it reads higher, or names a C-SSRS fact the first did not ("endnig my
        # life" is ideation once spelt right): triage reads the facts, not only the level.
        named = {s.construct for s in first.signals}
        if second.level.rank <= first.level.rank and all(
            s.construct in named for s in second.signals
        ):
            return first
        return _with_spelling_reading(first, second, fixed, text)

    def _read_text(
        self,
        model: RiskModel,
        text: str,
        language: Detected | None,
        read: _Reads,
        items_level: Level,
        items_evidence: list[Evidence],
        items_reasons: list[str],
    ) -> RiskReading:
        """One reading of one text (the client's, or the same with its spelling put right)."""
        reasons: list[str] = []
        evidence: list[Evidence] = []
        signals: list[RiskSignal] = []
        rules = read_rules(text)
        threshold = model.thresholds["moderate"]
        spans = windows(text)
        probability = 0.0
        model_level = Level.NONE
        window_p: list[float] = []
        window_c: list[list[float]] = []
        if spans:
            window_p, window_c = read([text[a:b] for a, b in spans])
            best = max(range(len(spans)), key=lambda i: window_p[i])
            probability = window_p[best]
            if probability >= threshold:
                model_level = Level.MODERATE
            where = "" if len(spans) == 1 else f" (highest of {len(spans)} windows)"
            reasons.append(
                f"Classifier: probability {probability:.2f}{where}; moderate from "
                f"{threshold:.2f} ({model_level.value})."
            )

        sentence_p: dict[tuple[int, int], float] = {}

        def agrees_risk(m: Mention) -> bool:
            """True when the classifier reads risk in the mention's own sentence.

            Its sentence, not its window: in a text read whole, risk elsewhere in the text
            must not undo "denies thoughts of self-harm" in another sentence.
            """
            a, b = m.sentence
            if not any(
                p >= threshold for (s, e), p in zip(spans, window_p, strict=True) if s < b and a < e
            ):
                return False
            if (a, b) not in sentence_p:
                sentence_p[(a, b)] = read([text[a:b]])[0][0]
            return sentence_p[(a, b)] >= threshold

        level = Level.highest(rules.level, model_level, items_level)
        counted: list[Mention] = []
        for m in rules.mentions:
            if m.context is None:
                counted.append(m)
            elif agrees_risk(m):
                counted.append(m)
                reasons.append(
                    f'"{m.text}" would be set aside by the rules ({m.context.replace("_", " ")}), '
                    "but the classifier reads risk in its sentence: counted."
                )
                level = Level.highest(level, level_of(m))
            elif m.context == "third_person" and other_subject(text, m.sentence):
                construct = construct_of(m, text)
                if construct is not None:
                    a, b = _trim(text, m.sentence)
                    signals.append(
                        RiskSignal(
                            construct=construct,
                            recency=recency_of(construct, text[a:b], _around(text, spans, a)),
                            subject="other",
                            start=a,
                            end=b,
                            text=text[a:b],
                        )
                    )
        for m in counted:
            evidence.append(Evidence(start=m.start, end=m.end, text=m.text, signal=m.signal))
            construct = construct_of(m, text)
            if construct is not None:
                a, b = _trim(text, m.sentence)
                signals.append(
                    RiskSignal(
                        construct=construct,
                        recency=recency_of(construct, text[a:b], _around(text, spans, a)),
                        start=a,
                        end=b,
                        text=text[a:b],
                    )
                )
        if model_level is Level.MODERATE:
            # The classifier alone sets the level and shows the sentence to read; it never
            # names a C-SSRS fact. A fact escalates to crisis only from a phrase in the
            # client's words that a clinician can check (the classifier's construct heads
            # fire together on ordinary sentences such as "hello, I had lunch").
            evidence.extend(
                _model_evidence(model, text, spans, window_p, window_c, threshold, counted, read)
            )
        if rules.level.rank > model_level.rank:
            reasons.append(f"Rules raise the level to {rules.level.value}.")
        if items_level.rank > Level.highest(rules.level, model_level).rank:
            reasons.append(f"Instrument critical items raise the level to {items_level.value}.")
        needs_human = False
        if language is not None and not language.validated:
            needs_human = True
            if level.rank < Level.MODERATE.rank:
                level = Level.MODERATE
            reasons.insert(
                0,
                f"The text looks like {language.name}; the reader is validated for English "
                "only, so a person who reads the language must read it (at least moderate).",
            )
        if not text.strip():
            reasons.append("No free text was given; only instrument items were read.")
        return RiskReading(
            level=level,
            probability=probability,
            evidence=_unique(evidence) + tuple(items_evidence),
            reasons=tuple(reasons) + rules.reasons + tuple(items_reasons),
            versions=self.versions,
            signals=_unique(signals),
            needs_human_reading=needs_human,
            language=language.code if language is not None else None,
        )


def _model_evidence(
    model: RiskModel,
    text: str,
    spans: list[tuple[int, int]],
    window_p: list[float],
    window_c: list[list[float]],
    threshold: float,
    counted: list[Mention],
    read: _Reads,
) -> list[Evidence]:
    """Evidence for windows the classifier reads as risk: the sentence that carried it."""
    evidence: list[Evidence] = []
    for (a, b), p, heads in zip(spans, window_p, window_c, strict=True):
        if p < threshold:
            continue
        if any(a <= m.start < b for m in counted):
            continue  # the rules already name the sentence in this window
        parts = [
            s for s in sentences(text) if a <= s[0] and s[1] <= b and text[s[0] : s[1]].strip()
        ]
        if not parts:
            continue
        if len(parts) == 1:
            sentence, sentence_heads = parts[0], heads
        else:
            risk, constructs = read([text[s:e] for s, e in parts])
            top = max(range(len(parts)), key=lambda i: risk[i])
            if risk[top] >= threshold:
                sentence, sentence_heads = parts[top], constructs[top]
            else:
                # No sentence carries it alone: the passage together does. Show the
                # passage, not an ordinary sentence that happened to score highest.
                sentence, sentence_heads = (parts[0][0], parts[-1][1]), heads
        s, e = _trim(text, sentence)
        found = model_signal(sentence_heads, model.construct_thresholds)
        evidence.append(Evidence(start=s, end=e, text=text[s:e], signal=found.evidence))
        if len(spans) == 1:
            break
    return evidence


class _Reads:
    """The classifier's readings within one text, each distinct passage read once.

    The model reads every passage alone (see ``RiskModel.logits``), so a sentence that is
    also a window, or that two windows share, has one reading: it is looked up, not re-read.
    """

    def __init__(self, model: RiskModel) -> None:
        self._model = model
        self._seen: dict[str, tuple[float, list[float]]] = {}

    def __call__(self, passages: Sequence[str]) -> tuple[list[float], list[list[float]]]:
        keys = [p.strip() for p in passages]
        new = list(dict.fromkeys(k for k in keys if k not in self._seen))
        if new:
            risk, constructs = self._model.probabilities(new)
            for k, p, heads in zip(new, risk, constructs, strict=True):
                self._seen[k] = (float(p), [float(v) for v in heads])
        return [self._seen[k][0] for k in keys], [self._seen[k][1] for k in keys]


def _with_spelling_reading(
    first: RiskReading, second: RiskReading, fixed: Corrected, text: str
) -> RiskReading:
    """The first reading with what the reading of the text spelt right adds: its level when
    higher, its evidence and its C-SSRS facts.

    Its evidence and signals are mapped back onto the client's own words (the misspelt word
    is quoted as written); its reasons say which words were read as what.
    """
    evidence = []
    for e in second.evidence:
        a, b = fixed.span(e.start, e.end)
        evidence.append(Evidence(start=a, end=b, text=text[a:b], signal=e.signal))
    signals = []
    for s in second.signals:
        a, b = fixed.span(s.start, s.end)
        signals.append(dataclasses.replace(s, start=a, end=b, text=text[a:b]))
    words = ", ".join(f'"{wrong}" as "{right}"' for wrong, right in fixed.words[:6])
    more = f" and {len(fixed.words) - 6} more" if len(fixed.words) > 6 else ""
    reasons = (
        *first.reasons,
        f"Read again with spelling put right ({words}{more}): {second.level.value}.",
        *(f"With spelling put right: {r}" for r in second.reasons if r not in first.reasons),
    )
    return first.model_copy(
        update={
            "level": Level.highest(first.level, second.level),
            "probability": max(first.probability, second.probability),
            "evidence": _unique(evidence + list(first.evidence)),
            "reasons": reasons,
            "signals": _unique(signals + list(first.signals)),
        }
    )


def _around(text: str, spans: list[tuple[int, int]], position: int) -> str:
    """The window that holds a position (the whole text when it is read whole)."""
    for a, b in spans:
        if a <= position < b:
            return text[a:b]
    return ""


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int]:
    a, b = span
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


_T = TypeVar("_T")


def _unique(items: list[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))


_default_reader: RiskReader | None = None
_default_lock = threading.Lock()


def default_reader() -> RiskReader:
    """The process-wide reader with the shipped model, loaded on first use."""
    global _default_reader
    with _default_lock:
        if _default_reader is None:
            _default_reader = RiskReader.load()
        return _default_reader


def read_risk(text: str, *, critical_items: Sequence[str] = ()) -> RiskReading:
    """Read one client's own words (and instrument critical items) for risk."""
    return default_reader().read(text, critical_items)
