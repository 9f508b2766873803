"""The shipped model: the idiom/negation set, counterfactual invariance, the public API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alongside.risk import Level, RiskReader, read_risk
from alongside.risk.classifier import MODEL_PATH, load_model
from alongside.risk.evaluate import (
    counterfactual_invariance,
    counterfactual_sentences,
    read_sentence_set,
    sentence_set_accuracy,
)

HERE = Path(__file__).parent
ROOT = Path(__file__).resolve().parents[2]
# CI keeps a copy of the shared data next to the clone; the fast tests never need it.
SHARED_DATA = ROOT.parent / "shared" / "data" / "risk"
CORPUS = ROOT / "data" / "intake-risk"


@pytest.fixture(scope="module")
def reader() -> RiskReader:
    reader = RiskReader.load(budget_s=None)
    assert reader.available
    return reader


def test_shipped_model_is_a_small_int8_onnx_with_its_data_digest() -> None:
    onnx = MODEL_PATH.parent / "risk-model.onnx"
    assert onnx.stat().st_size < 30_000_000
    model = load_model()
    assert len(model.data_digest) == 64
    assert model.version.endswith(f"-s{model.metadata['seed']}")
    assert model.data_digest[:12] in model.version
    assert {"train.jsonl", "dev.jsonl", "sdcnl-train.csv"} <= set(model.metadata["files"])
    assert (MODEL_PATH.parent / "tokenizer.json").is_file()
    assert (MODEL_PATH.parent / "NOTICE.md").is_file()


def quantised_weights(path: Path) -> dict[str, object]:
    """The int8 weight tensors of an ONNX file (the training extra's onnx reads it)."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(path))
    return {
        t.name: numpy_helper.to_array(t)
        for t in model.graph.initializer
        if t.data_type == onnx.TensorProto.INT8 and len(t.dims) == 2
    }


def test_shipped_weights_fit_seven_bits_so_every_cpu_reads_alike() -> None:
    """CPUs without VNNI multiply u8 x s8 pairs into 16-bit sums that saturate when weights
    use all 8 bits: the same file then reads differently there (seen: dev specificity 0.876
    on an AVX-512 VNNI machine, 0.864 on an AVX2 one). Weights in [-64, 64] (ONNX Runtime's
    reduce_range) cannot saturate (2 x 255 x 64 = 32,640 < 32,768): the integer sums, and so
    the readings, are the same on every CPU."""
    weights = quantised_weights(MODEL_PATH.parent / "risk-model.onnx")
    assert len(weights) >= 36  # 6 layers x (4 attention + 2 feed-forward) matrices, heads
    for name, values in weights.items():
        assert values.min() >= -64, name
        assert values.max() <= 64, name


def test_full_range_weights_are_caught(tmp_path: Path) -> None:
    """Positive control: a file quantised with all 8 bits fails the check above."""
    import numpy as np

    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    w = numpy_helper.from_array(np.array([[-127, 5], [3, 127]], dtype=np.int8), "w_quantized")
    graph = helper.make_graph([], "g", [], [], initializer=[w])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph), str(path))
    values = quantised_weights(path)["w_quantized"]
    assert values.min() < -64 or values.max() > 64


def test_no_torch_at_run_time() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from alongside.risk import read_risk; "
        "read_risk('I want to die'); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data not present")
def test_shipped_model_was_trained_on_the_corpus_and_the_shared_data() -> None:
    from alongside.risk.train import CORPUS_DEV, CORPUS_TRAIN, TRAIN_FILES, data_digest

    files = [CORPUS / CORPUS_TRAIN, CORPUS / CORPUS_DEV]
    files += [SHARED_DATA / "train" / n for n in TRAIN_FILES]
    assert load_model().data_digest == data_digest(files)


def test_sentence_set_is_broad_and_read_at_least_as_measured(reader: RiskReader) -> None:
    sentences = read_sentence_set(HERE / "risk_sentence_set.jsonl")
    kinds = {s.kind for s in sentences}
    assert len(sentences) >= 80
    assert {"idiom", "negation", "third_person", "professional", "media"} <= kinds
    accuracy, _, misses = sentence_set_accuracy(sentences, reader.read)
    # 0.95 with the rules-only reader of rules-2025.x (which blanked what it set aside);
    # the fine-tuned encoder, which the rules can no longer silence, reads more of its
    # idioms and negations as risk: 0.79 measured with risk-ft1. A floor against regression.
    assert accuracy >= 0.78, misses


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
    # Nothing is masked any more: identity words reach the classifier like any other word.
    rate, disagreements = counterfactual_invariance(groups, reader.read)
    assert rate >= 0.99, disagreements[:10]


def test_read_risk_public_entry_point() -> None:
    reading = read_risk("I have been thinking about killing myself.", critical_items=["cssrs-q4"])
    assert reading.level == Level.HIGH
    data = reading.to_dict()
    assert data["versions"]["rules"].startswith("rules-")
    assert {e["signal"] for e in data["evidence"]} >= {"ideation", "critical_item"}


def test_default_budget_reader_reads_normally() -> None:
    reading = RiskReader.load().read("Work has been stressful and I am not sleeping well.")
    assert reading.level in {Level.NONE, Level.LOW}


def test_development_set_two_is_read_at_least_as_measured(reader: RiskReader) -> None:
    # Written with the rules-2025.2 changes (everyday "will kill me", professional roles).
    sentences = read_sentence_set(HERE / "risk_sentence_dev2.jsonl")
    accuracy, _, misses = sentence_set_accuracy(sentences, reader.read)
    # 0.95 with rules-2025.2 (developed against this set); 0.77 with risk-ft1 (idioms).
    assert accuracy >= 0.76, misses


def test_preregistered_holdout_does_not_regress(reader: RiskReader) -> None:
    # risk_sentence_holdout2.jsonl was written and committed before any rule change and not
    # developed against: 80.6% with rules-2025.1, 87.1% (162/186) with rules-2025.2. This
    # floor only stops a silent regression; it is below the 95% target of issue 5.
    sentences = read_sentence_set(HERE / "risk_sentence_holdout2.jsonl")
    assert len(sentences) >= 150
    assert sum(s.at_risk for s in sentences) >= 0.4 * len(sentences)
    accuracy, _, misses = sentence_set_accuracy(sentences, reader.read)
    # 0.785 with risk-ft1: a regression on idioms, negations and professional contexts
    # (the classifier reads them as risk and the rules no longer veto it).
    assert accuracy >= 0.78, misses
