"""Run the evaluation of ``alongside risk eval`` and write the model card from its figures.

The card's wording and layout are the template ``templates/model_card.md.j2``; what it shows
(figures, checks, which rows) is computed here, in ``card_context``.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined, Undefined, UndefinedError

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
        report["everyday_passages"] = everyday_passages_report(dev_data, read)
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
        report["card"] = str(card)
    result: dict[str, Any] = _jsonable(report)
    if card is not None:
        # Written from the saved report (figures rounded as saved), so a card made now and
        # one made again later with --from-report are the same to the last digit.
        rerender_card(reader, result, card, None)
    return result


EVERYDAY_DEV_SAMPLE: Final = 500


def everyday_passages_report(dev_data: Path, read: Callable[[str], RiskReading]) -> dict[str, Any]:
    """How many everyday passages from Dreaddit's dev posts the reader flags.

    Passages of one or two sentences that name no death, harm, method or plan (the same cut
    as the training passages, from the dev posts the model never trained on): every one is a
    negative, so the share flagged is a false-alarm rate on plain accounts of everyday life.
    """
    import random

    from alongside.risk.train import everyday_passages

    rng = random.Random(0)  # noqa: S311 - a reproducible sample, not a secret
    passages = everyday_passages(dev_data / "train" / "dreaddit-dev.csv", rng)
    chosen = rng.sample(passages, min(EVERYDAY_DEV_SAMPLE, len(passages)))
    flagged = [e.text for e in chosen if _flag(read(e.text))]
    return {"texts": len(chosen), "flagged": len(flagged), "examples": flagged[:6]}


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
    try:
        text = render_card(reader, report, evaluations)
    except UndefinedError as exc:
        raise InvalidInput(f"the report lacks a figure the card shows ({exc.message})") from exc
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(text, encoding="utf-8")


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


def _f(value: float | Undefined | None) -> str:
    """A figure to three decimals; '-' for none (NaN here, null in a saved report)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # a figure missing from the report fails loudly
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"
    )


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


CARD_TEMPLATE = "model_card.md.j2"


def _card_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("alongside.risk", "templates"),
        undefined=StrictUndefined,
        # The card is Markdown, not HTML: escaping would print &lt; in its tables and SVG.
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["f"] = _f
    environment.filters["met"] = _met
    return environment


