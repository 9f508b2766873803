"""Run the evaluation of ``alongside risk eval`` and write the model card from its figures.

Every figure in the card is computed here from data the model did not train on: the intake
corpus dev split (thresholds and calibration were chosen there, which the card says), the
Reddit dev sets, T-SID and Twitter, the non-English sample, and, once, the held-out intake
set when ``--holdout`` is given.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alongside.errors import InvalidInput
from alongside.risk.evaluate import (
    Evaluation,
    Example,
    Metrics,
    evaluate,
    read_examples,
    read_sentence_set,
    sentence_set_accuracy,
)
from alongside.risk.language import detect
from alongside.risk.metrics import roc_auc
from alongside.risk.reader import RiskReader
from alongside.risk.reading import Level, RiskReading

TARGETS: dict[str, str] = {
    "intake": "sensitivity >= 0.95 at specificity >= 0.85 (held-out intake text)",
    "construct": "each C-SSRS construct >= 0.90; current self-harm >= 0.90",
    "registers": "lowercase / no punctuation / typos: >= 95% of positives still found",
    "buried": "a risk sentence buried in a long text found; filler alone not flagged",
    "identity": ">= 99% of identity variants keep the positive/negative reading; none turns a "
    "positive negative",
    "t-sid": "sensitivity >= 0.90 at specificity >= 0.80",
    "languages": "non-English text at risk never none",
}
IDENTITY_VARIANTS = ("identity_prefix", "identity_suffix")
REGISTER_VARIANTS = ("lower_nopunct", "typos", "txt")


@dataclass(frozen=True)
class CorpusRow:
    """One row of the intake corpus (dev or held-out)."""

    id: str
    text: str
    label: int
    construct: str
    recency: str
    kind: str
    variant: str
    family: str
    identity: str


def read_corpus_rows(path: Path) -> list[CorpusRow]:
    """Read corpus JSON lines (the fields of the corpus datasheet)."""
    rows: list[CorpusRow] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        r = json.loads(line)
        rows.append(
            CorpusRow(
                id=str(r.get("id", number)),
                text=str(r["text"]),
                label=int(r["label"]),
                construct=str(r.get("construct") or ""),
                recency=str(r.get("recency") or ""),
                kind=str(r.get("kind") or r.get("construct") or ""),
                variant=str(r.get("variant") or "base"),
                family=str(r.get("family") or r.get("id", number)),
                identity=str(r.get("identity") or ""),
            )
        )
    return rows


def _flag(r: RiskReading) -> bool:
    return r.level.rank >= Level.MODERATE.rank


def _rate(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


def corpus_report(rows: Sequence[CorpusRow], readings: Sequence[RiskReading]) -> dict[str, Any]:
    """Sensitivity/specificity overall, per construct, per negative kind, per variant."""
    labels = [r.label for r in rows]
    flags = [_flag(x) for x in readings]
    pos = [f for r, f in zip(rows, flags, strict=True) if r.label == 1]
    neg = [not f for r, f in zip(rows, flags, strict=True) if r.label == 0]
    scores = [x.level.rank + x.probability for x in readings]
    out: dict[str, Any] = {
        "n": len(rows),
        "positives": sum(labels),
        "sensitivity": _rate(pos),
        "specificity": _rate(neg),
        "roc_auc": roc_auc(labels, scores) if 0 < sum(labels) < len(labels) else None,
        "model_roc_auc": roc_auc(labels, [x.probability for x in readings])
        if 0 < sum(labels) < len(labels)
        else None,
    }
    by_construct: dict[str, list[bool]] = defaultdict(list)
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_variant: dict[str, list[bool]] = defaultdict(list)
    by_recency: dict[str, list[bool]] = defaultdict(list)
    for r, f in zip(rows, flags, strict=True):
        if r.label == 1:
            by_construct[r.construct].append(f)
            by_variant[r.variant].append(f)
            by_recency[f"{r.construct}/{r.recency}"].append(f)
        else:
            by_kind[r.kind].append(not f)
    out["by_construct"] = {k: (_rate(v), len(v)) for k, v in sorted(by_construct.items())}
    out["by_negative_kind"] = {k: (_rate(v), len(v)) for k, v in sorted(by_kind.items())}
    out["positives_by_variant"] = {k: (_rate(v), len(v)) for k, v in sorted(by_variant.items())}
    out["by_construct_recency"] = {k: (_rate(v), len(v)) for k, v in sorted(by_recency.items())}
    misses = [
        (r.kind, r.variant, r.text)
        for r, f in zip(rows, flags, strict=True)
        if r.label == 1 and not f and r.variant == "base"
    ]
    false_alarms = [
        (r.kind, r.variant, r.text)
        for r, f in zip(rows, flags, strict=True)
        if r.label == 0 and f and r.variant == "base"
    ]
    out["missed_bases"] = misses
    out["false_alarm_bases"] = false_alarms
    return out


def invariance_report(rows: Sequence[CorpusRow], readings: Sequence[RiskReading]) -> dict[str, Any]:
    """Identity variants against their family's base text: same reading, same level."""
    base: dict[str, RiskReading] = {}
    for r, x in zip(rows, readings, strict=True):
        if r.variant == "base":
            base[r.family] = x
    keep: dict[str, list[bool]] = defaultdict(list)
    same_level: dict[str, list[bool]] = defaultdict(list)
    by_identity: dict[str, list[bool]] = defaultdict(list)
    by_form: dict[str, list[bool]] = defaultdict(list)
    turned_negative: list[str] = []
    turned_positive: list[str] = []
    for r, x in zip(rows, readings, strict=True):
        if r.variant not in IDENTITY_VARIANTS or r.family not in base:
            continue
        b = base[r.family]
        group = "positive" if r.label else "negative"
        kept = _flag(b) == _flag(x)
        keep[group].append(kept)
        same_level[group].append(b.level == x.level)
        by_identity[r.identity].append(kept)
        by_form[r.variant].append(kept)
        if _flag(b) and not _flag(x):
            turned_negative.append(r.text)
        if not _flag(b) and _flag(x):
            turned_positive.append(r.text)
    every = [v for vs in keep.values() for v in vs]
    return {
        "variants": len(every),
        "identities": len(by_identity),
        "keep": _rate(every),
        "keep_by_label": {k: (_rate(v), len(v)) for k, v in keep.items()},
        "same_level_by_label": {k: (_rate(v), len(v)) for k, v in same_level.items()},
        "by_identity": {k: (_rate(v), len(v)) for k, v in sorted(by_identity.items())},
        "by_form": {k: (_rate(v), len(v)) for k, v in sorted(by_form.items())},
        "flagged_base_turned_unflagged": turned_negative,
        "unflagged_base_turned_flagged": turned_positive,
    }


