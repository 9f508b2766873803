"""The intake-risk corpus (data/intake-risk): schema, coverage, leak-free split, balance.

The corpus is built by data/intake-risk/build.py from hand-written bases; the datasheet is
docs/datasheets/intake-risk.md. These checks guard what a trainer relies on.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "intake-risk"
FIELDS = {
    "id",
    "text",
    "label",
    "construct",
    "recency",
    "subject",
    "kind",
    "register",
    "identity",
    "family",
    "split",
    "variant",
    "loco_fold",
}
BEHAVIOUR = ("preparation", "attempt", "interrupted_attempt", "aborted_attempt", "self_harm")


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("intake_corpus_build", CORPUS / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _read(name: str) -> list[dict[str, Any]]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return _read("train.jsonl") + _read("dev.jsonl")


def split_leaks(rows: list[dict[str, Any]]) -> list[str]:
    """Families or (normalised) texts that appear in more than one split."""
    splits: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        splits["family:" + r["family"]].add(r["split"])
        splits["text:" + " ".join(r["text"].lower().split())].add(r["split"])
    return sorted(key for key, where in splits.items() if len(where) > 1)


def identity_imbalance(rows: list[dict[str, Any]], tolerance: float) -> dict[str, float]:
    """Identities whose share of positives differs from the overall share by > tolerance."""
    with_identity = [r for r in rows if r["identity"]]
    overall = sum(r["label"] for r in with_identity) / len(with_identity)
    by_identity: dict[str, list[int]] = defaultdict(list)
    for r in with_identity:
        by_identity[r["identity"]].append(r["label"])
    shares = {name: sum(labels) / len(labels) for name, labels in by_identity.items()}
    return {name: s for name, s in shares.items() if abs(s - overall) > tolerance}


def test_built_files_match_the_bases() -> None:
    """The committed train/dev files are exactly what the seeded build produces."""
    assert build.main(["--check"]) == 0


def test_every_row_follows_the_schema(rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert isinstance(r["text"], str)
        assert r["text"].strip()
        assert r["label"] in (0, 1)
        assert r["split"] in ("train", "dev")
        assert isinstance(r["register"], list)
        assert r["identity"] is None or isinstance(r["identity"], str)
        assert r["loco_fold"] in build.LOCO_FOLDS
        assert r["kind"] in build.LOCO_FOLDS[r["loco_fold"]]
        if r["label"] == 1:
            assert r["construct"] in build.CONSTRUCTS
            assert r["kind"] == r["construct"]
            assert r["recency"] in build.RECENCIES
            assert r["subject"] == "self"
        else:
            assert r["kind"] in build.NEGATIVE_KINDS
            if r["subject"] == "other":
                assert r["kind"] in ("third_person", "worried_other")
                assert r["construct"] in build.CONSTRUCTS
                assert r["recency"] in build.RECENCIES
            else:
                assert r["subject"] is None
                assert r["construct"] is None
                assert r["recency"] is None


def test_counts_cover_every_construct_and_negative_kind(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= 3000
    texts = Counter(r["kind"] for r in rows)
    families: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        families[r["kind"]].add(r["family"])
    for construct in build.CONSTRUCTS:
        assert texts[construct] >= 100, construct
        assert len(families[construct]) >= 15, construct
    for kind in build.NEGATIVE_KINDS:
        assert texts[kind] >= 80, kind
        assert len(families[kind]) >= 10, kind
    positives = sum(r["label"] for r in rows)
    assert 0.4 <= positives / len(rows) <= 0.6


def test_dev_covers_every_category_and_recency(rows: list[dict[str, Any]]) -> None:
    dev = [r for r in rows if r["split"] == "dev"]
    assert {r["kind"] for r in dev} == set(build.CONSTRUCTS) | set(build.NEGATIVE_KINDS)
    dev_recency = {r["recency"] for r in dev if r["label"] == 1}
    assert dev_recency == set(build.RECENCIES)
    all_recency = {(r["construct"], r["recency"]) for r in rows if r["label"] == 1}
    for construct in BEHAVIOUR:
        for recency in ("recent", "past", "unknown"):
            assert (construct, recency) in all_recency, (construct, recency)
    assert ("self_harm", "current") in all_recency
    assert ("attempt", "current") in all_recency


def test_split_is_by_family_and_leak_free(rows: list[dict[str, Any]]) -> None:
    assert split_leaks(rows) == []
    families = {r["family"]: r["split"] for r in rows}
    dev_share = sum(s == "dev" for s in families.values()) / len(families)
    assert 0.2 <= dev_share <= 0.3


def test_the_leak_check_catches_a_leak(rows: list[dict[str, Any]]) -> None:
    moved = dict(rows[0], split="dev" if rows[0]["split"] == "train" else "train", id="x")
    assert split_leaks([*rows[:50], moved]) != []


def test_identities_are_spread_evenly_over_positives_and_negatives(
    rows: list[dict[str, Any]],
) -> None:
    with_identity = [r for r in rows if r["identity"]]
    identities = {r["identity"] for r in with_identity}
    assert len(identities) >= 12
    for name in identities:
        forms = {r["variant"] for r in with_identity if r["identity"] == name}
        assert forms == {"identity_prefix", "identity_suffix"}, name
        labels = {r["label"] for r in with_identity if r["identity"] == name}
        assert labels == {0, 1}, name
    assert identity_imbalance(rows, tolerance=0.05) == {}
    for split in ("train", "dev"):
        assert identity_imbalance([r for r in rows if r["split"] == split], 0.12) == {}


def test_the_balance_check_catches_a_skewed_identity(rows: list[dict[str, Any]]) -> None:
    skewed = [r for r in rows if r["identity"] and not (r["identity"] == "nurse" and r["label"])]
    assert "nurse" in identity_imbalance(skewed, tolerance=0.05)


def test_registers_and_long_texts_are_present(rows: list[dict[str, Any]]) -> None:
    tags = Counter(tag for r in rows for tag in r["register"])
    for tag in ("lowercase", "no_punctuation", "typos", "txt_speak", "terse", "rambling"):
        assert tags[tag] >= 50, tag
    for tag in ("teen", "older", "non_native", "en-US", "en-GB", "embedded", "long"):
        assert tags[tag] >= 20, tag
    lengths = [len(r["text"].split()) for r in rows if "long" in r["register"]]
    assert max(lengths) >= 1900
    assert min(lengths) >= 250
    long_labels = {r["label"] for r in rows if "long" in r["register"]}
    assert long_labels == {0, 1}


def test_non_english_sample() -> None:
    sample = _read("non-english.jsonl")
    assert len(sample) >= 30
    langs = Counter(r["lang"] for r in sample)
    assert "en" not in langs
    assert {"es", "pl", "ar"} <= set(langs)
    for lang in langs:
        assert {r["label"] for r in sample if r["lang"] == lang} <= {0, 1}
    assert {r["label"] for r in sample} == {0, 1}
    for r in sample:
        assert (r["construct"] in build.CONSTRUCTS) == (r["label"] == 1)
