"""Train the supervised layer: one seeded, reproducible run from the shared public data.

Reads ``train/*-train.csv`` to fit, ``train/*-dev.csv`` to choose the thresholds, and never
``test/``. Writes plain JSON (no pickle) with the SHA-256 digest of the files it read.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from alongside.risk import lexicon
from alongside.risk.classifier import FORMAT, MODEL_PATH, TOKEN_PATTERN
from alongside.risk.embed import EMBEDDING_ID, Embedder
from alongside.risk.rules import FEATURE_NAMES, read_rules

# Bump when the training recipe changes, so the model version changes with it.
RECIPE: Final = "r1"
TRAIN_FILES: Final = ("sdcnl-train.csv", "dreaddit-train.csv")
DEV_FILES: Final = ("sdcnl-dev.csv", "dreaddit-dev.csv")
# Operating point chosen on dev (issue 5): sensitivity for "moderate or above".
TARGET_SENSITIVITY: Final = 0.95
GATE_KEEP: Final = 0.98
TFIDF_MAX_FEATURES: Final = 20000
# Regularisation chosen on dev specificity at the operating point, from (C_tfidf, C_embedding)
# in (10, 4), (4, 1), (2, 0.5), (1, 0.25): 0.717, 0.733, 0.744, 0.754.
TFIDF_C: Final = 1.0
EMBEDDING_C: Final = 0.25
FOLDS: Final = 5


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with binary labels (1 = suicidal content) and the source of each."""

    texts: list[str]
    labels: list[int]
    sources: list[str]


def _read_csv(path: Path) -> LabelledTexts:
    csv.field_size_limit(1 << 30)
    texts: list[str] = []
    labels: list[int] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if "is_suicide" in row:
                # SDCNL: r/SuicideWatch (1) against r/depression (0), title and body.
                text = f"{row.get('title') or ''}\n{row.get('selftext') or ''}".strip()
                label = int(float(row["is_suicide"]))
            else:
                # Dreaddit: stress or not; no post is about suicide, so all are negatives.
                text = (row.get("text") or "").strip()
                label = 0
            if text:
                texts.append(text)
                labels.append(label)
    return LabelledTexts(texts, labels, [path.stem] * len(texts))


def read_split(data_dir: Path, names: Sequence[str]) -> LabelledTexts:
    """Read and concatenate the named CSV files of ``data_dir/train``."""
    parts = [_read_csv(data_dir / "train" / name) for name in names]
    return LabelledTexts(
        [t for p in parts for t in p.texts],
        [y for p in parts for y in p.labels],
        [s for p in parts for s in p.sources],
    )


def data_digest(data_dir: Path, names: Sequence[str]) -> str:
    """SHA-256 over the names and bytes of the files read, in a fixed order."""
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256((data_dir / "train" / name).read_bytes()).digest())
    return digest.hexdigest()


