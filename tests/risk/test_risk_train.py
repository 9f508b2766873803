"""``alongside risk train`` and ``risk loco`` really train: a short seeded run on a small corpus.

Runs only where the training extra is installed (``make install-train``; CI installs it): the
recipe of the shipped model, on 3 texts of each corpus category and a few Reddit rows, one
epoch. What is checked is the contract, not the model's quality: the files written load under
their recorded SHA-256, the version names the recipe, the data digest and the kept seed, the
seed reproduces the model, another seed gives another one, and LOCO reads each held-out
category with a model that never saw it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("transformers")

from alongside.cli import app
from alongside.risk import train as training
from alongside.risk.classifier import OUTPUTS, ModelFileError, load_model, sha256_file

runner = CliRunner()
CORPUS = Path(__file__).resolve().parents[2] / "data" / "intake-risk"
PROBES = [
    "I bought rope last week and I know where I'd do it.",
    "This commute is killing me, honestly.",
    "I took a load of my tablets on Friday and rang 111.",
    "My exams stress me out and I sleep badly.",
]


def _sample(name: str, per_kind: int) -> list[dict[str, object]]:
    """The first ``per_kind`` base texts of each category of a corpus split, plus one long one."""
    kept: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    long_kept = False
    with (CORPUS / name).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["variant"] == "embedded_long" and not long_kept:
                kept.append(row)  # read by the reader window by window; training skips it
                long_kept = True
            if row["variant"] != "base" or seen.get(row["kind"], 0) >= per_kind:
                continue
            seen[row["kind"]] = seen.get(row["kind"], 0) + 1
            kept.append(row)
    return kept


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A shared-data directory with tiny Reddit files, and a small corpus with its folds."""
    root = tmp_path_factory.mktemp("training")
    data, corpus = root / "data", root / "corpus"
    (data / "train").mkdir(parents=True)
    corpus.mkdir()
    with (data / "train" / "sdcnl-train.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "selftext", "is_suicide"])
        writer.writerow(["cant go on", "I want to end my life, I have the pills ready", "1"])
        writer.writerow(["so tired", "depression has me in bed all day again", "0"])
        writer.writerow(["goodbye", "I have written my note and I am going tonight", "1.0"])
        writer.writerow(["", "", "0"])  # empty post: left out
    with (data / "train" / "dreaddit-train.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerow(
            [
                "My landlord will not fix the heating. I have called him five times this week. "
                "Rent is due on Friday and I am short again. My manager moved my shifts.",
                "1",
            ]
        )
        writer.writerow(["The bus was late again and I missed my first class today.", "1"])
    train_rows = _sample("train.jsonl", 3)
    dev_rows = _sample("dev.jsonl", 2)
    for name, rows in (("train.jsonl", train_rows), ("dev.jsonl", dev_rows)):
        (corpus / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    folds = {"folds": {"self_harm": ["self_harm"], "idiom": ["idiom"]}}
    (corpus / "folds.json").write_text(json.dumps(folds), encoding="utf-8")
    return data, corpus


def _train(
    small: tuple[Path, Path], out: Path, *seeds: int, everyday: int = 0, consistency: float = 0
) -> dict:
    data, corpus = small
    args = ["risk", "train", "--data", str(data), "--corpus", str(corpus), "--out", str(out)]
    for seed in seeds:
        args += ["--seed", str(seed)]
    args += ["--epochs", "1", "--threads", "2", "--everyday", str(everyday)]
    args += ["--consistency", str(consistency)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'risk-model.json'}" in result.stderr
    # The consistency loss reads (text, variant) pairs of the corpus families, or none.
    assert (f"pairs, consistency {consistency:g}" in result.stderr) == (consistency > 0)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def trained(small: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seeds with two everyday passages and the consistency loss, the better one kept."""
    out = tmp_path_factory.mktemp("model")
    _train(small, out, 0, 1, everyday=2, consistency=0.5)
    return out


def test_train_writes_a_model_that_loads_under_its_recorded_digests(
    small: tuple[Path, Path], trained: Path
) -> None:
    data, corpus = small
    raw = json.loads((trained / "risk-model.json").read_text())
    meta = raw["metadata"]
    digest = training.data_digest(
        [corpus / "train.jsonl", corpus / "dev.jsonl"]
        + [data / "train" / n for n in training.TRAIN_FILES]
    )
    assert raw["data_digest"] == digest
    assert raw["version"] == f"risk-ft3e2c0.5-{digest[:12]}-s{meta['seed']}"
    assert meta["seeds"] == [0, 1]
    assert meta["seed"] in (0, 1)
    assert [r["seed"] for r in meta["runs"]] == [0, 1]
    kept = max(meta["runs"], key=lambda r: r["dev_roc_auc_fp32"])
    assert kept["seed"] == meta["seed"]  # the better seed on corpus dev is the one kept
    assert meta["consistency"] == 0.5
    assert meta["everyday_sample"] == 2
    assert meta["epochs"] == 1
    # The long text of the split is not trained on; every other row is.
    train_rows = (corpus / "train.jsonl").read_text().splitlines()
    assert meta["train_rows"] == len(train_rows) - 1
    assert raw["onnx"]["sha256"] == sha256_file(trained / "risk-model.onnx")
    assert 0.0 < raw["thresholds"]["moderate"] < 1.0
    assert set(raw["construct_thresholds"]) == set(OUTPUTS[1:])
    assert meta["dev_rows"] > 0
    assert 0.0 <= meta["dev_specificity"] <= 1.0

    model = load_model(trained / "risk-model.json", threads=1)
    assert model.version == raw["version"]
    logits = model.logits(PROBES)
    assert logits.shape == (len(PROBES), len(OUTPUTS))
    assert np.isfinite(logits).all()

    # The reader runs on it end to end and names it.
    result = runner.invoke(
        app, ["risk", "--model", str(trained / "risk-model.json"), "I want to kill myself"]
    )
    assert result.exit_code == 0, result.output
    assert raw["version"] in json.dumps(json.loads(result.stdout)["versions"])

    # A changed byte in the model file: refused, not read.
    onnx = trained / "risk-model.onnx"
    copy = trained.parent / "tampered"
    copy.mkdir(exist_ok=True)
    for name in ("risk-model.json", "tokenizer.json"):
        (copy / name).write_bytes((trained / name).read_bytes())
    body = bytearray(onnx.read_bytes())
    body[len(body) // 2] ^= 0xFF
    (copy / "risk-model.onnx").write_bytes(bytes(body))
    with pytest.raises(ModelFileError, match="does not match its recorded SHA-256"):
        load_model(copy / "risk-model.json")


def test_a_seed_reproduces_its_model_and_another_seed_does_not(
    small: tuple[Path, Path], trained: Path, tmp_path: Path
) -> None:
    kept = json.loads((trained / "risk-model.json").read_text())["metadata"]["seed"]
    again = _train(small, tmp_path / "again", kept, everyday=2, consistency=0.5)
    other = _train(small, tmp_path / "other", 1 - kept, everyday=2, consistency=0.5)
    assert again["seed"] == kept
    assert other["seed"] == 1 - kept
    first = load_model(trained / "risk-model.json").logits(PROBES)
    second = load_model(tmp_path / "again" / "risk-model.json").logits(PROBES)
    third = load_model(tmp_path / "other" / "risk-model.json").logits(PROBES)
    np.testing.assert_allclose(second, first, atol=1e-4)
    assert (
        again["thresholds"] == json.loads((trained / "risk-model.json").read_text())["thresholds"]
    )
    assert not np.allclose(third, first, atol=1e-3)


def test_recalibrate_refits_what_train_fitted(small: tuple[Path, Path], trained: Path) -> None:
    _, corpus = small
    path = trained.parent / "recalibrated"
    path.mkdir(exist_ok=True)
    for name in ("risk-model.json", "risk-model.onnx", "tokenizer.json"):
        (path / name).write_bytes((trained / name).read_bytes())
    raw = json.loads((path / "risk-model.json").read_text())
    fitted = (raw["calibration"], raw["thresholds"], raw["construct_thresholds"])
    raw["calibration"] = {"x": [-50.0, 50.0], "y": [0.0, 1.0]}
    raw["thresholds"] = {"moderate": 0.5}
    (path / "risk-model.json").write_text(json.dumps(raw))
    summary = training.recalibrate(path / "risk-model.json", corpus)
    again = json.loads((path / "risk-model.json").read_text())
    assert (again["calibration"], again["thresholds"], again["construct_thresholds"]) == fitted
    assert summary["dev_rows"] == raw["metadata"]["dev_rows"]
    assert again["onnx"] == raw["onnx"]  # the model file is kept


def test_loco_reads_each_held_out_category_with_a_model_that_never_saw_it(
    small: tuple[Path, Path], tmp_path: Path
) -> None:
    _, corpus = small
    out = tmp_path / "loco.json"
    result = runner.invoke(
        app,
        [
            "risk",
            "loco",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--fold",
            "self_harm",
            "--fold",
            "idiom",
            "--threads",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures == json.loads(result.stdout)
    split = {
        name: [json.loads(line) for line in (corpus / f"{name}.jsonl").read_text().splitlines()]
        for name in ("train", "dev")
    }
    rows = split["train"] + split["dev"]
    for fold, label, measure in (("self_harm", 1, "sensitivity"), ("idiom", 0, "specificity")):
        got = figures["folds"][fold]
        held = [r for r in rows if r["kind"] == fold and r["variant"] != "embedded_long"]
        assert got["label"] == label
        assert got["measure"] == measure
        assert got["texts"] == len(held)
        assert 0.0 <= got["value"] <= 1.0
        assert 0.0 <= got["roc_auc"] <= 1.0
        assert got["by_category"][fold][1] == len(held)
        # Each fold's progress line says how many texts it trained on: none of the fold's own.
        trained_on = sum(
            r["kind"] != fold and r["variant"] in training.LOCO_TRAIN_VARIANTS
            for r in split["train"]
        )
        assert f"fold {fold}: training on {trained_on} texts" in result.stderr
    assert figures["data_digest"] == training.data_digest(
        [corpus / "train.jsonl", corpus / "dev.jsonl"]
    )


def test_variant_pairs_join_each_family_to_its_base() -> None:
    def example(family: str, variant: str, text: str) -> training.Example:
        return training.Example(text, 1, (), "t", family=family, variant=variant)

    examples = [
        example("a", "typos", "i wnat to die"),
        example("a", "base", "I want to die."),
        example("", "", "a Reddit post"),
        example("a", "identity_prefix", "As a nurse, I want to die."),
        example("b", "base", "I had lunch."),
        example("b", "embedded", "The bus was late. I had lunch. My sister rang."),
        example("", "", "an everyday passage"),
    ]
    # The base is the anchor wherever it stands; posts and passages without a family pair
    # with nothing; nor does an embedded variant (long: it would set every batch's length).
    assert training.variant_pairs(examples) == [(1, 0), (1, 3)]
    assert training.variant_pairs(examples[2:3]) == []
