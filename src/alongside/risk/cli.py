"""``alongside risk``: read one text, a JSON-lines batch, train the model or evaluate it.

Contract (outside checks depend on it):

- ``alongside risk "some text"`` prints one JSON object;
- ``alongside risk --jsonl`` reads ``{"id", "text"[, "critical_items"]}`` lines on stdin and
  writes, in order, one JSON line per input with ``id``, ``level``, ``probability``,
  ``evidence``, ``versions``, ``reasons``, ``signals``, ``needs_human_reading`` and
  ``language``, or ``{"id", "error"}`` for a line it cannot
  read; the rest of the batch still runs;
- ``alongside risk train --data PATH [--corpus DIR]``, ``alongside risk loco`` and
  ``alongside risk eval FILE``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from alongside.errors import InvalidInput

# Options of the ``risk`` callback that take a value, so the text is told apart from them.
_VALUE_OPTIONS = frozenset({"--model", "--budget", "--critical-item", "--text"})


class _TextOrCommand(TyperGroup):
    """A group that also takes free text: a first word that is no subcommand is the text."""

    # Typer vendors its own click; its Context type is private, hence Any here.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Turn the first positional argument that names no subcommand into ``--text``."""
        rewritten: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                rewritten.extend(["--text", " ".join(args[i + 1 :])] if args[i + 1 :] else [])
                break
            if arg in _VALUE_OPTIONS and i + 1 < len(args):
                rewritten.extend(args[i : i + 2])
                i += 2
                continue
            if arg.startswith("-") and arg != "-":
                rewritten.append(arg)
                i += 1
                continue
            if arg in self.commands:
                rewritten.extend(args[i:])
                break
            rewritten.extend(["--text", arg])
            i += 1
        return super().parse_args(ctx, rewritten)