def embed_all(embedder: Embedder, texts: Sequence[str], batch: int = 16) -> np.ndarray[Any, Any]:
    """Embed many texts, batched by length so padding stays small."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for k in range(0, len(order), batch):
        idx = order[k : k + batch]
        out[idx] = embedder.embed([texts[i] for i in idx])
    return out


def _choose_threshold_for_sensitivity(
    p: np.ndarray[Any, Any], y: np.ndarray[Any, Any], floor: np.ndarray[Any, Any], target: float
) -> float:
    """Highest threshold at which (rule floor or p >= t) reaches the target sensitivity."""
    positives = y == 1
    for t in sorted({v for v in p[positives].tolist() if v > 0}, reverse=True):
        flagged = floor | (p >= t)
        if flagged[positives].mean() >= target:
            return float(t)
    return 0.0


def train(
    data_dir: Path,
    *,
    out: Path = MODEL_PATH,
    seed: int = 0,
    embedder: Embedder | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Fit, choose thresholds on dev, write the model file; return a summary."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    train_set = read_split(data_dir, TRAIN_FILES)
    dev_set = read_split(data_dir, DEV_FILES)
    digest = data_digest(data_dir, TRAIN_FILES + DEV_FILES)
    progress(f"read {len(train_set.texts)} training and {len(dev_set.texts)} dev texts")
    train_rules = [read_rules(t) for t in train_set.texts]
    dev_rules = [read_rules(t) for t in dev_set.texts]
    x_text = [r.masked_text for r in train_rules]
    dev_text = [r.masked_text for r in dev_rules]
    y = np.asarray(train_set.labels)
    y_dev = np.asarray(dev_set.labels)

    def fit_tfidf(texts: list[str], labels: np.ndarray[Any, Any]) -> tuple[Any, Any]:
        vectorizer = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, 2),
            min_df=2,
            max_features=TFIDF_MAX_FEATURES,
            sublinear_tf=True,
            stop_words=sorted(lexicon.IDENTITY_TERMS),
        )
        matrix = vectorizer.fit_transform(texts)
        model = LogisticRegression(C=TFIDF_C, max_iter=2000, random_state=seed)
        model.fit(matrix, labels)
        return vectorizer, model

    progress("embedding texts with MiniLM (one core)")
    if embedder is None:
        from alongside.risk.embed import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    e_train = embed_all(embedder, x_text)
    e_dev = embed_all(embedder, dev_text)

    # Out-of-fold decision values on train, so the fusion learns on honest inputs.
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    oof = np.zeros((len(y), 2))
    for fit_idx, hold_idx in folds.split(np.zeros(len(y)), y):
        vec, lr = fit_tfidf([x_text[i] for i in fit_idx], y[fit_idx])
        oof[hold_idx, 0] = lr.decision_function(vec.transform([x_text[i] for i in hold_idx]))
        elr = LogisticRegression(C=EMBEDDING_C, max_iter=2000, random_state=seed)
        elr.fit(e_train[fit_idx], y[fit_idx])
        oof[hold_idx, 1] = elr.decision_function(e_train[hold_idx])
    vectorizer, tfidf_lr = fit_tfidf(x_text, y)
    emb_lr = LogisticRegression(C=EMBEDDING_C, max_iter=2000, random_state=seed)
    emb_lr.fit(e_train, y)

    names = ("tfidf_logit", "embedding_logit", *FEATURE_NAMES)
    f_train = np.hstack([oof, np.asarray([r.features() for r in train_rules])])
    fusion = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    fusion.fit(f_train, y)

    dev_base = np.column_stack(
        [
            tfidf_lr.decision_function(vectorizer.transform(dev_text)),
            emb_lr.decision_function(e_dev),
        ]
    )
    f_dev = np.hstack([dev_base, np.asarray([r.features() for r in dev_rules])])
    p_dev = fusion.predict_proba(f_dev)[:, 1]
    # Applicability domain: the classifier only speaks for texts that resemble what it learned
    # from (cosine similarity to the centroid of the training positives), or when the rules
    # found a phrase; the gate keeps GATE_KEEP of the dev positives inside.
    centroid = e_train[y == 1].mean(axis=0).astype(np.float64)
    centroid /= np.linalg.norm(centroid)
    sim_dev = e_dev.astype(np.float64) @ centroid
    gate = float(np.quantile(sim_dev[y_dev == 1], 1.0 - GATE_KEEP))
    has_evidence = np.asarray([bool(r.counted) for r in dev_rules])
    inside = has_evidence | (sim_dev >= gate)
    p_gated = np.where(inside, p_dev, 0.0)
    floor = np.asarray([r.level.rank >= 2 for r in dev_rules])
    t_mod = _choose_threshold_for_sensitivity(p_gated, y_dev, floor, TARGET_SENSITIVITY)
    flagged = floor | (p_gated >= t_mod)
    dev_sens = float(flagged[y_dev == 1].mean())
    dev_spec = float((~flagged)[y_dev == 0].mean())

    terms = vectorizer.get_feature_names_out().tolist()
    model: dict[str, Any] = {
        "format": FORMAT,
        "version": f"risk-{RECIPE}-{digest[:12]}-s{seed}",
        "data_digest": digest,
        "tfidf": {
            "ngram_max": 2,
            "stop_words": sorted(lexicon.IDENTITY_TERMS),
            "terms": terms,
            "idf": [round(float(v), 6) for v in vectorizer.idf_],
            "coef": [round(float(v), 6) for v in tfidf_lr.coef_[0]],
            "intercept": round(float(tfidf_lr.intercept_[0]), 6),
        },
        "embedding": {
            "model": EMBEDDING_ID,
            "coef": [round(float(v), 6) for v in emb_lr.coef_[0]],
            "intercept": round(float(emb_lr.intercept_[0]), 6),
            "centroid": [round(float(v), 6) for v in centroid],
            "gate": round(gate, 6),
        },
        "fusion": {
            "names": list(names),
            "coef": [round(float(v), 6) for v in fusion.coef_[0]],
            "intercept": round(float(fusion.intercept_[0]), 6),
        },
        "thresholds": {"moderate": t_mod},
        "metadata": {
            "seed": seed,
            "rules": lexicon.RULES_VERSION,
            "train_files": list(TRAIN_FILES),
            "dev_files": list(DEV_FILES),
            "train_rows": len(y),
            "train_positives": int(y.sum()),
            "dev_rows": len(y_dev),
            "dev_positives": int(y_dev.sum()),
            "dev_roc_auc_fused": round(float(roc_auc_score(y_dev, p_dev)), 4),
            "dev_roc_auc_tfidf": round(float(roc_auc_score(y_dev, dev_base[:, 0])), 4),
            "dev_roc_auc_embedding": round(float(roc_auc_score(y_dev, dev_base[:, 1])), 4),
            "dev_sensitivity": round(dev_sens, 4),
            "dev_specificity": round(dev_spec, 4),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n")
    progress(f"wrote {out}")
    summary: dict[str, Any] = {"path": str(out), "version": model["version"]}
    summary.update(model["metadata"])
    summary["thresholds"] = model["thresholds"]
    return summary