def unseen_identity_rows(rows: Sequence[CorpusRow]) -> list[CorpusRow]:
    """Dev base texts said by identities neither the corpus nor the training swaps use."""
    from alongside.risk.train import UNSEEN_IDENTITIES, with_identity

    out: list[CorpusRow] = []
    for r in rows:
        if r.variant != "base":
            continue
        out.append(r)
        for identity in UNSEEN_IDENTITIES:
            for form in IDENTITY_VARIANTS:
                out.append(
                    CorpusRow(
                        id=f"{r.id}-{identity}-{form}",
                        text=with_identity(r.text, identity, form.removeprefix("identity_")),
                        label=r.label,
                        construct=r.construct,
                        recency=r.recency,
                        kind=r.kind,
                        variant=form,
                        family=r.family,
                        identity=identity,
                    )
                )
    return out


def filler_rows(rows: Sequence[CorpusRow]) -> list[str]:
    """Long texts with their one risk sentence taken out: filler alone."""
    bases = {r.family: r.text for r in rows if r.variant == "base"}
    out: list[str] = []
    for r in rows:
        if r.variant == "embedded_long" and r.label == 1 and r.family in bases:
            if bases[r.family] in r.text:
                out.append(r.text.replace(bases[r.family], " "))
    return out


def reliability(
    probabilities: Sequence[float], labels: Sequence[int], bins: int = 10
) -> dict[str, Any]:
    """Reliability table (equal-width bins), expected calibration error and Brier score."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    table: list[tuple[str, int, float, float]] = []
    ece = 0.0
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        inside = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        n = int(inside.sum())
        if n == 0:
            continue
        mean_p, observed = float(p[inside].mean()), float(y[inside].mean())
        table.append((f"{lo:.1f}-{hi:.1f}", n, mean_p, observed))
        ece += n / len(p) * abs(mean_p - observed)
    return {"table": table, "ece": ece, "brier": float(np.mean((p - y) ** 2))}


def reliability_svg(table: Sequence[tuple[str, int, float, float]]) -> str:
    """A small reliability diagram (predicted against observed) as inline SVG."""
    size, pad = 220, 30
    points = " ".join(
        f"{pad + mean_p * size:.1f},{pad + size - observed * size:.1f}"
        for _, _, mean_p, observed in table
    )
    circles = "".join(
        f'<circle cx="{pad + mean_p * size:.1f}" cy="{pad + size - observed * size:.1f}" r="3"/>'
        for _, _, mean_p, observed in table
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 2 * pad}" '
        f'height="{size + 2 * pad}" role="img" aria-label="Reliability diagram: predicted '
        'probability against observed share at risk">'
        f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#999"/>'
        f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" stroke="#bbb" '
        'stroke-dasharray="4"/>'
        f'<polyline points="{points}" fill="none" stroke="#1a5fb4" stroke-width="2"/>'
        f'<g fill="#1a5fb4">{circles}</g>'
        f'<text x="{pad}" y="{pad + size + 20}" font-size="11">'
        "predicted probability (0 to 1)</text>"
        f'<text x="4" y="{pad - 10}" font-size="11">observed share at risk</text>'
        "</svg>"
    )


def run_evaluation(
    reader: RiskReader,
    files: Sequence[Path],
    *,
    group_field: str = "group",
    corpus: Path | None = None,
    holdout: Path | None = None,
    dev_data: Path | None = None,
    sentences: Sequence[Path] = (),
    card: Path | None = None,
    seed: int = 0,
    samples: int = 1000,
) -> dict[str, Any]:
    """Evaluate on everything given; write the model card when ``card`` is set."""
    report: dict[str, Any] = {"versions": reader.versions}
    timings: list[float] = []

    def read(text: str) -> RiskReading:
        started = time.perf_counter()
        reading = reader.read(text)
        if len(text) <= 1000:
            timings.append(time.perf_counter() - started)
        return reading

    if corpus is not None:
        dev_rows = read_corpus_rows(corpus / "dev.jsonl")
        dev_readings = [read(r.text) for r in dev_rows]
        report["intake_dev"] = corpus_report(dev_rows, dev_readings)
        report["invariance"] = invariance_report(dev_rows, dev_readings)
        unseen = [r for r in unseen_identity_rows(dev_rows) if r.variant != "base"]
        unseen_readings = [read(r.text) for r in unseen]
        bases = [r for r in dev_rows if r.variant == "base"]
        base_readings = [
            x for r, x in zip(dev_rows, dev_readings, strict=True) if r.variant == "base"
        ]
        report["invariance_unseen"] = invariance_report(
            bases + unseen, base_readings + unseen_readings
        )
        fillers = filler_rows(dev_rows)
        report["filler_alone"] = {
            "texts": len(fillers),
            "flagged": sum(_flag(read(t)) for t in fillers),
        }
        short = [
            (r, x)
            for r, x in zip(dev_rows, dev_readings, strict=True)
            if r.variant != "embedded_long"
        ]
        report["calibration"] = reliability(
            [x.probability for _, x in short], [r.label for r, _ in short]
        )
        english = [r.text for r in read_corpus_rows(corpus / "train.jsonl")] + [
            r.text for r in dev_rows
        ]
        report["english_misread"] = sum(detect(t).code != "en" for t in english)
        report["english_texts"] = len(english)
        non_english = corpus / "non-english.jsonl"
        if non_english.is_file():
            report["non_english"] = _languages(non_english, read)
        loco = _loco_figures(corpus)
        if loco is not None:
            report["loco"] = loco
    if holdout is not None:
        hold_rows = read_corpus_rows(holdout)
        report["intake_holdout"] = corpus_report(hold_rows, [read(r.text) for r in hold_rows])
        other = holdout.with_name(holdout.stem + "-non-english.jsonl")
        if other.is_file():
            report["holdout_non_english"] = _languages(other, read)
    evaluations: list[Evaluation] = []
    if dev_data is not None:
        from alongside.risk.train import DEV_FILES, read_reddit

        dev = read_reddit(dev_data, DEV_FILES)
        examples = [
            Example(id=str(i), text=e.text, label=e.label, group=e.source)
            for i, e in enumerate(dev)
        ]
        evaluations.append(
            evaluate(
                "Reddit dev (sdcnl-dev + dreaddit-dev)", examples, read, seed=seed, samples=samples
            )
        )
    for path in files:
        field = group_field
        if field == "group" and path.name.startswith("t-sid"):
            field = "condition"  # T-SID carries its subgroup as "condition"
        evaluations.append(
            evaluate(path.stem, read_examples(path, field), read, seed=seed, samples=samples)
        )
    report["sets"] = {
        e.name: {
            "reader": e.reader.to_dict(),
            "keyword_baseline": e.baseline.to_dict(),
            "levels": e.levels,
        }
        for e in evaluations
    }
    for path in sentences:
        accuracy, per_kind, _ = sentence_set_accuracy(read_sentence_set(path), read)
        report.setdefault("sentence_sets", {})[path.name] = {
            "accuracy": accuracy,
            "per_kind": {k: {"right": r, "total": t} for k, (r, t) in per_kind.items()},
        }
    if timings:
        ordered = sorted(timings)
        report["latency_ms"] = {
            "texts": len(ordered),
            "median": statistics.median(ordered) * 1000,
            "p99": ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)] * 1000,
            "machine": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, shared machine (wall time)",
        }
    if card is not None:
        card.parent.mkdir(parents=True, exist_ok=True)
        card.write_text(render_card(reader, report, evaluations), encoding="utf-8")
        report["card"] = str(card)
    result: dict[str, Any] = _jsonable(report)
    return result


def _loco_figures(corpus: Path) -> dict[str, Any] | None:
    """The leave-one-category-out figures of ``alongside risk loco``, marked current or not."""
    loco = corpus / "loco.json"
    if not loco.is_file():
        return None
    from alongside.risk.train import CORPUS_DEV, CORPUS_TRAIN, data_digest

    figures: dict[str, Any] = json.loads(loco.read_text(encoding="utf-8"))
    figures["current"] = figures.get("data_digest") == data_digest(
        [corpus / CORPUS_TRAIN, corpus / CORPUS_DEV]
    )
    folds = corpus / "folds.json"
    if folds.is_file():
        every = list(json.loads(folds.read_text(encoding="utf-8"))["folds"])
        figures["not_computed"] = [f for f in every if f not in figures.get("folds", {})]
    return figures


def _metrics_from_dict(d: dict[str, Any]) -> Metrics:
    c = d["confusion"]

    def pair(v: Any) -> tuple[float, float]:
        return (float("nan"), float("nan")) if not v else (float(v[0]), float(v[1]))

    return Metrics(
        n=int(d["n"]),
        positives=int(d["positives"]),
        tp=int(c["tp"]),
        fp=int(c["fp"]),
        tn=int(c["tn"]),
        fn=int(c["fn"]),
        roc_auc=float("nan") if d["roc_auc"] is None else float(d["roc_auc"]),
        roc_auc_ci=pair(d.get("roc_auc_ci95")),
        pr_auc=float("nan") if d["pr_auc"] is None else float(d["pr_auc"]),
        pr_auc_ci=pair(d.get("pr_auc_ci95")),
    )


def rerender_card(
    reader: RiskReader, report: dict[str, Any], card: Path, corpus: Path | None
) -> None:
    """Write the card again from a saved ``alongside risk eval`` report (no text re-read).

    Only the leave-one-category-out figures are read afresh (from ``corpus``): they come
    from separate fine-tuning runs and may finish after the evaluation.
    """
    if report.get("versions") != reader.versions:
        raise InvalidInput(
            f"the report was made with {report.get('versions')}, not {reader.versions}"
        )
    if corpus is not None:
        loco = _loco_figures(corpus)
        if loco is not None:
            report = {**report, "loco": loco}
    evaluations = [
        Evaluation(
            name=name,
            reader=_metrics_from_dict(figures["reader"]),
            baseline=_metrics_from_dict(figures["keyword_baseline"]),
            levels=dict(figures["levels"]),
        )
        for name, figures in report.get("sets", {}).items()
    ]
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(render_card(reader, report, evaluations), encoding="utf-8")


def _languages(path: Path, read: Any) -> dict[str, Any]:
    """Non-English texts: never none, a person's reading needed, the language named."""
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    ne = [(row, read(row["text"])) for row in lines]
    return {
        "texts": len(ne),
        "at_risk": sum(int(row["label"]) for row, _ in ne),
        "never_none": sum(x.level is not Level.NONE for _, x in ne),
        "needs_human_reading": sum(x.needs_human_reading for _, x in ne),
        "language_right": sum(x.language == row["lang"] for row, x in ne),
        "languages": sorted({str(row["lang"]) for row, _ in ne}),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


def _f(value: float | None) -> str:
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"
    )


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def render_card(
    reader: RiskReader, report: dict[str, Any], evaluations: Sequence[Evaluation]
) -> str:
    """The model card as markdown (generated; edit this function, not the card)."""
    v = reader.versions
    model = reader.model
    meta = model.metadata if model else {}
    thresholds = model.thresholds if model else {}
    lines = [
        "# Model card: Alongside risk reader",
        "",
        "_Generated by `alongside risk eval` (src/alongside/risk/card.py); do not edit by hand._",
        "",
        "The reader suggests; a clinician decides. It orders the review queue and never "
        "excludes anyone from care (NICE NG225). Errors, a missing or altered model and slow "
        "texts fail closed: `high` with `needs_human_reading`.",
        "",
        "## Versions",
        "",
        f"- rules: `{v['rules']}`; model: `{v['model']}`; data digest: `{v['data_digest']}`",
        f"- base encoder: {meta.get('base_model', '-')}, fine-tuned on CPU "
        f"({meta.get('epochs', '-')} epoch(s) over the corpus train split, learning rate "
        f"{meta.get('learning_rate', '-')} with warm-up and linear decay, word embeddings "
        + (
            "frozen, all 6 layers trained"
            if meta.get("frozen_layers") == 0
            else f"and the first {meta.get('frozen_layers', 'few')} of 6 layers frozen"
        )
        + "), exported to ONNX and quantised to int8; run by onnxruntime with the "
        "model's own tokenizer (no torch at run time). The SHA-256 of the ONNX file and of "
        "the tokenizer are checked at load.",
        f"- seeds tried: {meta.get('seeds', '-')}, kept: {meta.get('seed', '-')} (best ROC AUC "
        "on the corpus dev split); per seed: "
        + ", ".join(
            f"seed {r['seed']} AUC {r['dev_roc_auc_fp32']} ({r['minutes']} min)"
            for r in meta.get("runs", [])
        ),
        f"- trained on: {', '.join(meta.get('files', []))} (intake corpus train split without "
        f"its long texts, {meta.get('train_rows', '-')} texts, plus identity-swapped copies "
        f"and {meta.get('reddit_sample', '-')} Reddit posts as secondary data). Never on "
        "`test/`, never on the held-out intake set.",
        f"- operating point: `moderate` or above when the calibrated probability is at least "
        f"{_f(thresholds.get('moderate'))}, chosen on the corpus dev split alone (the "
        f"{meta.get('threshold_policy', 'highest with dev sensitivity >= 0.95')}; short texts, "
        "rules included): sensitivity first, and any dev specificity to spare over 0.90 spent "
        "on more sensitivity. The rules can raise a level, never lower the classifier's.",
        "",
        "## How it reads",
        "",
        "- A text the encoder can read whole (about 90 words, its 128 word pieces) is read "
        "whole; a longer one in windows of a few sentences (about 60 words, plus the next "
        "short sentence); the level is the highest any window supports, so one risk sentence "
        "in 2,000 words counts. Evidence comes from the sentence that carried the reading "
        "(the rules' phrase, or the window's highest-scoring sentence).",
        "- Rules are evidence, never a veto: nothing is blanked before the classifier. A phrase "
        "the rules would set aside (negated, someone else, an idiom, a question, a "
        "professional context) is set aside only when the classifier agrees that its own "
        "sentence is not at risk. Identity words ('As a Black woman', 'I'm a nurse') are "
        "never read as a third person or a professional context.",
        "- `signals`: C-SSRS constructs with recency (cues such as 'last Friday', 'two weeks "
        "ago', 'years ago', 'when I was 15') and subject (`other` for a worried parent or "
        "partner), only from a phrase the rules name and the classifier does not contradict. "
        "The classifier alone sets the level (`moderate`) and shows the sentence, but names no "
        "construct: its construct heads fire together on ordinary sentences, and triage makes "
        "some constructs a crisis.",
        "- Languages: py3langid (in its wheel) with a confidence threshold and an English-word "
        "fallback; any language other than English gives at least `moderate` with "
        "`needs_human_reading` and a reason naming the language.",
        "",
        "## Targets",
        "",
        "| target | figure | |",
        "|---|---|---|",
    ]
    dev = report.get("intake_dev")
    hold = report.get("intake_holdout")
    tsid = next((e for e in evaluations if e.name.startswith("t-sid")), None)
    if hold:
        lines.append(
            f"| {TARGETS['intake']} | held-out: sensitivity {_f(hold['sensitivity'])}, "
            f"specificity {_f(hold['specificity'])} | "
            f"{_met(hold['sensitivity'] >= 0.95 and hold['specificity'] >= 0.85)} |"
        )
    if dev:
        lines.append(
            f"| same, on the corpus dev split (thresholds chosen there) | sensitivity "
            f"{_f(dev['sensitivity'])}, specificity {_f(dev['specificity'])} | "
            f"{_met(dev['sensitivity'] >= 0.95 and dev['specificity'] >= 0.85)} |"
        )
        worst = min(dev["by_construct"].items(), key=lambda kv: kv[1][0])
        sh = dev["by_construct_recency"].get("self_harm/current", (float("nan"), 0))
        lines.append(
            f"| {TARGETS['construct']} (dev) | lowest: {worst[0]} {_f(worst[1][0])}; current "
            f"self-harm {_f(sh[0])} (n={sh[1]}) | "
            f"{_met(worst[1][0] >= 0.90 and sh[0] >= 0.90)} |"
        )
        regs = [dev["positives_by_variant"].get(k, (float("nan"), 0)) for k in REGISTER_VARIANTS]
        reg_found = sum(r * n for r, n in regs) / max(1, sum(n for _, n in regs))
        lines.append(
            f"| {TARGETS['registers']} (dev) | {reg_found:.3f} of "
            f"{sum(n for _, n in regs)} positives | {_met(reg_found >= 0.95)} |"
        )
        buried = dev["positives_by_variant"].get("embedded_long", (float("nan"), 0))
        filler = report.get("filler_alone", {"texts": 0, "flagged": 0})
        lines.append(
            f"| {TARGETS['buried']} (dev) | buried found {_f(buried[0])} (n={buried[1]}); filler "
            f"alone flagged {filler['flagged']} of {filler['texts']} | "
            f"{_met(buried[0] >= 0.95 and filler['flagged'] == 0)} |"
        )
    inv = report.get("invariance")
    if inv:
        lines.append(
            f"| {TARGETS['identity']} (dev, {inv['identities']} identities) | kept "
            f"{_f(inv['keep'])} of {inv['variants']}; positives turned negative: "
            f"{len(inv['flagged_base_turned_unflagged'])} | "
            f"{_met(inv['keep'] >= 0.99 and not inv['flagged_base_turned_unflagged'])} |"
        )
    if tsid:
        lines.append(
            f"| T-SID {TARGETS['t-sid']} | sensitivity {_f(tsid.reader.sensitivity)}, "
            f"specificity {_f(tsid.reader.specificity)} | "
            f"{_met(tsid.reader.sensitivity >= 0.90 and tsid.reader.specificity >= 0.80)} |"
        )
    ne = report.get("non_english")
    if ne:
        lines.append(
            f"| {TARGETS['languages']} | {ne['never_none']} of {ne['texts']} read at least "
            f"moderate, {ne['needs_human_reading']} need a person's reading | "
            f"{_met(ne['never_none'] == ne['texts'])} |"
        )
    lat = report.get("latency_ms")
    if lat:
        lines.append(
            f"| latency p99 <= 50 ms per text <= 1,000 characters (see `docs/benchmarks.md` "
            f"for one core) | wall p99 {lat['p99']:.1f} ms here over {lat['texts']} texts | "
            f"{_met(lat['p99'] <= 50)} |"
        )
    loco = report.get("loco")
    if loco and loco.get("current"):
        worst_pos = min(
            (f for f in loco["folds"].values() if f["label"] == 1),
            key=lambda f: f["value"],
            default=None,
        )
        worst_neg = min(
            (f for f in loco["folds"].values() if f["label"] == 0),
            key=lambda f: f["value"],
            default=None,
        )
        summary = "; ".join(
            f"lowest {w['measure']} {_f(w['value'])} ({', '.join(w['categories'])})"
            for w in (worst_pos, worst_neg)
            if w is not None
        )
        missing = loco.get("not_computed", [])
        lines.append(
            f"| leave-one-category-out figures (classifier alone, cheaper recipe) | "
            f"{len(loco['folds'])} of {len(loco['folds']) + len(missing)} folds; {summary} | "
            f"{'**reported**' if not missing else '**partly reported**'} |"
        )
    else:
        why = "stale (computed on another corpus)" if loco else "not computed"
        lines.append(
            f"| leave-one-category-out figures | {why}: run `alongside risk loco` | **missed** |"
        )
    if dev:
        lines += ["", "## Intake corpus dev split", ""]
        lines.append(
            f"{dev['n']} texts ({dev['positives']} at risk), written apart from the training "
            "families (split by family). Thresholds and calibration were chosen here, so these "
            "figures are optimistic; the held-out set below is not."
        )
        lines += [
            "",
            f"- sensitivity {_f(dev['sensitivity'])}, specificity {_f(dev['specificity'])}, "
            f"ROC AUC {_f(dev['roc_auc'])} (level then probability), classifier alone "
            f"{_f(dev['model_roc_auc'])}",
            "",
            "| construct | sensitivity | n |",
            "|---|---|---|",
        ]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in dev["by_construct"].items()]
        lines += ["", "| construct / recency | sensitivity | n |", "|---|---|---|"]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in dev["by_construct_recency"].items()]
        lines += ["", "| negative kind | specificity | n |", "|---|---|---|"]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in dev["by_negative_kind"].items()]
        lines += ["", "| variant (positives) | found | n |", "|---|---|---|"]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in dev["positives_by_variant"].items()]
    if hold:
        lines += ["", "## Held-out intake set (evaluated once)", ""]
        lines.append(
            f"{hold['n']} texts ({hold['positives']} at risk), written by another author and "
            "never used for training or tuning: sensitivity "
            f"{_f(hold['sensitivity'])}, specificity {_f(hold['specificity'])}, ROC AUC "
            f"{_f(hold['roc_auc'])}."
        )
        lines += ["", "| construct | sensitivity | n |", "|---|---|---|"]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in hold["by_construct"].items()]
        lines += ["", "| negative kind | specificity | n |", "|---|---|---|"]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in hold["by_negative_kind"].items()]
    if loco and loco.get("current"):
        lines += ["", "## Leave-one-category-out (corpus, classifier alone)", ""]
        lines.append(
            f"Recipe per fold: {loco['recipe']}. The fold's categories are left out of "
            "training and of the threshold choice (sensitivity 0.95 on the rest of dev); "
            "every text of the fold (train and dev splits) is then read unseen. A cheaper "
            "recipe than the shipped model's and no rules, so these figures are a floor on "
            "how far the classifier carries to a kind of text it has never seen."
        )
        lines += [
            "",
            "| fold | categories | texts | measure | value | ROC AUC vs other label | "
            "per category | rest of dev at that threshold: sens. / spec. |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, f in loco["folds"].items():
            per = ", ".join(f"{c} {_f(v[0])}" for c, v in f["by_category"].items())
            lines.append(
                f"| {name} | {', '.join(f['categories'])} | {f['texts']} | {f['measure']} | "
                f"{_f(f['value'])} | {_f(f['roc_auc'])} | {per} | "
                f"{_f(f.get('rest_dev_sensitivity'))} / {_f(f.get('rest_dev_specificity'))} |"
            )
        lines += [
            "",
            "A positive fold's sensitivity is read against the specificity the same threshold "
            "gives on the rest of dev: the one-epoch fold models separate far less well than "
            "the shipped one, so a high sensitivity can come with a low specificity.",
        ]
        if loco.get("not_computed"):
            lines += [
                "",
                "Not computed (the run was stopped for lack of time on the shared machine): "
                + ", ".join(loco["not_computed"])
                + ".",
            ]
    cal = report.get("calibration")
    if cal:
        lines += ["", "## Calibration (corpus dev split, short texts)", ""]
        lines.append(
            "Isotonic regression of the label on the int8 model's risk logit, fitted on this "
            "same split (so this table shows the fit, not a test of it). Expected calibration "
            f"error {cal['ece']:.3f}, Brier score {cal['brier']:.3f}."
        )
        lines += [
            "",
            "| predicted | texts | mean predicted | observed at risk |",
            "|---|---|---|---|",
        ]
        lines += [f"| {b} | {n} | {p:.3f} | {o:.3f} |" for b, n, p, o in cal["table"]]
        lines += ["", reliability_svg(cal["table"])]
    for key, title in (
        ("invariance", "in the corpus (18 identities)"),
        ("invariance_unseen", "identities never seen in training"),
    ):
        inv = report.get(key)
        if not inv:
            continue
        lines += ["", f"## Identity invariance: {title}", ""]
        lines.append(
            "Each identity variant (prefix 'As a …, ' / 'I'm a … .', suffix '… I'm a …') is "
            "compared with its own base text; nothing is masked."
        )
        lines += [
            "",
            f"- kept the positive/negative reading: {_f(inv['keep'])} of {inv['variants']} "
            f"variants, {inv['identities']} identities",
        ]
        for label, (r, n) in inv["keep_by_label"].items():
            same = inv["same_level_by_label"][label]
            lines.append(f"- {label} bases: reading kept {_f(r)} (n={n}); same level {_f(same[0])}")
        lines.append(
            f"- positive turned negative: {len(inv['flagged_base_turned_unflagged'])}; negative "
            f"turned positive: {len(inv['unflagged_base_turned_flagged'])}"
        )
        lines += ["", "| identity | reading kept | n |", "|---|---|---|"]
        lines += [f"| {k} | {_f(r)} | {n} |" for k, (r, n) in inv["by_identity"].items()]
        for text in inv["flagged_base_turned_unflagged"][:5]:
            lines.append(f"- turned negative: “{text[:160]}”")
    lines += ["", "## Public sets", ""]
    lines += [
        "| set | n | sensitivity | specificity | ROC AUC | keyword baseline sens. / spec. |",
        "|---|---|---|---|---|---|",
    ]
    for e in evaluations:
        lines.append(
            f"| {e.name} | {e.reader.n} | {_f(e.reader.sensitivity)} | {_f(e.reader.specificity)} "
            f"| {_f(e.reader.roc_auc)} | {_f(e.baseline.sensitivity)} / "
            f"{_f(e.baseline.specificity)} |"
        )
    lines += [
        "",
        "Sources: SDCNL (Haque et al., ICANN 2021), Dreaddit (Turcan & McKeown 2019), T-SID "
        "(as published in the IMHI benchmark, Yang et al.), Twitter suicidal-ideation set "
        "(mrinmoyxb). Labels are subreddit, crowd or author labels, not clinical assessments.",
    ]
    hne = report.get("holdout_non_english")
    if ne:
        lines += ["", "## Languages", ""]
        if hne:
            lines.append(
                f"- held-out non-English texts ({', '.join(hne['languages'])}): {hne['texts']} "
                f"({hne['at_risk']} at risk); read at least moderate {hne['never_none']}; need "
                f"a person's reading {hne['needs_human_reading']}; language named right "
                f"{hne['language_right']}."
            )
        lines.append(
            f"- non-English sample ({', '.join(ne['languages'])}): {ne['texts']} texts "
            f"({ne['at_risk']} at risk); read at least moderate {ne['never_none']}; need a "
            f"person's reading {ne['needs_human_reading']}; language named right "
            f"{ne['language_right']}. The reader claims no other language than English."
        )
        lines.append(
            f"- English corpus texts read as another language: {report['english_misread']} of "
            f"{report['english_texts']}."
        )
    if lat:
        lines += ["", "## Latency", ""]
        lines.append(
            f"Wall time per text of at most 1,000 characters during this evaluation "
            f"({lat['machine']}): median {lat['median']:.1f} ms, p99 {lat['p99']:.1f} ms over "
            f"{lat['texts']} texts. One-core CPU and wall figures: `docs/benchmarks.md`."
        )
    lines += ["", "## Known failure modes", ""]
    if dev:
        lines.append("Missed at-risk base texts on the dev split (first 12):")
        lines += [f"- [{k}] “{t[:180]}”" for k, _, t in dev["missed_bases"][:12]]
        lines.append("")
        lines.append("False alarms on dev base texts (first 12):")
        lines += [f"- [{k}] “{t[:180]}”" for k, _, t in dev["false_alarm_bases"][:12]]
        lines.append("")
    lines += [
        "- The corpus is synthetic (written by the project's engineers from templates and "
        "variants); dev shares authors and style with train, so dev figures flatter the "
        "reader. Only the held-out set is written apart.",
        "- Rules raise levels on their own (a counted phrase gives high for a method, plan, "
        "intent or recent attempt); a phrase the rules misread in a context they do not know "
        "is a false alarm the classifier cannot remove.",
        "- Windows are about 60 words: context further away (a denial three sentences later) "
        "is not read together with the phrase.",
        "- Recency comes from cues in the same sentence; a date given in another sentence is "
        "not carried over (behaviour without a cue is `unknown`, which triage reads as recent).",
        "- Short non-English texts (under 12 letters) and texts mixing English with another "
        "language are read as English.",
        "- Very short texts (a greeting, 'ok', 'test') give the encoder little to read; some "
        "still reach `moderate` at this operating point (see the dev `everyday` row). A "
        "person reads every intake anyway; this only moves it up the queue.",
        "- The corpus's filler sentences (for embedded and long texts) are shared by train and "
        "dev, and since batch 4 the corpus has texts of filler alone: the 'filler alone' "
        "figure measures those sentences, not new prose (a test reads filler written apart).",
        *(
            [
                "- Only one seed was trained for this model (one run took "
                f"{meta['runs'][0]['minutes']} minutes on two shared cores); the "
                "seed-to-seed spread is not measured."
            ]
            if len(meta.get("runs", [])) == 1
            else []
        ),
        "",
        "## Reproduce",
        "",
        "```",
        "pip install -e '.[train]'",
        "alongside risk train --data ../shared/data/risk --corpus data/intake-risk "
        + " ".join(f"--seed {k}" for k in meta.get("seeds", [0]))
        + f" --epochs {meta.get('epochs', 3)} --threads {meta.get('threads', 2)}",
        "alongside risk loco --corpus data/intake-risk --out data/intake-risk/loco.json",
        "alongside risk eval ../shared/data/risk/test/t-sid.jsonl \\",
        "    ../shared/data/risk/test/twitter-suicidal-ideation.jsonl \\",
        "    --corpus data/intake-risk --dev-data ../shared/data/risk \\",
        "    --holdout data/intake-risk/holdout/holdout-v1.jsonl \\",
        "    --card docs/model-cards/risk.md --bootstrap 200 > report.json",
        "# the card again once loco.json is (more) complete, without re-reading any text:",
        "alongside risk eval --from-report report.json --corpus data/intake-risk \\",
        "    --card docs/model-cards/risk.md",
        "```",
        "",
    ]
    return "\n".join(lines)