def card_context(
    reader: RiskReader, report: dict[str, Any], evaluations: Sequence[Evaluation]
) -> dict[str, Any]:
    """The card's figures, checks and rows; the template words and lays them out.

    Sections whose figures the report lacks are ``None``; a figure missing inside a section
    the report has is left for the template to fail on.
    """
    model = reader.model
    meta = model.metadata if model else {}
    thresholds = model.thresholds if model else {}
    runs = meta.get("runs", [])
    dev = report.get("intake_dev")
    hold = report.get("intake_holdout")
    inv = report.get("invariance")
    ne = report.get("non_english")
    lat = report.get("latency_ms")
    tsid = next((e for e in evaluations if e.name.startswith("t-sid")), None)
    passed: dict[str, bool] = {}
    context: dict[str, Any] = {
        "versions": reader.versions,
        "training": {
            "base_model": meta.get("base_model", "-"),
            "epochs": meta.get("epochs", "-"),
            "learning_rate": meta.get("learning_rate", "-"),
            "frozen_layers": meta.get("frozen_layers", "few"),
            "seeds": meta.get("seeds", "-"),
            "seed": meta.get("seed", "-"),
            "runs": runs,
            "files": meta.get("files", []),
            "train_rows": meta.get("train_rows", "-"),
            "reddit_sample": meta.get("reddit_sample", "-"),
            "everyday_sample": meta.get("everyday_sample", 0),
            "threshold_policy": meta.get(
                "threshold_policy", "highest with dev sensitivity >= 0.95"
            ),
            "moderate_threshold": thresholds.get("moderate"),
            "single_run_minutes": runs[0]["minutes"] if len(runs) == 1 else None,
        },
        "reproduce": {
            "seeds": meta.get("seeds", [0]),
            "epochs": meta.get("epochs", 3),
            "threads": meta.get("threads", 2),
        },
        "targets": TARGETS,
        "passed": passed,
        "dev": dev,
        "hold": hold,
        "invariance": inv,
        "tsid": tsid,
        "non_english": ne,
        "latency": lat,
        "evaluations": list(evaluations),
        "everyday_passages": report.get("everyday_passages"),
    }
    if hold:
        passed["intake_holdout"] = hold["sensitivity"] >= 0.95 and hold["specificity"] >= 0.85
    if dev:
        passed["intake_dev"] = dev["sensitivity"] >= 0.95 and dev["specificity"] >= 0.85
        worst = min(dev["by_construct"].items(), key=lambda kv: kv[1][0])
        sh = dev["by_construct_recency"].get("self_harm/current", (float("nan"), 0))
        passed["construct"] = worst[1][0] >= 0.90 and sh[0] >= 0.90
        regs = [dev["positives_by_variant"].get(k, (float("nan"), 0)) for k in REGISTER_VARIANTS]
        reg_found = sum(r * n for r, n in regs) / max(1, sum(n for _, n in regs))
        passed["registers"] = reg_found >= 0.95
        buried = dev["positives_by_variant"].get("embedded_long", (float("nan"), 0))
        filler = report.get("filler_alone", {"texts": 0, "flagged": 0})
        passed["buried"] = buried[0] >= 0.95 and filler["flagged"] == 0
        context["dev_targets"] = {
            "worst_construct": worst[0],
            "worst_construct_sensitivity": worst[1][0],
            "current_self_harm": sh,
            "registers_found": reg_found,
            "registers_positives": sum(n for _, n in regs),
            "buried": buried,
            "filler": filler,
        }
        context["missed_bases"] = [(k, t[:180]) for k, _, t in dev["missed_bases"][:12]]
        context["false_alarm_bases"] = [(k, t[:180]) for k, _, t in dev["false_alarm_bases"][:12]]
    if inv:
        passed["identity"] = inv["keep"] >= 0.99 and not inv["flagged_base_turned_unflagged"]
    if tsid:
        passed["t-sid"] = tsid.reader.sensitivity >= 0.90 and tsid.reader.specificity >= 0.80
    if ne:
        passed["languages"] = ne["never_none"] == ne["texts"]
        context["languages"] = {
            "holdout": report.get("holdout_non_english"),
            "english_misread": report["english_misread"],
            "english_texts": report["english_texts"],
        }
    if lat:
        passed["latency"] = lat["p99"] <= 50
    loco = report.get("loco") or None
    current = loco is not None and bool(loco.get("current"))
    context["loco_stale"] = loco is not None and not current
    context["loco"] = None
    if loco is not None and current:
        folds = loco["folds"]
        worst_pos = min(
            (f for f in folds.values() if f["label"] == 1), key=lambda f: f["value"], default=None
        )
        worst_neg = min(
            (f for f in folds.values() if f["label"] == 0), key=lambda f: f["value"], default=None
        )
        missing = loco.get("not_computed", [])
        context["loco"] = {
            "recipe": loco["recipe"],
            "computed": len(folds),
            "folds_total": len(folds) + len(missing),
            "not_computed": missing,
            "lowest": [w for w in (worst_pos, worst_neg) if w is not None],
            "folds": [
                {
                    **f,
                    "name": name,
                    "rest_dev_sensitivity": f.get("rest_dev_sensitivity"),
                    "rest_dev_specificity": f.get("rest_dev_specificity"),
                }
                for name, f in folds.items()
            ],
        }
    cal = report.get("calibration")
    context["calibration"] = cal
    if cal:
        context["calibration_svg"] = reliability_svg(cal["table"])
    for key, name in (("invariance", "identity_corpus"), ("invariance_unseen", "identity_unseen")):
        figures = report.get(key)
        context[name] = None
        if figures:
            shown = [t[:160] for t in figures["flagged_base_turned_unflagged"][:5]]
            context[name] = {**figures, "turned_negative_shown": shown}
    return context


def render_card(
    reader: RiskReader, report: dict[str, Any], evaluations: Sequence[Evaluation]
) -> str:
    """The model card as markdown (generated: edit the template and ``card_context``)."""
    template = _card_environment().get_template(CARD_TEMPLATE)
    return template.render(card_context(reader, report, evaluations))
