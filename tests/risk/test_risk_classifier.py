"""The encoder's runtime pieces and the training helpers that need no torch."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest

from alongside.risk.classifier import Calibration, sha256_file
from alongside.risk.evaluate import keyword_score
from alongside.risk.train import (
    TRAIN_IDENTITIES,
    UNSEEN_IDENTITIES,
    Example,
    choose_threshold,
    data_digest,
    everyday_passages,
    fit_isotonic,
    identity_swaps,
    read_corpus,
    threshold_for_sensitivity,
    with_identity,
)


def test_calibration_is_monotone_and_clipped() -> None:
    cal = Calibration((-2.0, 0.0, 3.0), (0.05, 0.4, 0.97))
    values = cal(np.array([-10.0, -2.0, -1.0, 0.0, 1.5, 3.0, 10.0]))
    assert list(values) == sorted(values)
    assert values[0] == pytest.approx(0.05)
    assert values[-1] == pytest.approx(0.97)
    assert values[2] == pytest.approx(0.225)


def test_isotonic_fit_is_monotone_and_orders_like_the_logits() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=400)
    labels = (rng.random(400) < 1 / (1 + np.exp(-2 * logits))).astype(int)
    xs, ys = fit_isotonic(logits, labels)
    assert xs == sorted(xs)
    assert ys == sorted(ys)
    assert ys[0] >= 0.0
    assert ys[-1] <= 1.0
    calibrated = np.interp(logits, xs, ys)
    # Higher logits never get a lower probability.
    order = np.argsort(logits)
    assert np.all(np.diff(calibrated[order]) >= -1e-12)


def test_threshold_keeps_the_target_share_of_positives() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    y = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0][:10])
    t = threshold_for_sensitivity(p, y, 0.9)
    assert (p[y == 1] >= t).mean() >= 0.9
    assert t == pytest.approx(0.1)


def test_threshold_keeps_equal_margins_over_both_targets() -> None:
    # Targets 0.8 and 0.8. At 0.7 sensitivity is 0.9 (margin 0.1) and specificity 1.0 (0.2);
    # at 0.45 sensitivity 1.0 (0.2) but specificity 0.8 (0.0); at 0.5 both margins are at
    # least 0.2: taken. The old policy (sensitivity 0.8 reached, specificity to spare over
    # 0.9 spent) would take 0.45 and leave no margin on specificity.
    positives = [0.95, 0.9, 0.9, 0.85, 0.8, 0.8, 0.75, 0.7, 0.7, 0.5]
    negatives = [0.45, 0.45, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]
    p = np.array(positives + negatives)
    y = np.array([1] * 10 + [0] * 10)
    floor = np.zeros(20, dtype=bool)
    t, policy = choose_threshold(p, y, floor, target=0.8, min_specificity=0.8)
    assert t == pytest.approx(0.5)
    assert "equal margin" in policy
    assert (p[y == 1] >= t).mean() == 1.0
    assert (p[y == 0] < t).mean() == 1.0


def test_threshold_margin_goes_to_sensitivity_when_specificity_has_more() -> None:
    # Targets 0.9 and 0.5: every negative is below 0.3, so any threshold from 0.3 to 0.6
    # has specificity 1.0; the smaller margin is sensitivity's, largest at the lowest (0.3).
    positives = [0.9, 0.8, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.3]
    negatives = [0.25, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    p = np.array(positives + negatives)
    y = np.array([1] * 10 + [0] * 10)
    t, _ = choose_threshold(p, y, np.zeros(20, dtype=bool), target=0.9, min_specificity=0.5)
    assert t == pytest.approx(0.3)


def test_threshold_keeps_the_sensitivity_target_when_specificity_is_short() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.85, 0.75, 0.65, 0.55, 0.2])
    y = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    floor = np.zeros(10, dtype=bool)
    t, policy = choose_threshold(p, y, floor, target=0.8, min_specificity=0.9)
    assert t == pytest.approx(0.6)
    assert "sensitivity" in policy


def test_threshold_counts_what_the_rules_flag() -> None:
    # The rules flag two negatives on their own: no threshold can clear 0.9 of them.
    p = np.array([0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    floor = np.array([False, False, True, True] + [False] * 6)
    t, policy = choose_threshold(p, y, floor, target=1.0, min_specificity=0.9)
    assert t == pytest.approx(0.8)
    assert "sensitivity" in policy


def test_sha256_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1000)
    assert sha256_file(path) == hashlib.sha256(b"abc" * 1000).hexdigest()


def test_data_digest_changes_with_any_byte(tmp_path: Path) -> None:
    a, b = tmp_path / "train.jsonl", tmp_path / "dev.jsonl"
    a.write_text('{"text": "x", "label": 0}\n')
    b.write_text('{"text": "y", "label": 1}\n')
    first = data_digest([a, b])
    assert first == data_digest([b, a])
    b.write_text('{"text": "y", "label": 0}\n')
    assert data_digest([a, b]) != first


@pytest.mark.parametrize("identity", [*TRAIN_IDENTITIES, *UNSEEN_IDENTITIES])
def test_identity_forms_keep_the_text(identity: str) -> None:
    text = "I bought rope last week."
    prefix = with_identity(text, identity, "prefix")
    suffix = with_identity(text, identity, "suffix")
    assert prefix.startswith("As a")
    assert prefix.endswith(text)
    assert suffix.startswith(text)
    assert identity in suffix


def test_identity_swaps_are_copies_with_the_same_labels() -> None:
    examples = [
        Example(f"text {i} ends here", i % 2, ("ideation",) if i % 2 else (), "t")
        for i in range(200)
    ]
    swaps = identity_swaps(examples, random.Random(0))
    assert 0 < len(swaps) < len(examples)
    by_text = {e.text: e for e in examples}
    for s in swaps:
        base = next(t for t in by_text if t in s.text)
        assert s.label == by_text[base].label
        assert s.constructs == by_text[base].constructs
        assert any(i in s.text for i in TRAIN_IDENTITIES)


def test_read_corpus_keeps_constructs_for_positives_only(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    rows = [
        {"text": "I want to die", "label": 1, "construct": "wish_dead", "variant": "base"},
        {
            "text": "my son wants to die",
            "label": 0,
            "construct": "wish_dead",
            "kind": "worried_other",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pos, neg = read_corpus(path)
    assert pos.constructs == ("wish_dead",)
    assert neg.constructs == ()
    assert neg.category == "worried_other"


def test_everyday_passages_are_short_negatives_that_name_no_death_or_harm(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dreaddit-train.csv"
    posts = [
        "I texted him good morning. He went back downstairs. Then we had breakfast together.",
        "My rent went up again this month. I have no idea how to pay it. I feel so stuck.",
        "Sometimes I think I would be better off dead. My boss shouts at me every single day.",
        "We argued about the dishes again. I want to kill him sometimes, honestly, he never helps.",
        "Short. Too. " + "This sentence is far too long to be a passage " * 10 + "today.",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows([post, 1] for post in posts)
    passages = everyday_passages(path, random.Random(0))
    texts = [e.text for e in passages]
    # Positive control: the plain accounts of a day are kept, as negatives without constructs.
    assert any("good morning" in t for t in texts)
    assert any("rent went up" in t for t in texts)
    assert all(e.label == 0 and e.constructs == () for e in passages)
    # A passage naming death or harm is never a training negative, even in a stress post.
    assert not any("better off dead" in t or "kill" in t for t in texts)
    # One or two sentences of 4 to 45 words, never a whole long post.
    assert all(4 <= len(t.split()) <= 45 for t in texts)


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("I want to die", 1),
        ("Suicidal thoughts and self-harm", 2),
        ("lovely day", 0),
    ],
)
def test_keyword_baseline_counts_hits(text: str, hits: int) -> None:
    assert keyword_score(text) == hits
