"""The reader with a small hand-made model: fusion, critical items, and failing closed."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from alongside.errors import InvalidInput
from alongside.risk import CRITICAL_ITEMS, Level, RiskReader, RiskReading, read_critical_items
from alongside.risk.classifier import FORMAT, ModelFileError, load_model
from alongside.risk.embed import EMBEDDING_ID
from alongside.risk.rules import FEATURE_NAMES


class FakeEmbedder:
    """A deterministic embedder: the same unit vector for every text."""

    def embed(self, texts: Sequence[str]) -> Any:
        v = np.zeros((len(texts), 384), dtype=np.float32)
        v[:, 0] = 1.0
        return v


class RaisingEmbedder:
    """An embedder that breaks, as a corrupt ONNX session would."""

    def embed(self, texts: Sequence[str]) -> Any:
        raise RuntimeError("onnxruntime exploded")


class BlockingEmbedder:
    """An embedder that hangs until released: stands for a stuck model."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def embed(self, texts: Sequence[str]) -> Any:
        self.release.wait()
        return FakeEmbedder().embed(texts)


def small_model(**overrides: Any) -> dict[str, Any]:
    """A tiny valid model: 'hopeless' and 'die' push the probability up."""
    names = ["tfidf_logit", "embedding_logit", *FEATURE_NAMES]
    model: dict[str, Any] = {
        "format": FORMAT,
        "version": "risk-test",
        "data_digest": "0" * 64,
        "tfidf": {
            "ngram_max": 2,
            "stop_words": ["black"],
            "terms": ["hopeless", "die", "lunch", "tired"],
            "idf": [1.5, 1.5, 1.2, 1.3],
            "coef": [4.0, 4.0, -3.0, 1.0],
            "intercept": -2.0,
        },
        "embedding": {
            "model": EMBEDDING_ID,
            "coef": [0.0] * 384,
            "intercept": 0.0,
            "centroid": [1.0] + [0.0] * 383,
            "gate": 0.5,
        },
        "fusion": {"names": names, "coef": [1.0] + [0.0] * (len(names) - 1), "intercept": 0.0},
        "thresholds": {"moderate": 0.5},
    }
    model.update(overrides)
    return model


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    path = tmp_path / "risk-model.json"
    path.write_text(json.dumps(small_model()))
    return path


@pytest.fixture
def reader(model_path: Path) -> RiskReader:
    return RiskReader.load(model_path, embedder=FakeEmbedder(), budget_s=None)


def assert_fail_closed(reading: RiskReading) -> None:
    assert reading.level == Level.HIGH
    assert "reader_unavailable" in {e.signal for e in reading.evidence}
    assert reading.reasons
    assert "clinician must read it urgently" in reading.reasons[0]


def test_loads_the_small_model(model_path: Path) -> None:
    model = load_model(model_path)
    assert model.version == "risk-test"
    assert model.uses_embeddings


def test_classifier_alone_reaches_moderate_at_most(reader: RiskReader) -> None:
    reading = reader.read("hopeless hopeless tired")
    assert reading.level == Level.MODERATE
    assert reading.probability > 0.5
    assert any(r.startswith("Classifier: probability") for r in reading.reasons)


def test_neutral_text_reads_none(reader: RiskReader) -> None:
    reading = reader.read("lunch")
    assert reading.level == Level.NONE
    assert reading.versions["model"] == "risk-test"


def test_rules_raise_the_level_above_the_classifier(reader: RiskReader) -> None:
    reading = reader.read("I have a plan to kill myself tonight, I wrote a suicide note.")
    assert reading.level == Level.IMMINENT
    assert {"plan", "intent"} & {e.signal for e in reading.evidence}


def test_explained_away_text_reads_none_with_zero_probability(reader: RiskReader) -> None:
    reading = reader.read("My friend wants to die.")
    assert reading.level == Level.NONE
    assert reading.probability == 0.0


def test_outside_applicability_domain_the_classifier_does_not_set_the_level(
    model_path: Path,
) -> None:
    raw = small_model()
    raw["embedding"]["centroid"] = [0.0, 1.0] + [0.0] * 382
    model_path.write_text(json.dumps(raw))
    reader = RiskReader.load(model_path, embedder=FakeEmbedder(), budget_s=None)
    # "die" alone is no rules phrase, so only the classifier could raise this text.
    reading = reader.read("die die")
    assert reading.level == Level.NONE
    assert reading.probability > 0.5
    assert any("unlike the texts it learned from" in r for r in reading.reasons)


