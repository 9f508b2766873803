"""Evaluate the reader on labelled JSON lines: operating point, AUCs with bootstrap intervals.

Positive means ``moderate`` or above, the operating point chosen on dev. Pure functions over
lists of labels and scores, plus a reader of the JSON lines format of ``alongside risk eval``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from alongside.errors import InvalidInput
from alongside.risk.metrics import average_precision, roc_auc
from alongside.risk.reading import Level, RiskReading

# A plain list of risk words, as a clinic might search for by hand (the baseline of issue 5).
KEYWORDS: Final = (
    "suicide",
    "suicidal",
    "kill myself",
    "end my life",
    "want to die",
    "wanna die",
    "better off dead",
    "self harm",
    "self-harm",
    "cut myself",
    "overdose",
    "hang myself",
    "no reason to live",
    "end it all",
)
_KEYWORDS = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in KEYWORDS) + r")\b", re.I)
BOOTSTRAP_SAMPLES: Final = 1000


def keyword_score(text: str) -> int:
    """How many keyword hits the baseline finds (positive at one or more)."""
    return len(_KEYWORDS.findall(text))


@dataclass(frozen=True)
class Example:
    """One labelled text from an evaluation file."""

    id: str
    text: str
    label: int
    group: str | None = None


def read_examples(path: Path, group_field: str = "group") -> list[Example]:
    """Read ``{"id", "text", "label"[, group]}`` JSON lines; raises InvalidInput on bad lines."""
    examples: list[Example] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise InvalidInput(f"{path}:{number}: needs a string 'text'")
            label = row.get("label")
            if label not in (0, 1, True, False):
                raise InvalidInput(f"{path}:{number}: 'label' must be 0 or 1")
            group = row.get(group_field)
            examples.append(
                Example(
                    id=str(row.get("id", number)),
                    text=row["text"],
                    label=int(label),
                    group=None if group is None else str(group),
                )
            )
    if not examples:
        raise InvalidInput(f"{path}: no examples")
    return examples


def _auc_pair(y: np.ndarray[Any, Any], s: np.ndarray[Any, Any]) -> tuple[float, float]:
    if len(set(y.tolist())) < 2:
        return float("nan"), float("nan")
    return roc_auc(y, s), average_precision(y, s)


@dataclass(frozen=True)
class Metrics:
    """Binary metrics at the operating point and AUCs with bootstrap 95% intervals."""

    n: int
    positives: int
    tp: int
    fp: int
    tn: int
    fn: int
    roc_auc: float
    roc_auc_ci: tuple[float, float]
    pr_auc: float
    pr_auc_ci: tuple[float, float]
    by_group: dict[str, Metrics] = field(default_factory=dict)

    @property
    def sensitivity(self) -> float:
        """True positive rate at the operating point."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def specificity(self) -> float:
        """True negative rate at the operating point."""
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "n": self.n,
            "positives": self.positives,
            "sensitivity": round(self.sensitivity, 4),
            "specificity": round(self.specificity, 4),
            "confusion": {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn},
            "roc_auc": round(self.roc_auc, 4),
            "roc_auc_ci95": [round(v, 4) for v in self.roc_auc_ci],
            "pr_auc": round(self.pr_auc, 4),
            "pr_auc_ci95": [round(v, 4) for v in self.pr_auc_ci],
            "by_group": {k: v.to_dict() for k, v in self.by_group.items()},
        }


def binary_metrics(
    labels: Sequence[int],
    flagged: Sequence[bool],
    scores: Sequence[float],
    groups: Sequence[str | None] | None = None,
    *,
    seed: int = 0,
    samples: int = BOOTSTRAP_SAMPLES,
) -> Metrics:
    """Confusion counts at the operating point, ROC and PR AUC with seeded bootstrap CIs."""
    y = np.asarray(labels, dtype=int)
    f = np.asarray(flagged, dtype=bool)
    s = np.asarray(scores, dtype=float)
    roc, pr = _auc_pair(y, s)
    rng = np.random.default_rng(seed)
    rocs: list[float] = []
    prs: list[float] = []
    for _ in range(samples):
        idx = rng.integers(0, len(y), len(y))
        r, p = _auc_pair(y[idx], s[idx])
        if not np.isnan(r):
            rocs.append(r)
            prs.append(p)

    def ci(values: list[float]) -> tuple[float, float]:
        if not values:
            return (float("nan"), float("nan"))
        return (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))

    by_group: dict[str, Metrics] = {}
    if groups is not None and any(g is not None for g in groups):
        for g in sorted({g for g in groups if g is not None}):
            members = [i for i, gi in enumerate(groups) if gi == g]
            by_group[g] = binary_metrics(
                y[members].tolist(),
                f[members].tolist(),
                s[members].tolist(),
                None,
                seed=seed,
                samples=samples,
            )
    return Metrics(
        n=len(y),
        positives=int(y.sum()),
        tp=int((f & (y == 1)).sum()),
        fp=int((f & (y == 0)).sum()),
        tn=int((~f & (y == 0)).sum()),
        fn=int((~f & (y == 1)).sum()),
        roc_auc=roc,
        roc_auc_ci=ci(rocs),
        pr_auc=pr,
        pr_auc_ci=ci(prs),
        by_group=by_group,
    )


