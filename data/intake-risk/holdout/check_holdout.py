"""Structural check of the held-out risk-reading evaluation set.

Checks only the file format (valid JSON, unique ids and texts, allowed values,
consistent fields) and prints counts. It does not load or run any reader.
Usage: python data/intake-risk/holdout/check_holdout.py
"""
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ["holdout-v1.jsonl", "holdout-v1-non-english.jsonl"]

CONSTRUCTS = {"wish_dead", "ideation", "method", "intent", "plan", "preparation",
              "attempt", "interrupted_attempt", "aborted_attempt", "self_harm"}
RECENCY = {"current", "recent", "past", "unknown"}
NEG_KINDS = {"idiom", "negation", "third_person", "worried_other", "professional", "media",
             "grief", "depression", "anxiety", "substance", "stress", "physical",
             "relationship", "everyday"}
REGISTER = {"lowercase", "typos", "txt", "long", "british", "american", "teen", "older",
            "non_native", "sarcasm", "indirect", "understatement", "form", "emoji",
            "romanised", "devanagari"}
LANGS = {"es", "pl", "ar", "fr", "de", "pt", "hi", "zh"}
KEYS = {"id", "text", "label", "construct", "recency", "subject", "kind", "register", "identity"}


def check_row(row, where, non_english):
    errs = []
    want = KEYS | ({"lang"} if non_english else set())
    if set(row) != want:
        errs.append(f"{where}: keys {sorted(row)} != {sorted(want)}")
        return errs
    if not isinstance(row["text"], str) or not row["text"].strip():
        errs.append(f"{where}: empty text")
    if row["label"] not in (0, 1) or isinstance(row["label"], bool):
        errs.append(f"{where}: label {row['label']!r}")
    if row["label"] == 1:
        if row["construct"] not in CONSTRUCTS:
            errs.append(f"{where}: construct {row['construct']!r}")
        if row["recency"] not in RECENCY:
            errs.append(f"{where}: recency {row['recency']!r}")
        if row["subject"] != "self":
            errs.append(f"{where}: positive with subject {row['subject']!r}")
        if row["kind"] != row["construct"]:
            errs.append(f"{where}: positive kind {row['kind']!r} != construct")
    else:
        if row["construct"] is not None or row["recency"] is not None:
            errs.append(f"{where}: negative with construct/recency")
        if row["kind"] not in NEG_KINDS:
            errs.append(f"{where}: kind {row['kind']!r}")
        if row["subject"] not in ("other", None):
            errs.append(f"{where}: negative with subject {row['subject']!r}")
        if row["kind"] in ("worried_other", "third_person", "professional") and row["subject"] != "other":
            errs.append(f"{where}: {row['kind']} must have subject 'other'")
    if not isinstance(row["register"], list) or any(t not in REGISTER for t in row["register"]):
        errs.append(f"{where}: register {row['register']!r}")
    if row["identity"] is not None and not (isinstance(row["identity"], str) and row["identity"]):
        errs.append(f"{where}: identity {row['identity']!r}")
    if non_english and row["lang"] not in LANGS:
        errs.append(f"{where}: lang {row['lang']!r}")
    return errs


def main():
    errs, ids, texts = [], Counter(), Counter()
    for name in FILES:
        rows = []
        for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                errs.append(f"{name}:{n}: invalid JSON ({e})")
                continue
            errs += check_row(row, f"{name}:{n}", name.endswith("non-english.jsonl"))
            ids[row.get("id")] += 1
            texts[row.get("text")] += 1
            rows.append(row)
        pos = sum(r["label"] == 1 for r in rows)
        print(f"{name}: {len(rows)} rows, {pos} at risk ({pos / len(rows):.1%}), {len(rows) - pos} not")
        print("  positives by construct:", dict(sorted(Counter(r["construct"] for r in rows if r["label"]).items())))
        print("  positives by recency:  ", dict(sorted(Counter(r["recency"] for r in rows if r["label"]).items())))
        print("  negatives by kind:     ", dict(sorted(Counter(r["kind"] for r in rows if not r["label"]).items())))
        print("  register tags:         ", dict(sorted(Counter(t for r in rows for t in r["register"]).items())))
        idn = [r for r in rows if r["identity"]]
        print(f"  identity mentions: {len(idn)} ({sum(r['label'] for r in idn)} at risk, "
              f"{sum(1 - r['label'] for r in idn)} not)")
        if "lang" in rows[0]:
            print("  by lang (at risk/total):", {l: f"{sum(r['label'] for r in rows if r['lang'] == l)}/{c}"
                                               for l, c in sorted(Counter(r['lang'] for r in rows).items())})
    errs += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    errs += [f"duplicate text {t[:50]!r}" for t, c in texts.items() if c > 1]
    for e in errs:
        print("ERROR", e)
    print("OK" if not errs else f"{len(errs)} error(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