risk_app = typer.Typer(
    cls=_TextOrCommand,
    invoke_without_command=True,
    help=(
        "Read risk in a client's own words (the reader suggests; a clinician decides).\n\n"
        'alongside risk "TEXT" prints one JSON reading; alongside risk --jsonl reads '
        '{"id", "text"} lines on stdin and writes one JSON line per input.'
    ),
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _load_reader(model: Path | None, budget: float) -> Any:
    from alongside.risk.reader import RiskReader

    reader = RiskReader.load(model, budget_s=budget if budget > 0 else None)
    if not reader.available:
        typer.echo(
            "warning: the risk model is unavailable; every reading will be 'high' "
            "(reader_unavailable) until it is fixed",
            err=True,
        )
    return reader


def _read_line(reader: Any, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"line {number}: not JSON ({exc.msg})"}
    if not isinstance(row, dict):
        return {"id": None, "error": f"line {number}: expected a JSON object"}
    ident = row.get("id")
    text = row.get("text")
    if not isinstance(text, str):
        return {"id": ident, "error": f"line {number}: 'text' must be a string"}
    if not text.strip():
        return {"id": ident, "error": f"line {number}: 'text' is empty"}
    items = row.get("critical_items", [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        return {"id": ident, "error": f"line {number}: 'critical_items' must be a list of strings"}
    try:
        reading = reader.read(text, items)
    except InvalidInput as exc:
        return {"id": ident, "error": f"line {number}: {exc.message}"}
    return {"id": ident, **reading.to_dict()}


@risk_app.callback()
def risk(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Option("--text", help="The text to read.")] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Read JSON lines {id, text} on stdin.")
    ] = False,
    critical_item: Annotated[
        list[str] | None,
        typer.Option("--critical-item", help="Instrument flag, e.g. phq9-item9 (repeatable)."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model file (default: the shipped one).")
    ] = None,
    budget: Annotated[
        float, typer.Option("--budget", help="Seconds per text before failing closed (0: none).")
    ] = 1.0,
) -> None:
    """Read one TEXT (or --jsonl on stdin) and print the level, evidence and reasons as JSON."""
    if ctx.invoked_subcommand is not None:
        return
    if jsonl and text is not None:
        raise _fail("give either a text or --jsonl, not both")
    if jsonl:
        reader = _load_reader(model, budget)
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            out = _read_line(reader, number, line)
            if "error" in out:
                typer.echo(f"error: {out['error']}", err=True)
            typer.echo(json.dumps(out, ensure_ascii=False))
            sys.stdout.flush()
        return
    if text is None:
        raise _fail('give a text (alongside risk "..."), --jsonl, or a subcommand (train, eval)')
    if not text.strip():
        raise _fail("the text is empty")
    reader = _load_reader(model, budget)
    try:
        reading = reader.read(text, critical_item or [])
    except InvalidInput as exc:
        raise _fail(exc.message) from exc
    typer.echo(json.dumps(reading.to_dict(), ensure_ascii=False))


@risk_app.command("train")
def train_command(
    data: Annotated[Path, typer.Option("--data", help="The shared data directory (risk/).")],
    corpus: Annotated[
        Path,
        typer.Option("--corpus", help="The intake corpus (train.jsonl, dev.jsonl)."),
    ] = Path("data/intake-risk"),
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the model files (default: shipped)."),
    ] = None,
    seed: Annotated[
        list[int] | None, typer.Option("--seed", help="Random seed (repeatable: several runs).")
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the data.")] = 3,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="CPU threads for torch (a shared machine: 1-2).")
    ] = 2,
    everyday: Annotated[
        int,
        typer.Option(
            "--everyday",
            min=0,
            help="Everyday passages from Dreaddit train posts as extra negatives (0: none, "
            "as shipped).",
        ),
    ] = 0,
    consistency: Annotated[
        float,
        typer.Option(
            "--consistency",
            min=0.0,
            max=100.0,
            help="Weight of the consistency loss between a text and its variants (identity, "
            "lowercase, typos; 0: none, as shipped).",
        ),
    ] = 0.0,
) -> None:
    """Fine-tune on the corpus train split (+ Reddit train), choose on corpus dev, write ONNX."""
    from alongside.risk.classifier import MODEL_DIR
    from alongside.risk.train import CORPUS_DEV, CORPUS_TRAIN, TRAIN_FILES, train

    missing = [str(data / "train" / n) for n in TRAIN_FILES if not (data / "train" / n).is_file()]
    missing += [str(corpus / n) for n in (CORPUS_TRAIN, CORPUS_DEV) if not (corpus / n).is_file()]
    if missing:
        raise _fail(f"missing training data: {', '.join(missing)}")
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise _fail(
            "training needs the training extra: pip install -e '.[train]' "
            f"(torch CPU, transformers, onnx): {exc}"
        ) from exc
    summary = train(
        data,
        corpus,
        out_dir=out or MODEL_DIR,
        seeds=tuple(seed or (0,)),
        epochs=epochs,
        threads=threads,
        everyday_sample=everyday,
        consistency=consistency,
        progress=lambda m: typer.echo(m, err=True),
    )
    typer.echo(json.dumps(summary, indent=2))


@risk_app.command("loco")
def loco_command(
    corpus: Annotated[
        Path, typer.Option("--corpus", help="The intake corpus (train.jsonl, dev.jsonl, folds).")
    ] = Path("data/intake-risk"),
    out: Annotated[
        Path, typer.Option("--out", help="Write the figures here (JSON; the card reads them).")
    ] = Path("data/intake-risk/loco.json"),
    fold: Annotated[
        list[str] | None, typer.Option("--fold", help="Only this fold (repeatable).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="CPU threads for torch (a shared machine: 1-2).")
    ] = 2,
) -> None:
    """Leave-one-category-out: one cheaper fine-tuning per fold, the fold read unseen."""
    from alongside.risk.train import leave_one_category_out

    for name in ("train.jsonl", "dev.jsonl", "folds.json"):
        if not (corpus / name).is_file():
            raise _fail(f"missing {corpus / name}")
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise _fail(f"LOCO needs the training extra: pip install -e '.[train]': {exc}") from exc
    names = fold or list(json.loads((corpus / "folds.json").read_text(encoding="utf-8"))["folds"])
    result: dict[str, Any] = {}
    for name in names:
        # One fold at a time, the file rewritten after each: a long run that stops keeps
        # the folds it finished.
        one = leave_one_category_out(
            corpus,
            seed=seed,
            threads=threads,
            folds=[name],
            progress=lambda m: typer.echo(m, err=True),
        )
        result = {**one, "folds": {**result.get("folds", {}), **one["folds"]}}
        out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(json.dumps(result, indent=2))


@risk_app.command("eval")
def eval_command(
    files: Annotated[
        list[Path] | None, typer.Argument(help="JSON lines with text, label[, group].")
    ] = None,
    card: Annotated[
        Path | None, typer.Option("--card", help="Write the model card here (markdown).")
    ] = None,
    group_field: Annotated[
        str, typer.Option("--group-field", help="Field holding the subgroup.")
    ] = "group",
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Intake corpus directory: dev split, invariance, languages."),
    ] = None,
    holdout: Annotated[
        Path | None, typer.Option("--holdout", help="Held-out intake set (JSON lines).")
    ] = None,
    dev_data: Annotated[
        Path | None, typer.Option("--dev-data", help="Shared data directory: report Reddit dev.")
    ] = None,
    sentences: Annotated[
        list[Path] | None,
        typer.Option("--sentences", help="Idiom/negation set, JSON lines (repeatable)."),
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model file.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=10, help="Bootstrap resamples for the CIs.")
    ] = 1000,
    from_report: Annotated[
        Path | None,
        typer.Option(
            "--from-report",
            help="Write --card from this saved eval output (same model) without re-reading "
            "texts; leave-one-category-out figures are read afresh from --corpus.",
        ),
    ] = None,
) -> None:
    """Sensitivity, specificity, AUCs by set and subgroup; optionally write the model card."""
    from alongside.risk.card import rerender_card, run_evaluation

    if from_report is not None:
        if card is None:
            raise _fail("--from-report needs --card")
        reader = _load_reader(model, 0.0)
        try:
            rerender_card(reader, json.loads(from_report.read_text(encoding="utf-8")), card, corpus)
        except (OSError, ValueError, KeyError) as exc:
            raise _fail(f"{from_report}: not a saved eval report ({exc})") from exc
        except InvalidInput as exc:
            raise _fail(exc.message) from exc
        typer.echo(f"wrote {card}")
        return

    for f in [*(files or []), *([holdout] if holdout else [])]:
        if not f.is_file():
            raise _fail(f"{f} does not exist")
    if corpus is not None and not (corpus / "dev.jsonl").is_file():
        raise _fail(f"{corpus} has no dev.jsonl")
    if not files and corpus is None and holdout is None and dev_data is None:
        raise _fail("give at least one file, --corpus, --holdout or --dev-data to evaluate")
    reader = _load_reader(model, 0.0)
    if not reader.available:
        raise _fail("the risk model is unavailable; train it first (alongside risk train)")
    try:
        report = run_evaluation(
            reader,
            files or [],
            group_field=group_field,
            corpus=corpus,
            holdout=holdout,
            dev_data=dev_data,
            sentences=sentences or [],
            card=card,
            seed=seed,
            samples=bootstrap,
        )
    except InvalidInput as exc:
        raise _fail(exc.message) from exc
    typer.echo(json.dumps(report, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``alongside risk`` to the root command."""
    app.add_typer(risk_app, name="risk")
