"""The supervised layer: TF-IDF and sentence-embedding logistic regressions, fused with rules.

The trained model is plain JSON (vocabulary, idf, coefficients, thresholds, data digest), so
loading it runs no code from the file and does not depend on the scikit-learn version. The
transform below reproduces scikit-learn's ``TfidfVectorizer`` (sublinear tf, smooth idf, l2
norm) exactly; a test checks it against scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from alongside.risk.embed import EMBEDDING_ID, Embedder

MODEL_PATH: Final = Path(__file__).parent / "model" / "risk-model.json"
FORMAT: Final = "alongside-risk-model/1"
TOKEN_PATTERN: Final = r"(?u)\b\w+\b"  # noqa: S105 - a regular expression, not a secret
_TOKEN = re.compile(TOKEN_PATTERN)


class ModelFileError(Exception):
    """The model file is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class TfidfModel:
    """TF-IDF over word 1..n-grams and a logistic regression on it."""

    vocabulary: dict[str, int]
    idf: np.ndarray[Any, np.dtype[np.float64]]
    coef: np.ndarray[Any, np.dtype[np.float64]]
    intercept: float
    ngram_max: int
    stop_words: frozenset[str] = frozenset()

    def terms(self, text: str) -> Counter[str]:
        """Word n-grams of a text as scikit-learn's default analyzer makes them."""
        tokens = [t for t in _TOKEN.findall(text.lower()) if t not in self.stop_words]
        grams: Counter[str] = Counter()
        for n in range(1, self.ngram_max + 1):
            for i in range(len(tokens) - n + 1):
                grams[" ".join(tokens[i : i + n])] += 1
        return grams

    def logit(self, text: str) -> tuple[float, list[tuple[str, float]]]:
        """Decision value and the n-grams that pushed it up most."""
        weights: dict[str, tuple[int, float]] = {}
        for term, count in self.terms(text).items():
            index = self.vocabulary.get(term)
            if index is not None:
                weights[term] = (index, (1.0 + math.log(count)) * float(self.idf[index]))
        norm = math.sqrt(sum(w * w for _, w in weights.values())) or 1.0
        contributions = {t: w / norm * float(self.coef[i]) for t, (i, w) in weights.items()}
        value = self.intercept + sum(contributions.values())
        top = sorted(((t, c) for t, c in contributions.items() if c > 0), key=lambda x: -x[1])
        return value, top[:5]


@dataclass(frozen=True)
class RiskModel:
    """Everything the supervised layer needs, read from one JSON file."""

    version: str
    data_digest: str
    tfidf: TfidfModel
    embedding_coef: np.ndarray[Any, np.dtype[np.float64]] | None
    embedding_intercept: float
    centroid: np.ndarray[Any, np.dtype[np.float64]] | None
    gate: float
    fusion_names: tuple[str, ...]
    fusion_coef: np.ndarray[Any, np.dtype[np.float64]]
    fusion_intercept: float
    thresholds: dict[str, float]
    metadata: dict[str, Any]

    @property
    def uses_embeddings(self) -> bool:
        """True when the fusion reads MiniLM sentence embeddings."""
        return self.embedding_coef is not None

    def embedding_scores(self, embedder: Embedder, text: str) -> tuple[float, float]:
        """Decision value of the embedding regression and similarity to the positives."""
        if self.embedding_coef is None or self.centroid is None:
            return 0.0, 1.0
        vector = embedder.embed([text])[0].astype(np.float64)
        return (
            float(vector @ self.embedding_coef + self.embedding_intercept),
            float(vector @ self.centroid),
        )

    def probability(self, features: dict[str, float]) -> float:
        """Calibrated probability from the fused features (a logistic regression)."""
        x = np.array([features[name] for name in self.fusion_names], dtype=np.float64)
        z = float(x @ self.fusion_coef + self.fusion_intercept)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def file_digest(path: Path) -> str:
    """SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(path: Path | None = None) -> RiskModel:
    """Read and check the model file; raises ``ModelFileError`` when it cannot be used."""
    path = path or MODEL_PATH
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"cannot read the risk model file {path}: {exc}") from exc
    try:
        if raw["format"] != FORMAT:
            raise ModelFileError(f"{path} is not an {FORMAT} file")
        tfidf_raw = raw["tfidf"]
        terms: list[str] = tfidf_raw["terms"]
        tfidf = TfidfModel(
            vocabulary={t: i for i, t in enumerate(terms)},
            idf=np.asarray(tfidf_raw["idf"], dtype=np.float64),
            coef=np.asarray(tfidf_raw["coef"], dtype=np.float64),
            intercept=float(tfidf_raw["intercept"]),
            ngram_max=int(tfidf_raw["ngram_max"]),
            stop_words=frozenset(str(w) for w in tfidf_raw.get("stop_words", [])),
        )
        if not (len(terms) == tfidf.idf.shape[0] == tfidf.coef.shape[0]):
            raise ModelFileError(f"{path}: vocabulary, idf and coefficients differ in length")
        emb = raw.get("embedding")
        embedding_coef = None
        embedding_intercept = 0.0
        centroid = None
        gate = -1.0
        if emb is not None:
            if emb["model"] != EMBEDDING_ID:
                raise ModelFileError(f"{path} was trained on embeddings {emb['model']}")
            embedding_coef = np.asarray(emb["coef"], dtype=np.float64)
            embedding_intercept = float(emb["intercept"])
            centroid = np.asarray(emb["centroid"], dtype=np.float64)
            gate = float(emb["gate"])
            if embedding_coef.shape != (384,) or centroid.shape != (384,):
                raise ModelFileError(f"{path}: embedding coefficients are not 384 numbers")
        fusion = raw["fusion"]
        names = tuple(str(n) for n in fusion["names"])
        fusion_coef = np.asarray(fusion["coef"], dtype=np.float64)
        if fusion_coef.shape != (len(names),):
            raise ModelFileError(f"{path}: fusion coefficients do not match their names")
        thresholds = {k: float(v) for k, v in raw["thresholds"].items()}
        if set(thresholds) != {"moderate"} or not 0.0 < thresholds["moderate"] < 1.0:
            raise ModelFileError(f"{path}: needs one moderate threshold between 0 and 1")
        all_finite = all(bool(np.all(np.isfinite(a))) for a in (tfidf.idf, tfidf.coef, fusion_coef))
        if not all_finite:
            raise ModelFileError(f"{path}: the model holds non-finite numbers")
        return RiskModel(
            version=str(raw["version"]),
            data_digest=str(raw["data_digest"]),
            tfidf=tfidf,
            embedding_coef=embedding_coef,
            embedding_intercept=embedding_intercept,
            centroid=centroid,
            gate=gate,
            fusion_names=names,
            fusion_coef=fusion_coef,
            fusion_intercept=float(fusion["intercept"]),
            thresholds=thresholds,
            metadata=dict(raw.get("metadata", {})),
        )
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the risk model file {path} is malformed: {exc!r}") from exc
