"""Ranking metrics for evaluating the risk reader, in numpy (no scikit-learn at run time).

- :func:`roc_auc` ``(labels, scores)``: the area under the ROC curve, by the Mann-Whitney U
  statistic with tied scores counted half (the same figure as scikit-learn's
  ``roc_auc_score``); NaN when only one class is present.
- :func:`average_precision` ``(labels, scores)``: precision averaged at each threshold where
  recall rises, weighted by the rise (scikit-learn's ``average_precision_score``, no
  interpolation); NaN without positives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _arrays(
    labels: Sequence[int] | np.ndarray[Any, Any], scores: Sequence[float] | np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("labels and scores must be two sequences of the same length")
    return y, s


def roc_auc(
    labels: Sequence[int] | np.ndarray[Any, Any], scores: Sequence[float] | np.ndarray[Any, Any]
) -> float:
    """ROC AUC: the chance a random positive scores above a random negative (ties half)."""
    y, s = _arrays(labels, scores)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    # Average ranks (1-based) over runs of equal scores.
    start = 0
    while start < len(s):
        end = start
        while end + 1 < len(s) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    rank_sum = float(ranks[y == 1].sum())
    u = rank_sum - positives * (positives + 1) / 2.0
    return u / (positives * negatives)


def average_precision(
    labels: Sequence[int] | np.ndarray[Any, Any], scores: Sequence[float] | np.ndarray[Any, Any]
) -> float:
    """Average precision over the thresholds at the distinct scores, highest first."""
    y, s = _arrays(labels, scores)
    positives = int(y.sum())
    if positives == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    y_sorted, s_sorted = y[order], s[order]
    # The last index of each run of equal scores: a threshold takes the whole run.
    cuts = np.r_[np.where(np.diff(s_sorted) != 0)[0], len(s_sorted) - 1]
    true_positives = np.cumsum(y_sorted)[cuts]
    predicted = cuts + 1
    precision = true_positives / predicted
    recall = true_positives / positives
    previous = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - previous) * precision))