@pytest.mark.parametrize(
    ("items", "level"),
    [
        (["phq9-item9"], Level.MODERATE),
        (["cssrs-q1"], Level.LOW),
        (["cssrs-q2", "cssrs-q3"], Level.MODERATE),
        (["cssrs-q4"], Level.HIGH),
        (["CSSRS_Q5"], Level.HIGH),
        (["cssrs-q6-recent"], Level.HIGH),
        (["cssrs-q6-lifetime"], Level.MODERATE),
        (["something-new"], Level.MODERATE),
    ],
)
def test_critical_items_set_a_floor(reader: RiskReader, items: list[str], level: Level) -> None:
    reading = reader.read("lunch", critical_items=items)
    assert reading.level == level
    assert [e.text for e in reading.evidence if e.signal == "critical_item"] == items


def test_every_known_critical_item_has_a_reason() -> None:
    level, evidence, reasons = read_critical_items(list(CRITICAL_ITEMS))
    assert level == Level.HIGH
    assert len(evidence) == len(reasons) == len(CRITICAL_ITEMS)


def test_critical_items_apply_without_text(reader: RiskReader) -> None:
    reading = reader.read("", critical_items=["cssrs-q4"])
    assert reading.level == Level.HIGH


def test_bad_arguments_are_refused(reader: RiskReader) -> None:
    with pytest.raises(InvalidInput):
        reader.read(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        reader.read("text", critical_items="phq9-item9")
    with pytest.raises(InvalidInput):
        reader.read("text", critical_items=[9])  # type: ignore[list-item]


def test_reading_is_frozen_and_serialises(reader: RiskReader) -> None:
    reading = reader.read("I want to die.")
    with pytest.raises(ValidationError):
        reading.level = Level.NONE  # type: ignore[misc]
    data = reading.to_dict()
    assert set(data) == {
        "level",
        "probability",
        "evidence",
        "reasons",
        "versions",
        "signals",
        "needs_human_reading",
        "language",
    }
    assert set(data["versions"]) >= {"rules", "model", "data_digest"}
    assert json.loads(json.dumps(data)) == data
    assert data["evidence"] == [
        {"start": 2, "end": 13, "text": "want to die", "signal": "ideation"}
    ]


# --- failing closed -------------------------------------------------------------------------


def test_missing_model_file_fails_closed(tmp_path: Path) -> None:
    reader = RiskReader.load(tmp_path / "nope.json", embedder=FakeEmbedder())
    assert not reader.available
    assert_fail_closed(reader.read("lunch"))


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "\x00\x01binary",
        json.dumps({"format": "something-else"}),
        json.dumps(small_model(thresholds={"low": 0.1, "moderate": 0.5})),
        json.dumps(small_model(thresholds={"moderate": 1.5})),
        json.dumps(small_model(fusion={"names": ["tfidf_logit"], "coef": [1, 2], "intercept": 0})),
        json.dumps(small_model(tfidf={**small_model()["tfidf"], "coef": [1.0]})),
        json.dumps(small_model(tfidf={**small_model()["tfidf"], "idf": [1, 1, 1, None]})),
        json.dumps(small_model(embedding={**small_model()["embedding"], "model": "other"})),
        json.dumps({k: v for k, v in small_model().items() if k != "thresholds"}),
    ],
)
def test_corrupt_model_file_fails_closed(tmp_path: Path, content: str) -> None:
    path = tmp_path / "risk-model.json"
    path.write_text(content)
    with pytest.raises(ModelFileError):
        load_model(path)
    reader = RiskReader.load(path, embedder=FakeEmbedder())
    assert_fail_closed(reader.read("I feel fine today"))


def test_raising_embedder_fails_closed(model_path: Path) -> None:
    reader = RiskReader.load(model_path, embedder=RaisingEmbedder(), budget_s=None)
    reading = reader.read("hopeless")
    assert_fail_closed(reading)
    assert "onnxruntime exploded" in reading.reasons[0]


def test_raising_embedder_fails_closed_under_a_budget(model_path: Path) -> None:
    reader = RiskReader.load(model_path, embedder=RaisingEmbedder(), budget_s=30.0)
    assert_fail_closed(reader.read("hopeless"))


def test_text_over_budget_fails_closed(model_path: Path) -> None:
    embedder = BlockingEmbedder()
    reader = RiskReader.load(model_path, embedder=embedder, budget_s=0.05)
    try:
        reading = reader.read("hopeless", critical_items=["phq9-item9"])
    finally:
        embedder.release.set()
    assert_fail_closed(reading)
    assert "budget" in reading.reasons[0]
    # The critical items still show, so the clinician sees why beyond the failure.
    assert "critical_item" in {e.signal for e in reading.evidence}


def test_a_stuck_text_does_not_block_the_next(model_path: Path) -> None:
    embedder = BlockingEmbedder()
    reader = RiskReader.load(model_path, embedder=embedder, budget_s=0.05)
    try:
        assert_fail_closed(reader.read("hopeless"))
    finally:
        embedder.release.set()
    assert reader.read("lunch").level == Level.NONE


def test_model_needing_embeddings_without_embedder_fails_closed(model_path: Path) -> None:
    reader = RiskReader(load_model(model_path), None)
    assert not reader.available
    assert_fail_closed(reader.read("lunch"))
