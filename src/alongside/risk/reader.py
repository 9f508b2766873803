"""The risk reader: rules, classifier and instrument critical items fused into one reading.

It fails closed: a missing or corrupt model, an error or a text that takes longer than its
budget gives ``high`` with the signal ``reader_unavailable``, never ``none`` (DESIGN.md,
invariant 2). It reads; it never decides (NICE NG225): the level only orders the work.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from alongside.errors import InvalidInput
from alongside.risk import lexicon
from alongside.risk.classifier import RiskModel, load_model
from alongside.risk.embed import EMBEDDING_ID, Embedder
from alongside.risk.reading import Evidence, Level, RiskReading, unavailable_reading
from alongside.risk.rules import FEATURE_NAMES, read_rules

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


def _probability_level(probability: float, thresholds: dict[str, float]) -> Level:
    # The classifier alone says moderate (read promptly) or nothing: high and imminent need
    # evidence a clinician can check (a phrase, an instrument answer), and a "low" from a
    # small probability would only add noise between nearly identical texts.
    if probability >= thresholds["moderate"]:
        return Level.MODERATE
    return Level.NONE


class RiskReader:
    """Loads the model once and reads many texts; safe to share between threads."""

    def __init__(
        self,
        model: RiskModel | None,
        embedder: Embedder | None,
        *,
        budget_s: float | None = DEFAULT_BUDGET_S,
        error: str | None = None,
    ) -> None:
        self._model = model
        self._embedder = embedder
        self._budget_s = budget_s
        self._error = error
        if model is not None and model.uses_embeddings and embedder is None and error is None:
            self._error = "the model needs sentence embeddings and no embedder is loaded"

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        embedder: Embedder | None = None,
        budget_s: float | None = DEFAULT_BUDGET_S,
    ) -> RiskReader:
        """Load the model file (default: the one shipped) and the embedder; never raises."""
        try:
            model = load_model(path)
            if model.uses_embeddings and embedder is None:
                from alongside.risk.embed import MiniLMEmbedder

                embedder = MiniLMEmbedder()
        except Exception as exc:  # any failure to load must fail closed
            return cls(None, None, budget_s=budget_s, error=f"model not loaded: {exc}")
        return cls(model, embedder, budget_s=budget_s)

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
            "embedding": EMBEDDING_ID if model and model.uses_embeddings else "none",
        }

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
        text: str,
        items_level: Level,
        items_evidence: list[Evidence],
        items_reasons: list[str],
    ) -> RiskReading:
        model = self._model
        assert model is not None  # noqa: S101 - guarded by self._error in read()
        rules = read_rules(text)
        features = dict(zip(FEATURE_NAMES, rules.features(), strict=True))
        reasons: list[str] = []
        if not any(c.isalnum() for c in rules.masked_text):
            # Nothing left once idioms and explained-away sentences are set aside.
            probability, model_level = 0.0, Level.NONE
            reasons.append(
                "Classifier: nothing left to read once the rules set aside idioms "
                "and explained-away sentences."
            )
        else:
            tfidf_logit, top = model.tfidf.logit(rules.masked_text)
            embedding_logit, similarity = (
                model.embedding_scores(self._embedder, rules.masked_text)
                if self._embedder is not None
                else (0.0, 1.0)
            )
            features["tfidf_logit"] = tfidf_logit
            features["embedding_logit"] = embedding_logit
            probability = model.probability(features)
            words = ", ".join(f'"{t}"' for t, _ in top[:3])
            if rules.counted or similarity >= model.gate:
                model_level = _probability_level(probability, model.thresholds)
                reasons.append(
                    f"Classifier: probability {probability:.2f} ({model_level.value})"
                    + (f"; words that weighed most: {words}." if words else ".")
                )
            else:
                # Outside the classifier's applicability domain (unlike its training texts
                # and no phrase the rules recognise): its probability does not set the level.
                model_level = Level.NONE
                reasons.append(
                    f"Classifier: probability {probability:.2f}, not used for the level: the "
                    f"text is unlike the texts it learned from (similarity {similarity:.2f} "
                    f"< {model.gate:.2f}) and the rules found no risk phrase."
                )
        level = Level.highest(rules.level, model_level, items_level)
        if rules.level.rank > model_level.rank:
            reasons.append(f"Rules raise the level to {rules.level.value}.")
        if items_level.rank > Level.highest(rules.level, model_level).rank:
            reasons.append(f"Instrument critical items raise the level to {items_level.value}.")
        if not text.strip():
            reasons.append("No free text was given; only instrument items were read.")
        return RiskReading(
            level=level,
            probability=probability,
            evidence=rules.evidence + tuple(items_evidence),
            reasons=tuple(reasons) + rules.reasons + tuple(items_reasons),
            versions=self.versions,
        )


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