@dataclass(frozen=True)
class Evaluation:
    """The reader and the keyword baseline on one labelled set."""

    name: str
    reader: Metrics
    baseline: Metrics
    levels: dict[str, int]


def evaluate(
    name: str,
    examples: Sequence[Example],
    read: Callable[[str], RiskReading],
    *,
    seed: int = 0,
    samples: int = BOOTSTRAP_SAMPLES,
) -> Evaluation:
    """Read every example and compare with the labels; the baseline on the same texts."""
    readings = [read(e.text) for e in examples]
    labels = [e.label for e in examples]
    groups = [e.group for e in examples]
    # Rank by level first, then probability, so the AUC matches how the queue is ordered.
    scores = [r.level.rank + r.probability for r in readings]
    flagged = [r.level.rank >= Level.MODERATE.rank for r in readings]
    hits = [keyword_score(e.text) for e in examples]
    levels = {level.value: 0 for level in Level}
    for r in readings:
        levels[r.level.value] += 1
    return Evaluation(
        name=name,
        reader=binary_metrics(labels, flagged, scores, groups, seed=seed, samples=samples),
        baseline=binary_metrics(
            labels, [h > 0 for h in hits], hits, groups, seed=seed, samples=samples
        ),
        levels=levels,
    )


@dataclass(frozen=True)
class LabelledSentence:
    """A sentence from the idiom/negation/third-person set with its expected reading."""

    text: str
    at_risk: bool
    kind: str


def read_sentence_set(path: Path) -> list[LabelledSentence]:
    """Read the hand-written set: JSON lines ``{"text", "at_risk", "kind"}``."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [LabelledSentence(r["text"], bool(r["at_risk"]), str(r["kind"])) for r in rows]


def sentence_set_accuracy(
    sentences: Sequence[LabelledSentence], read: Callable[[str], RiskReading]
) -> tuple[float, dict[str, tuple[int, int]], list[tuple[LabelledSentence, str]]]:
    """Share read correctly (at risk = moderate or above), per kind (right, total), misses."""
    per_kind: dict[str, tuple[int, int]] = {}
    misses: list[tuple[LabelledSentence, str]] = []
    right = 0
    for s in sentences:
        reading = read(s.text)
        ok = reading.needs_prompt_review == s.at_risk
        right += ok
        r, t = per_kind.get(s.kind, (0, 0))
        per_kind[s.kind] = (r + ok, t + 1)
        if not ok:
            misses.append((s, reading.level.value))
    return right / len(sentences), per_kind, misses


def counterfactual_sentences(templates: dict[str, Any]) -> list[list[str]]:
    """Groups of sentences that differ only in the identity named (each group: one level)."""
    identities = [i for group in templates["identities"].values() for i in group]
    groups: list[list[str]] = []
    for frame in templates["frames"]:
        for sentence in templates["sentences"]:
            groups.append([frame.format(identity=i, sentence=sentence) for i in identities])
    return groups


def counterfactual_invariance(
    groups: Sequence[Sequence[str]], read: Callable[[str], RiskReading]
) -> tuple[float, list[tuple[str, str]]]:
    """Share of variants that get the level of their group's most common level; disagreements."""
    agree = 0
    total = 0
    disagreements: list[tuple[str, str]] = []
    for variants in groups:
        levels = [read(v).level.value for v in variants]
        mode = max(set(levels), key=levels.count)
        for v, level in zip(variants, levels, strict=True):
            total += 1
            if level == mode:
                agree += 1
            else:
                disagreements.append((v, f"{level} (others: {mode})"))
    return agree / total if total else float("nan"), disagreements
