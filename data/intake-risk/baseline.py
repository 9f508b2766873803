"""A bag-of-words reference on the intake-risk corpus: how hard are dev and the LOCO folds?

    .venv/bin/python data/intake-risk/baseline.py

Word 1-2-gram tf-idf + logistic regression (scikit-learn). Not a model to ship: a floor the
fine-tuned encoder should clear, and a check that dev is not solved by memorising n-grams.
"""

import json
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

HERE = Path(__file__).resolve().parent
rows = [
    json.loads(line)
    for f in ("train", "dev")
    for line in (HERE / f"{f}.jsonl").read_text(encoding="utf-8").splitlines()
]
tr = [r for r in rows if r["split"] == "train"]
dv = [r for r in rows if r["split"] == "dev"]


def fit(train):
    v = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = v.fit_transform([r["text"] for r in train])
    m = LogisticRegression(max_iter=2000, C=4).fit(X, [r["label"] for r in train])
    return v, m


v, m = fit(tr)
p = m.predict_proba(v.transform([r["text"] for r in dv]))[:, 1]
print(
    "dev ROC AUC (word 1-2gram tf-idf + LR):", round(roc_auc_score([r["label"] for r in dv], p), 3)
)
folds = json.loads((HERE / "folds.json").read_text(encoding="utf-8"))["folds"]
for f in folds:
    v, m = fit([r for r in tr if r["loco_fold"] != f])
    te = [r for r in dv if r["loco_fold"] == f]
    pr = m.predict_proba(v.transform([r["text"] for r in te]))[:, 1]
    acc = sum((x >= 0.5) == (r["label"] == 1) for x, r in zip(pr, te, strict=True)) / len(te)
    print(f"LOCO {f}: {'sens' if te[0]['label'] else 'spec'}@0.5 = {acc:.2f} (n={len(te)})")
