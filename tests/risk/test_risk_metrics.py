"""The risk reader's ranking metrics in numpy (risk/metrics.py) give scikit-learn's figures,
so evaluation needs no scikit-learn at run time (it is in the training extra)."""

from __future__ import annotations

import math
import random

import pytest

from alongside.risk.metrics import average_precision, roc_auc


def test_hand_computed_figures() -> None:
    # Positives at 0.9 and 0.4, negatives at 0.8 and 0.1: 3 of 4 pairs ordered right.
    assert roc_auc([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1]) == pytest.approx(0.75)
    # A tie between a positive and a negative counts half.
    assert roc_auc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    # AP: recall 1/2 at precision 1 (0.9), then recall 1 at precision 2/3 (0.4).
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1]) == pytest.approx(
        0.5 * 1 + 0.5 * (2 / 3)
    )
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))
    assert math.isnan(average_precision([0, 0], [0.2, 0.3]))
    with pytest.raises(ValueError, match="same length"):
        roc_auc([1, 0], [0.1])


@pytest.mark.parametrize("seed", range(20))
def test_the_same_figures_as_scikit_learn(seed: int) -> None:
    metrics = pytest.importorskip("sklearn.metrics")  # in the dev and training extras
    rng = random.Random(seed)
    n = rng.randint(2, 300)
    labels = [rng.randint(0, 1) for _ in range(n)]
    labels[0], labels[-1] = 0, 1
    # Coarse scores, so ties are common.
    scores = [round(rng.random(), rng.choice([1, 2, 6])) for _ in range(n)]
    assert roc_auc(labels, scores) == pytest.approx(metrics.roc_auc_score(labels, scores))
    assert average_precision(labels, scores) == pytest.approx(
        metrics.average_precision_score(labels, scores)
    )


def test_nothing_at_run_time_imports_scikit_learn() -> None:
    """Every module but the training one imports with scikit-learn (and SciPy) made
    unimportable, as on a server installed without the training extra."""
    import subprocess
    import sys

    script = """
import importlib, pkgutil, sys
for name in ("sklearn", "scipy"):
    sys.modules[name] = None  # any import of it now raises ImportError
import alongside
names = [m.name for m in pkgutil.walk_packages(alongside.__path__, "alongside.")]
skipped = {"alongside.risk.train"}
for name in names:
    if name not in skipped and ".migrations." not in name:
        importlib.import_module(name)
from alongside.risk.card import corpus_report  # noqa: F401 - the evaluation path
print(len(names))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 100  # positive control: the walk imported the package
