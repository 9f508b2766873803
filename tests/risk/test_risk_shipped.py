"""The shipped model: the idiom/negation set, counterfactual invariance, the public API."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alongside.risk import Level, RiskReader, read_risk
from alongside.risk.classifier import MODEL_PATH, load_model
from alongside.risk.embed import MiniLMEmbedder
from alongside.risk.evaluate import (
    counterfactual_invariance,
    counterfactual_sentences,
    read_sentence_set,
    sentence_set_accuracy,
)

HERE = Path(__file__).parent
# CI keeps a copy of the shared data next to the clone; the fast tests never need it.
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "risk"


class CachingEmbedder:
    """Embeds each distinct text once: counterfactual variants often read the same."""

    def __init__(self) -> None:
        self.inner = MiniLMEmbedder()
        self.cache: dict[str, Any] = {}

    def embed(self, texts: Sequence[str]) -> Any:
        missing = [t for t in texts if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self.cache[t] for t in texts])


@pytest.fixture(scope="module")
def reader() -> RiskReader:
    reader = RiskReader.load(embedder=CachingEmbedder(), budget_s=None)
    assert reader.available
    return reader


def test_shipped_model_is_small_json_with_its_data_digest() -> None:
    assert MODEL_PATH.stat().st_size < 5_000_000
    model = load_model()
    assert len(model.data_digest) == 64
    assert model.metadata["train_files"] == ["sdcnl-train.csv", "dreaddit-train.csv"]
    assert (MODEL_PATH.parent / "tokenizer.json").is_file()
    assert (MODEL_PATH.parent / "NOTICE-tokenizer.md").is_file()


def test_sentence_set_is_broad_and_read_correctly(reader: RiskReader) -> None:
    sentences = read_sentence_set(HERE / "risk_sentence_set.jsonl")
    kinds = {s.kind for s in sentences}
    assert len(sentences) >= 80
    assert {"idiom", "negation", "third_person", "professional", "media"} <= kinds
    accuracy, _, misses = sentence_set_accuracy(sentences, reader.read)
    assert accuracy >= 0.95, misses


def test_counterfactual_invariance(reader: RiskReader) -> None:
    templates = json.loads((HERE / "risk_counterfactual.json").read_text())
    assert set(templates["identities"]) == {
        "race_ethnicity",
        "gender_identity",
        "sexual_orientation",
        "religion",
        "disability",
        "age",
        "migration",
        "class",
    }
    groups = counterfactual_sentences(templates)
    rate, disagreements = counterfactual_invariance(groups, reader.read)
    assert rate >= 0.99, disagreements[:10]


def test_read_risk_public_entry_point() -> None:
    reading = read_risk("I have been thinking about killing myself.", critical_items=["cssrs-q4"])
    assert reading.level == Level.HIGH
    data = reading.to_dict()
    assert data["versions"]["rules"].startswith("rules-")
    assert {e["signal"] for e in data["evidence"]} >= {"ideation", "critical_item"}


def test_default_budget_reader_reads_normally() -> None:
    reading = RiskReader.load().read("I had a lovely walk with my dog today.")
    assert reading.level in {Level.NONE, Level.LOW}


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data not present")
def test_shipped_model_was_trained_on_the_shared_data() -> None:
    from alongside.risk.train import DEV_FILES, TRAIN_FILES, data_digest

    assert load_model().data_digest == data_digest(SHARED_DATA, TRAIN_FILES + DEV_FILES)


def test_development_set_two_is_read_correctly(reader: RiskReader) -> None:
    # Written with the rules-2025.2 changes (everyday "will kill me", professional roles).
    sentences = read_sentence_set(HERE / "risk_sentence_dev2.jsonl")
    accuracy, _, misses = sentence_set_accuracy(sentences, reader.read)
    assert accuracy >= 0.95, misses


def test_preregistered_holdout_does_not_regress(reader: RiskReader) -> None:
    # risk_sentence_holdout2.jsonl was written and committed before any rule change and not
    # developed against: 80.6% with rules-2025.1, 87.1% (162/186) with rules-2025.2. This
    # floor only stops a silent regression; it is below the 95% target of issue 5.
    sentences = read_sentence_set(HERE / "risk_sentence_holdout2.jsonl")
    assert len(sentences) >= 150
    assert sum(s.at_risk for s in sentences) >= 0.4 * len(sentences)
    accuracy, _, misses = sentence_set_accuracy(sentences, reader.read)
    assert accuracy >= 0.87, misses
