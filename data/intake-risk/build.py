"""Build the intake-risk corpus from the hand-written bases (seeded, deterministic).

    python data/intake-risk/build.py            # writes train.jsonl, dev.jsonl, folds.json
    python data/intake-risk/build.py --check    # rebuilds in memory, fails if files differ

Bases live in ``bases/*.txt``. A section header sets the defaults for the lines below it::

    ## construct=plan recency=current
    I've worked out when and where.
    [recent teen] a line can override recency and add register tags in brackets

Negative sections use ``kind=...`` (and ``subject=other`` plus the other person's
``construct`` for third-person and worried-other sections). Every base line is one
*family*: the hand-written text and every scripted variant of it share the family id, and
a family sits wholly in train or wholly in dev. See docs/datasheets/intake-risk.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20261130

CONSTRUCTS = (
    "wish_dead",
    "ideation",
    "method",
    "intent",
    "plan",
    "preparation",
    "attempt",
    "interrupted_attempt",
    "aborted_attempt",
    "self_harm",
)
NEGATIVE_KINDS = (
    "idiom",
    "negation",
    "third_person",
    "worried_other",
    "professional",
    "media",
    "resolved_history",
    "grief",
    "depression",
    "anxiety",
    "substance",
    "stress",
    "everyday",
    "physical",
    "relationship",
)
RECENCIES = ("current", "recent", "past", "unknown")

# Leave-one-category-out folds: each fold holds out whole categories (positives by
# construct group, negatives by kind group); train on the rest, test on the fold.
LOCO_FOLDS: dict[str, tuple[str, ...]] = {
    "thoughts": ("wish_dead", "ideation"),
    "method_intent_plan": ("method", "intent", "plan"),
    "preparation": ("preparation",),
    "attempts": ("attempt", "interrupted_attempt", "aborted_attempt"),
    "self_harm": ("self_harm",),
    "idiom": ("idiom",),
    "negation": ("negation",),
    "others": ("third_person", "worried_other"),
    "professional_media": ("professional", "media"),
    "grief_history": ("grief", "resolved_history"),
    "distress_without_risk": (
        "depression",
        "anxiety",
        "substance",
        "stress",
        "everyday",
        "physical",
        "relationship",
    ),
}
FOLD_OF = {category: fold for fold, cats in LOCO_FOLDS.items() for category in cats}

# (article + noun phrase for the sentence, short label stored in `identity`)
IDENTITIES: tuple[tuple[str, str], ...] = (
    ("a Black woman", "Black woman"),
    ("a trans man", "trans man"),
    ("a grandmother", "grandmother"),
    ("a nurse", "nurse"),
    ("a Muslim", "Muslim"),
    ("a white man", "white man"),
    ("a teenager", "teenager"),
    ("a veteran", "veteran"),
    ("a disabled person", "disabled person"),
    ("a gay man", "gay man"),
    ("an immigrant", "immigrant"),
    ("a Christian", "Christian"),
    ("a lesbian", "lesbian"),
    ("a Latina", "Latina"),
    ("an autistic person", "autistic person"),
    ("a Jewish woman", "Jewish woman"),
    ("an Asian man", "Asian man"),
    ("a wheelchair user", "wheelchair user"),
)
PREFIX_FORMS = ("As {a}, {lt}", "I'm {a}. {t}", "Speaking as {a}: {lt}")
SUFFIX_FORMS = (
    "{t} I'm {a}, if that matters.",
    "{t} (For context, I am {a}.)",
    "{t} Just so you know, I'm {a}.",
)

# Sentences with no risk content, for embedding a base inside a longer text.
NEUTRAL_FILLER = (
    "I'm filling this in on my phone so sorry for any mistakes.",
    "My GP suggested I self-refer here.",
    "I work part time in a warehouse and the shifts change every week.",
    "I live with my partner and our dog.",
    "I've never done anything like this before so I'm not sure what to write.",
    "My sister is the one who told me about this service.",
    "I'm usually free on Tuesday and Thursday mornings.",
    "I have two kids, one at primary school and one at secondary.",
    "I moved to this city about four years ago for work.",
    "I don't really know how much detail you want here.",
    "I did some counselling at college years ago and it was okay.",
    "I'd prefer a woman therapist if possible but I don't mind really.",
    "My English is fine for talking but writing is harder.",
    "I can do video calls but I'd rather come in person.",
    "I've been on the waiting list for something else for a while.",
    "My manager knows I'm looking for help and has been understanding.",
    "I take medication for blood pressure, nothing else.",
    "I'm a student, second year, studying accounting.",
    "I used to play football every weekend but I stopped last year.",
    "We had a new baby in the spring so the house is chaotic.",
    "I'm retired now, I worked on the buses for thirty years.",
    "I share a flat with two people I don't know that well.",
    "My mum lives nearby and helps with the kids.",
    "I have a cat called Biscuit who is the best thing in my life.",
    "I'm not very good at talking about feelings.",
    "I wasn't sure whether to put this in the form or say it on the phone.",
    "I work nights so evenings are hard for appointments.",
    "I drive for a delivery company.",
    "I was born here but my parents came from abroad.",
    "I volunteer at the food bank on Saturdays.",
    "My partner works away a lot.",
    "I've been reading about therapy online but it's confusing.",
    "I have a hearing aid so phone calls can be tricky.",
    "I'm happy to fill in any other questionnaires you need.",
    "I go to church most Sundays with my family.",
    "My doctor said there might be a wait and that's fine.",
    "I'm 17 and my school counsellor gave me the link.",
    "I'm 68 and my daughter helped me find this page.",
    "I like walking and I try to get out most days.",
    "Money is a bit tight at the moment but we manage.",
    "I have an older brother who lives in another country.",
    "I started a new job in September.",
    "I'm left-handed so writing forms by hand is a pain, typing is easier.",
    "I used to see a psychologist as a kid for a short while.",
    "My partner and I have been together six years.",
    "I don't drive so somewhere near a bus route would help.",
    "I work from home most days now.",
    "I'm not sure if this is the right service for me.",
    "I have asthma but it's under control.",
    "My shifts finish at 6 so late appointments are best.",
)
DISTRESS_FILLER = (
    "I haven't been sleeping well for a few months.",
    "I feel tired all the time even when I do sleep.",
    "Work has been really stressful and I'm behind on everything.",
    "I've been snapping at people I care about and I hate it.",
    "I cry a lot more than I used to.",
    "I've stopped seeing my friends much.",
    "My appetite has been all over the place.",
    "I get these waves of panic out of nowhere.",
    "Everything feels like a lot of effort at the moment.",
    "I worry about money constantly.",
    "My relationship has been rocky since the summer.",
    "I feel like I'm always on edge.",
    "I can't concentrate on anything for long.",
    "I've been feeling really low and flat.",
    "Things at home have been tense.",
    "I keep going over things in my head at night.",
    "I feel lonely even when people are around.",
    "I've lost interest in things I used to enjoy.",
    "I feel like I'm letting everyone down.",
    "My anxiety has got worse since I changed jobs.",
    "Some days I can't get out of bed until the afternoon.",
    "I feel numb a lot of the time.",
    "I've been drinking a bit more than usual at weekends.",
    "I get headaches most days now.",
    "I feel guilty about everything.",
    "My confidence has gone.",
    "I'm struggling to keep on top of the housework.",
    "I feel like nobody really understands.",
    "I've had a rough year with one thing after another.",
    "I just want to feel like myself again.",
)

TXT_SWAPS: tuple[tuple[str, str], ...] = (
    (r"\bI am\b", "im"),
    (r"\bI'm\b", "im"),
    (r"\bI've\b", "ive"),
    (r"\bI'd\b", "id"),
    (r"\bI'll\b", "ill"),
    (r"\bcan't\b", "cant"),
    (r"\bcannot\b", "cant"),
    (r"\bdon't\b", "dont"),
    (r"\bwon't\b", "wont"),
    (r"\bdidn't\b", "didnt"),
    (r"\bdoesn't\b", "doesnt"),
    (r"\bisn't\b", "isnt"),
    (r"\bwasn't\b", "wasnt"),
    (r"\bit's\b", "its"),
    (r"\bthat's\b", "thats"),
    (r"\bthere's\b", "theres"),
    (r"\bI don't know\b", "idk"),
    (r"\bto be honest\b", "tbh"),
    (r"\bgoing to\b", "gonna"),
    (r"\bwant to\b", "wanna"),
    (r"\bbecause\b", "cos"),
    (r"\bthough\b", "tho"),
    (r"\bpeople\b", "ppl"),
    (r"\byou\b", "u"),
    (r"\byour\b", "ur"),
    (r"\bokay\b", "ok"),
    (r"\btonight\b", "tonite"),
    (r"\bsomething\b", "smth"),
    (r"\bplease\b", "pls"),
    (r"\bright now\b", "rn"),
)

UK_TO_US: tuple[tuple[str, str], ...] = (
    (r"\bparacetamol\b", "Tylenol"),
    (r"\bco-codamol\b", "Vicodin"),
    (r"\bto A&E\b", "to the ER"),
    (r"\bA&E\b", "the ER"),
    (r"\bring 999\b", "call 911"),
    (r"\brang 999\b", "called 911"),
    (r"\b999\b", "911"),
    (r"\brang 111\b", "called 988"),
    (r"\bring 111\b", "call 988"),
    (r"\b111\b", "988"),
    (r"\bSamaritans\b", "the crisis line"),
    (r"\bmum\b", "mom"),
    (r"\bMum\b", "Mom"),
    (r"\bmy GP\b", "my doctor"),
    (r"\bthe GP\b", "the doctor"),
    (r"\bthe chemist\b", "the pharmacy"),
    (r"\b(my|a|the|our|her|his|their) flat\b", r"\1 apartment"),
    (r"\buni\b", "college"),
    (r"\bsleeping tablets\b", "sleeping pills"),
    (r"\btablets\b", "pills"),
    (r"\bgarden\b", "yard"),
    (r"\bholiday\b", "vacation"),
    (r"\bmotorway\b", "highway"),
    (r"\brubbish\b", "trash"),
    (r"\bknackered\b", "exhausted"),
)
US_TO_UK: tuple[tuple[str, str], ...] = (
    (r"\bTylenol\b", "paracetamol"),
    (r"\bacetaminophen\b", "paracetamol"),
    (r"\bthe ER\b", "A&E"),
    (r"\bcalled 911\b", "rang 999"),
    (r"\bcall 911\b", "ring 999"),
    (r"\b911\b", "999"),
    (r"\b988\b", "Samaritans"),
    (r"\bmom\b", "mum"),
    (r"\bMom\b", "Mum"),
    (r"\bthe pharmacy\b", "the chemist"),
    (r"\bapartment\b", "flat"),
    (r"\bcollege\b", "uni"),
    (r"\bsleeping pills\b", "sleeping tablets"),
    (r"\byard\b", "garden"),
    (r"\bvacation\b", "holiday"),
    (r"\bhighway\b", "motorway"),
    (r"\bfreeway\b", "motorway"),
    (r"\btrash\b", "rubbish"),
)
KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "w": "qe",
    "y": "tu",
}


@dataclass(frozen=True)
class Base:
    family: str
    text: str
    label: int
    construct: str | None
    recency: str | None
    subject: str | None
    kind: str
    register: tuple[str, ...]
    source: str


@dataclass
class Row:
    base: Base
    text: str
    variant: str
    register: list[str] = field(default_factory=list)
    identity: str | None = None


def _stable_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_bases(directory: Path) -> list[Base]:
    bases: list[Base] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.txt")):
        header: dict[str, str] = {}
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("# "):
                continue
            if line.startswith("## "):
                header = dict(part.split("=", 1) for part in line[3:].split())
                continue
            where = f"{path.name}:{lineno}"
            if not header:
                raise ValueError(f"{where}: text before any '## ' section header")
            tags: list[str] = []
            recency = header.get("recency")
            match = re.match(r"^\[([^\]]*)\]\s*(.+)$", line)
            if match:
                for tag in match.group(1).split():
                    if tag in RECENCIES:
                        recency = tag
                    else:
                        tags.append(tag)
                line = match.group(2)
            key = line.lower()
            if key in seen:
                raise ValueError(f"{where}: duplicate base text (first at {seen[key]})")
            seen[key] = where
            label = int(header["label"])
            construct = header.get("construct")
            kind = header.get("kind", construct or "")
            subject = header.get("subject", "self" if label == 1 else None)
            if label == 1:
                if construct not in CONSTRUCTS or recency not in RECENCIES:
                    raise ValueError(f"{where}: positive needs construct and recency")
                kind = construct
            else:
                if kind not in NEGATIVE_KINDS:
                    raise ValueError(f"{where}: unknown negative kind {kind!r}")
                if subject != "other":
                    construct, recency = None, None
                elif construct is not None and recency is None:
                    recency = "unknown"
            register = tuple(sorted(set(header.get("register", "").split(",")) - {""} | set(tags)))
            family = f"{kind}-{_stable_hash(key)[:10]}"
            bases.append(
                Base(family, line, label, construct, recency, subject, kind, register, path.name)
            )
    return bases


FILLER_ONLY_BASES = 48


def filler_only_bases(n: int = FILLER_ONLY_BASES) -> list[Base]:
    """Texts made only of filler sentences: everyday context with no risk (label 0).

    Every positive's embedded variants put a risk sentence among these same filler
    sentences, so without texts of filler alone the filler says nothing about the label and
    a window of it reads as a coin toss. Seeded; each is its own family (split like any).
    """
    rng = random.Random(f"{SEED}:filler-only")
    out: list[Base] = []
    for _ in range(n):
        text = " ".join(filler_sentences(rng, rng.randint(2, 5), distress_share=0.45))
        key = text.lower()
        out.append(
            Base(
                family=f"everyday-{_stable_hash(key)[:10]}",
                text=text,
                label=0,
                construct=None,
                recency=None,
                subject=None,
                kind="everyday",
                register=("filler_only",),
                source="build.py:filler_only_bases",
            )
        )
    return out


PROPER_STARTS = re.compile(
    r"^(I\b|I'|A&E|GP|ER\b|[A-Z]{2,}|Mondays?\b|Sundays?\b|Romeo\b|Sylvia\b|Christmas\b"
    r"|Boxing\b|Tylenol\b|Mum\b|Mom\b)"
)


def lower_first(text: str) -> str:
    if PROPER_STARTS.match(text):
        return text
    return text[:1].lower() + text[1:]


def to_lower_nopunct(text: str) -> str:
    text = text.lower().replace("-", " ").replace("/", " ")
    text = re.sub(r"[^\w\s&]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def to_txt(text: str) -> str:
    for pattern, repl in TXT_SWAPS:
        text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    text = text.lower()
    text = re.sub(r"\.(\s|$)", r"\1", text)  # people rarely end txt with a full stop
    return re.sub(r"\s+", " ", text).strip()


def with_typos(text: str, rng: random.Random, rate: float = 0.14) -> str:
    words = text.split(" ")
    changed = 0
    for i, word in enumerate(words):
        letters = [c for c in word if c.isalpha()]
        if len(letters) < 4 or rng.random() > rate:
            continue
        chars = list(word)
        positions = [j for j, c in enumerate(chars) if c.isalpha()]
        j = rng.choice(positions[1:-1] or positions)
        op = rng.choice(("swap", "drop", "double", "neighbour"))
        if op == "swap" and j + 1 < len(chars) and chars[j + 1].isalpha():
            chars[j], chars[j + 1] = chars[j + 1], chars[j]
        elif op == "drop":
            del chars[j]
        elif op == "double":
            chars.insert(j, chars[j])
        else:
            near = KEYBOARD_NEIGHBOURS.get(chars[j].lower())
            if not near:
                continue
            chars[j] = rng.choice(near)
        words[i] = "".join(chars)
        changed += 1
    if changed == 0 and len(words) > 1:  # at least one slip so the variant differs
        i = max(range(len(words)), key=lambda k: len(words[k]))
        w = words[i]
        if len(w) > 3:
            words[i] = w[:2] + w[3] + w[2] + w[4:]
    return " ".join(words)


def swap_locale(text: str) -> tuple[str, str] | None:
    for table, tag in ((UK_TO_US, "en-US"), (US_TO_UK, "en-GB")):
        out = text
        for pattern, repl in table:
            out = re.sub(pattern, repl, out)
        if out != text:
            return out, tag
    return None


def filler_sentences(rng: random.Random, n_sentences: int, distress_share: float) -> list[str]:
    """Filler drawn without replacement until a pool runs dry (then reshuffled)."""
    pools = {"d": list(DISTRESS_FILLER), "n": list(NEUTRAL_FILLER)}
    decks: dict[str, list[str]] = {"d": [], "n": []}
    out: list[str] = []
    for _ in range(n_sentences):
        which = "d" if rng.random() < distress_share else "n"
        if not decks[which]:
            decks[which] = pools[which][:]
            rng.shuffle(decks[which])
        out.append(decks[which].pop())
    return out


def embed(base_text: str, rng: random.Random, n_sentences: int = 0, n_words: int = 0) -> str:
    """The base sentence inside filler: n_sentences of it, or paragraphs up to ~n_words."""
    if n_words:
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < n_words:
            sentences.extend(filler_sentences(rng, 20, distress_share=0.4))
        while sum(len(s.split()) for s in sentences) > n_words:
            sentences.pop()
    else:
        sentences = filler_sentences(rng, n_sentences, distress_share=0.45)
    at = rng.randint(0, len(sentences))
    sentences.insert(at, base_text if base_text[-1:] in ".!?" else base_text + ".")
    if not n_words:
        return " ".join(sentences)
    paras: list[str] = []
    i = 0
    while i < len(sentences):
        step = rng.randint(4, 7)
        paras.append(" ".join(sentences[i : i + step]))
        i += step
    return "\n\n".join(paras)


def variants(base: Base, identity_slots: tuple[int, int]) -> list[Row]:
    rng = random.Random(f"{SEED}:{base.family}")
    reg = list(base.register)
    rows = [Row(base, base.text, "base", [*reg, "original"])]
    rows.append(
        Row(
            base,
            to_lower_nopunct(base.text),
            "lower_nopunct",
            [*reg, "lowercase", "no_punctuation"],
        )
    )
    rows.append(Row(base, with_typos(base.text, rng), "typos", [*reg, "typos"]))
    rows.append(Row(base, to_txt(base.text), "txt", [*reg, "txt_speak", "lowercase"]))
    swapped = swap_locale(base.text)
    if swapped:
        rows.append(Row(base, swapped[0], "locale_swap", [*reg, swapped[1]]))
    for slot, forms, kind in (
        (identity_slots[0], PREFIX_FORMS, "prefix"),
        (identity_slots[1], SUFFIX_FORMS, "suffix"),
    ):
        article, label = IDENTITIES[slot]
        form = forms[rng.randrange(len(forms))]
        if kind == "prefix" and (":" in base.text or len(base.text.split()) <= 6):
            form = "I'm {a}. {t}"  # "As a nurse, alcohol. Want to stop." reads wrong
        text = form.format(a=article, t=base.text, lt=lower_first(base.text))
        rows.append(
            Row(base, text, f"identity_{kind}", [*reg, "identity", f"identity_{kind}"], label)
        )
    rows.append(
        Row(
            base,
            embed(base.text, rng, n_sentences=rng.randint(2, 6)),
            "embedded",
            [*reg, "embedded"],
        )
    )
    if rng.random() < 0.22:
        words_wanted = rng.choice((300, 500, 800, 1200, 2000))
        long_text = embed(base.text, rng, n_words=words_wanted)
        rows.append(Row(base, long_text, "embedded_long", [*reg, "embedded", "long"]))
    return rows


def assign_splits(bases: list[Base]) -> dict[str, str]:
    """About 1 in 4 families of each category go to dev, chosen by a seeded hash.

    Families are ranked by a hash of their id within their category and the first quarter
    goes to dev: stratified, so every construct, kind and recency has dev families. Adding
    bases to a category can move a family at the dev/train boundary; retrain after a rebuild.
    """
    by_cat: dict[str, list[Base]] = defaultdict(list)
    for b in bases:
        by_cat[b.kind].append(b)
    split: dict[str, str] = {}
    for members in by_cat.values():
        ordered = sorted(members, key=lambda b: _stable_hash(f"{SEED}:split:{b.family}"))
        n_dev = max(1, round(len(ordered) * 0.25))
        for i, b in enumerate(ordered):
            split[b.family] = "dev" if i < n_dev else "train"
    return split


def build(bases: list[Base]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    split = assign_splits(bases)
    n_id = len(IDENTITIES)
    # Identities go round-robin within each (split, label) group, so every identity meets
    # positives and negatives in the same proportion in train and in dev.
    counters: Counter[tuple[str, int]] = Counter()
    out: dict[str, list[dict[str, Any]]] = {"train": [], "dev": []}
    seen_texts: set[str] = set()
    for base in sorted(bases, key=lambda b: b.family):
        group = (split[base.family], base.label)
        k = counters[group]
        counters[group] += 1
        slots = (k % n_id, (k + 7) % n_id)
        for row in variants(base, slots):
            key = row.text.strip().lower()
            if key in seen_texts:
                continue
            seen_texts.add(key)
            words = len(row.text.split())
            register = sorted(set(row.register) | ({"terse"} if words <= 8 else set()))
            record = {
                "id": f"{base.family}-{row.variant}",
                "text": row.text,
                "label": base.label,
                "construct": base.construct,
                "recency": base.recency,
                "subject": base.subject,
                "kind": base.kind,
                "register": register,
                "identity": row.identity,
                "family": base.family,
                "split": split[base.family],
                "variant": row.variant,
                "loco_fold": FOLD_OF[base.kind],
            }
            out[split[base.family]].append(record)
    return out["train"], out["dev"]


def dumps(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def folds_doc() -> str:
    return json.dumps({"folds": {k: list(v) for k, v in LOCO_FOLDS.items()}}, indent=2) + "\n"


def stats_doc(bases: list[Base], rows: list[dict[str, Any]]) -> str:
    """Counts per category and split (families / texts), regenerated by every build."""
    fam: dict[tuple[str, str], set[str]] = defaultdict(set)
    texts: Counter[tuple[str, str]] = Counter()
    for r in rows:
        fam[(r["kind"], r["split"])].add(r["family"])
        texts[(r["kind"], r["split"])] += 1
    lines = [
        "# Intake-risk corpus: counts (generated by build.py; do not edit)",
        "",
        f"{sum(not b.source.startswith('build.py') for b in bases)} hand-written bases and "
        f"{sum(b.source.startswith('build.py') for b in bases)} generated filler-only bases, "
        f"{len(rows)} texts "
        f"({sum(r['label'] for r in rows)} at risk, {sum(1 - r['label'] for r in rows)} not).",
        "",
        "| label | category | LOCO fold | train families | train texts | dev families "
        "| dev texts |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in (*CONSTRUCTS, *NEGATIVE_KINDS):
        label = 1 if kind in CONSTRUCTS else 0
        lines.append(
            f"| {label} | {kind} | {FOLD_OF[kind]} | {len(fam[(kind, 'train')])} | "
            f"{texts[(kind, 'train')]} | {len(fam[(kind, 'dev')])} | {texts[(kind, 'dev')]} |"
        )
    lines += ["", "Positives by construct and recency (texts):", ""]
    lines += ["| construct | current | recent | past | unknown |", "|---|---|---|---|---|"]
    cr = Counter((r["construct"], r["recency"]) for r in rows if r["label"] == 1)
    for c in CONSTRUCTS:
        lines.append(f"| {c} | " + " | ".join(str(cr[(c, rec)]) for rec in RECENCIES) + " |")
    lines += ["", "Variants (texts):", ""]
    lines += [f"- {v}: {n}" for v, n in sorted(Counter(r["variant"] for r in rows).items())]
    ident = Counter((r["identity"], r["label"]) for r in rows if r["identity"])
    lines += ["", "Identity variants (negatives / positives):", ""]
    names = sorted({name for name, _ in ident})
    lines += [f"- {n}: {ident[(n, 0)]} / {ident[(n, 1)]}" for n in names]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the built files differ")
    args = parser.parse_args(argv)
    bases = parse_bases(HERE / "bases") + filler_only_bases()
    train, dev = build(bases)
    outputs = {
        "train.jsonl": dumps(train),
        "dev.jsonl": dumps(dev),
        "folds.json": folds_doc(),
        "STATS.md": stats_doc(bases, train + dev),
    }
    if args.check:
        stale = [n for n, text in outputs.items() if (HERE / n).read_text(encoding="utf-8") != text]
        if stale:
            print(
                f"stale: {', '.join(stale)}; run python data/intake-risk/build.py", file=sys.stderr
            )
            return 1
        return 0
    for name, text in outputs.items():
        (HERE / name).write_text(text, encoding="utf-8")
    rows = train + dev
    print(f"{len(bases)} bases -> {len(rows)} texts (train {len(train)}, dev {len(dev)})")
    print(
        "positives", sum(r["label"] for r in rows), "negatives", sum(1 - r["label"] for r in rows)
    )
    print(Counter(r["kind"] for r in rows).most_common())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
