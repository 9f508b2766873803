"""The clinical lead's form for the common rule changes, the new version's YAML it makes, and
what changed, in words and line by line.

The form shows, for each rule of a version, the cut-offs its condition uses (a total at least
or at most, a question's answer at least, the risk reader's level at least), the published
severity bands it fires in, the urgency and the pathway it proposes, with the source the rule
cites; and the review-wait targets in force (they are part of the rules). The lead chooses
the values: nothing here proposes one.

Bands are chosen, never written: a rule's ``severity_in`` may only name bands its instrument
publishes (their score ranges come with the instrument's definition, which cites its source,
and nothing here or in a ruleset changes them), so the form cannot make up a cut-off that way.

Changing a value edits the YAML text in place (the scalar where the value is written, or the
``pathway:`` line of a rule), so the comments, anchors and layout of the version it started
from are kept and the line diff shows only what changed. Only values the lead changed on the
form are written: the same value changed in the "YAML for the rest" editor is left as written.

- :func:`rule_form` ``(text, *, wait_hours, version) -> RuleForm``
- :func:`apply_form` ``(text, posted, was, *, version) -> str``: raises
  :class:`~alongside.triage.rule_problems.RulesetProblems` naming the field in words.
- :func:`describe_changes` ``(old, new) -> list[str]``; :func:`wait_target_changes`.
- :func:`line_diff` ``(old_text, new_text) -> list[DiffLine]``.
- :func:`suggest_version` ``(current, taken) -> str``.

Pure: no database, no settings, no clock.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import yaml

from alongside.errors import InvalidInput
from alongside.instruments.library import get_instrument
from alongside.triage.rule_problems import Problem, RulesetProblems, node_at
from alongside.triage.rulesets import (
    MAX_WAIT_TARGET_HOURS,
    RISK_LEVEL_ORDER,
    URGENCY_ORDER,
    Ruleset,
)
from alongside.triage.wording import rule_words, urgency_words

THRESHOLD, RISK_LEVEL, PATHWAY, WAIT_TARGET = "threshold", "risk_level", "pathway", "wait_target"
URGENCY, BANDS = "urgency", "bands"
# Field names on the form: the kind of value, then where it is ("t|rule|when.total_gte").
FORM_PREFIXES = ("t|", "l|", "p|", "w|", "u|", "b|")
# The bands a rule fires in, as one form value: their names joined by this.
BAND_JOIN = "|"
# Cut-offs are whole numbers within the instruments' ranges (WHO-5's percentage is the widest).
MAX_CUT_OFF = 1000
MAX_VERSION_LENGTH = 80
_BOUNDS = ("gte", "total_gte", "total_lte")
RISK_LEVEL_WORDS = {
    "none": "None",
    "low": "Low",
    "moderate": "Moderate",
    "high": "High",
    "imminent": "Imminent",
}
_WAIT_COMMENT = (
    "# Review-wait targets (hours from proposal to first review, by urgency) while this version\n"
    "# is active: the clinic's own service standards. The queue, the waitlist and oversight\n"
    "# measure against them.\n"
)


@dataclass(frozen=True)
class FormValue:
    """One value on the form: its field name, what it is in words, and its value as text."""

    key: str
    kind: str
    label: str
    value: str
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class RuleFields:
    """One rule on the form: its name in words, its urgency, its source and its values."""

    rule_id: str
    name: str
    urgency: str
    source: str
    values: tuple[FormValue, ...]


@dataclass(frozen=True)
class RuleForm:
    """The whole form, as filled from one version's YAML."""

    version: str
    rules: tuple[RuleFields, ...]
    wait_targets: tuple[FormValue, ...]
    # Pathway id -> (label, source), to cite the source of the pathway a rule proposes.
    pathways: Mapping[str, tuple[str, str]]

    def values(self) -> dict[str, str]:
        """Every field's value by field name (what the form was filled with)."""
        found = {v.key: v.value for rule in self.rules for v in rule.values}
        found.update({v.key: v.value for v in self.wait_targets})
        found["version"] = self.version
        return found


def _instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).short_name
    except InvalidInput:
        return instrument_id


def _path_key(parts: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in parts)


def _path_parts(key: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in key.split(".")]


def _conditions(
    when: Any, path: list[str | int]
) -> Iterator[tuple[list[str | int], Mapping[str, Any]]]:
    """Every condition mapping in ``when`` (``any``/``all`` opened), with its path."""
    if not isinstance(when, Mapping):
        return
    yield path, when
    for combinator in ("any", "all"):
        inner = when.get(combinator)
        if isinstance(inner, list):
            for index, condition in enumerate(inner):
                yield from _conditions(condition, [*path, combinator, index])


def _band_choices(instrument_id: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """The instrument's published bands as (name, name with its score range), and a hint
    citing where they come from; nothing for an instrument Alongside does not know."""
    try:
        definition = get_instrument(instrument_id)
    except InvalidInput:
        return (), ""
    bands = definition.bands
    if bands is None:
        return (), ""
    if bands.by_sex is not None:
        ranges = {
            sex: {band.name: f"{band.min}-{band.max}" for band in band_set}
            for sex, band_set in bands.by_sex.items()
        }
        names = list(dict.fromkeys(b.name for band_set in bands.all_sets() for b in band_set))
        choices = tuple(
            (
                name,
                f"{name} (women {ranges['female'].get(name, 'none')}, "
                f"men {ranges['male'].get(name, 'none')})",
            )
            for name in names
        )
    else:
        choices = tuple((b.name, f"{b.name} ({b.min}-{b.max})") for b in bands.all_sets()[0])
    hint = (
        f"The {definition.short_name}'s published bands ({' '.join(bands.source.split())}). "
        "A rule chooses among them; their score ranges come with the instrument and are not "
        "changed here or in the YAML."
    )
    return choices, hint


def _answer_hint(labels: Any) -> str:
    if not isinstance(labels, list) or not labels:
        return ""
    return "Answers: " + ", ".join(f"{index} {label}" for index, label in enumerate(labels))


def _rule_values(rule: Mapping[str, Any], answer_labels: Mapping[str, Any]) -> list[FormValue]:
    """The cut-offs in a rule's condition, as raw YAML data (mappings and lists)."""
    rule_id = str(rule.get("id"))
    values: list[FormValue] = []
    for path, condition in _conditions(rule.get("when"), ["when"]):
        instrument = condition.get("instrument")
        if isinstance(instrument, str):
            name = _instrument_name(instrument)
            for bound in _BOUNDS:
                value = condition.get(bound)
                if not isinstance(value, int) or isinstance(value, bool):
                    continue
                if bound == "gte":
                    item = condition.get("item")
                    label = f"{name} question {item}: answer at least"
                    hint = _answer_hint(answer_labels.get(instrument))
                else:
                    label = f"{name} total at {'least' if bound == 'total_gte' else 'most'}"
                    hint = ""
                key = f"t|{rule_id}|{_path_key([*path, bound])}"
                values.append(FormValue(key, THRESHOLD, label, str(value), hint=hint))
        bands = condition.get("severity_in")
        if isinstance(instrument, str) and isinstance(bands, list):
            choices, hint = _band_choices(instrument)
            if choices and all(isinstance(band, str) for band in bands):
                key = f"b|{rule_id}|{_path_key([*path, 'severity_in'])}"
                label = f"{_instrument_name(instrument)}: fires in these bands"
                values.append(FormValue(key, BANDS, label, BAND_JOIN.join(bands), choices, hint))
        level = condition.get("risk_level_at_least")
        if isinstance(level, str):
            key = f"l|{rule_id}|{_path_key([*path, 'risk_level_at_least'])}"
            choices = tuple(RISK_LEVEL_WORDS.items())
            values.append(
                FormValue(key, RISK_LEVEL, "The risk reader's level at least", level, choices)
            )
    return values


def _pathways(raw: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for pathway in raw.get("pathways") or []:
        if isinstance(pathway, Mapping) and isinstance(pathway.get("id"), str):
            found[pathway["id"]] = (
                str(pathway.get("label") or pathway["id"]),
                str(pathway.get("source") or ""),
            )
    return found


def hours_text(hours: float) -> str:
    """Hours as a person writes them: 24, 0.5."""
    return str(int(hours)) if float(hours).is_integer() else f"{hours:g}"


def _load(text: str) -> Mapping[str, Any]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return raw if isinstance(raw, Mapping) else {}


def rule_form(text: str, *, wait_hours: Mapping[str, float], version: str) -> RuleForm:
    """The form filled from a version's YAML (read leniently: what cannot be read is left
    out), the wait targets in force and the version the new one should have."""
    raw = _load(text)
    pathways = _pathways(raw)
    answer_labels = raw.get("answer_labels")
    labels = answer_labels if isinstance(answer_labels, Mapping) else {}
    choices = (("", "No pathway of its own"), *((pid, p[0]) for pid, p in pathways.items()))
    rules: list[RuleFields] = []
    for rule in raw.get("rules") or []:
        if not isinstance(rule, Mapping) or not isinstance(rule.get("id"), str):
            continue
        values = _rule_values(rule, labels)
        urgency = rule.get("urgency")
        if isinstance(urgency, str):
            values.append(
                FormValue(
                    f"u|{rule['id']}",
                    URGENCY,
                    "Urgency it proposes",
                    urgency,
                    tuple((u, urgency_words(u)) for u in reversed(URGENCY_ORDER)),
                )
            )
        pathway = rule.get("pathway")
        values.append(
            FormValue(
                f"p|{rule['id']}",
                PATHWAY,
                "Pathway it proposes",
                pathway if isinstance(pathway, str) else "",
                choices,
            )
        )
        rules.append(
            RuleFields(
                rule_id=rule["id"],
                name=rule_words(rule["id"]),
                urgency=str(rule.get("urgency") or ""),
                source=" ".join(str(rule.get("source") or "").split()),
                values=tuple(values),
            )
        )
    targets = tuple(
        FormValue(
            f"w|{urgency}",
            WAIT_TARGET,
            f"{urgency_words(urgency)}: hours to first review",
            hours_text(wait_hours[urgency]),
        )
        for urgency in reversed(URGENCY_ORDER)
        if urgency in wait_hours
    )
    return RuleForm(version=version, rules=tuple(rules), wait_targets=targets, pathways=pathways)


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def _rule_index(raw: Mapping[str, Any], rule_id: str) -> int | None:
    rules = raw.get("rules")
    return next(
        (
            i
            for i, r in enumerate(rules if isinstance(rules, list) else [])
            if isinstance(r, Mapping) and r.get("id") == rule_id
        ),
        None,
    )


def _replace(node: yaml.Node, text: str) -> _Edit:
    return _Edit(node.start_mark.index, node.end_mark.index, text)


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end


def _pathway_edit(
    text: str, rule_node: yaml.MappingNode, pathway: str, name: str
) -> tuple[_Edit | None, Problem | None]:
    """Set (or with "" remove) the ``pathway:`` of a rule's mapping."""
    pair = next(
        (
            (k, v)
            for k, v in rule_node.value
            if isinstance(k, yaml.ScalarNode) and k.value == "pathway"
        ),
        None,
    )
    if pair is not None and pathway:
        return _replace(pair[1], pathway), None
    if rule_node.flow_style:
        return None, Problem(None, f"{name}: its pathway can only be changed in the YAML.")
    if pair is not None:
        key, value = pair
        line_start = text.rfind("\n", 0, key.start_mark.index) + 1
        end = _line_end(text, value.end_mark.index)
        rest = text[value.end_mark.index : end].strip()
        if text[line_start : key.start_mark.index].strip() or (rest and not rest.startswith("#")):
            return None, Problem(None, f"{name}: its pathway can only be removed in the YAML.")
        return _Edit(line_start, min(end + 1, len(text)), ""), None
    if not pathway:
        return None, None
    # After the urgency, where a reader looks for it (the rule has an id, so a last key).
    key, value = next(
        (
            (k, v)
            for k, v in rule_node.value
            if isinstance(k, yaml.ScalarNode) and k.value == "urgency"
        ),
        rule_node.value[-1],
    )
    at = _line_end(text, value.end_mark.index)
    return _Edit(at, at, "\n" + " " * key.start_mark.column + f"pathway: {pathway}"), None


def _wait_edits(
    text: str, root: yaml.Node | None, hours: Mapping[str, float], changed: bool
) -> list[_Edit]:
    """Write the wait targets where the YAML has them, or add them at its end if changed."""
    block = node_at(root, ["wait_targets"])
    if isinstance(block, yaml.MappingNode):
        edits = []
        for urgency, value in hours.items():
            node = node_at(block, [urgency])
            if isinstance(node, yaml.ScalarNode):
                edits.append(_replace(node, hours_text(value)))
        return edits
    if not changed:
        return []
    lines = "".join(f"  {urgency}: {hours_text(hours[urgency])}\n" for urgency in hours)
    ending = "" if text.endswith("\n") else "\n"
    return [_Edit(len(text), len(text), f"{ending}\n{_WAIT_COMMENT}wait_targets:\n{lines}")]


def _bands_edit(
    rule: Mapping[str, Any], rule_node: yaml.MappingNode, path: str, value: str, name: str
) -> tuple[_Edit | None, Problem | None]:
    """Write the bands a rule fires in, chosen among its instrument's published bands only."""
    parts = _path_parts(path)
    condition: Any = rule
    for part in parts[:-1]:
        if isinstance(condition, Mapping) and isinstance(part, str):
            condition = condition.get(part)
        elif isinstance(condition, list) and isinstance(part, int) and part < len(condition):
            condition = condition[part]
        else:
            condition = None
    node = node_at(rule_node, parts)
    instrument = condition.get("instrument") if isinstance(condition, Mapping) else None
    if not isinstance(node, yaml.SequenceNode) or not isinstance(instrument, str):
        return None, Problem(
            None, f"{name}: these bands are not where they were in the YAML below."
        )
    published = [band for band, _words in _band_choices(instrument)[0]]
    chosen = [band for band in value.split(BAND_JOIN) if band]
    if not chosen:
        return None, Problem(
            None,
            f"{name}: tick at least one band (to stop the rule firing, take it out in the YAML).",
        )
    if any(band not in published for band in chosen):
        return None, Problem(None, f"{name}: choose among the instrument's published bands.")
    ordered = [band for band in published if band in chosen]
    flow = yaml.safe_dump(ordered, default_flow_style=True, width=1_000_000).strip()
    return _replace(node, flow), None


def _cut_off(value: str) -> int | None:
    cleaned = value.strip()
    if not re.fullmatch(r"\d{1,4}", cleaned):
        return None
    number = int(cleaned)
    return number if number <= MAX_CUT_OFF else None


def _hours(value: str) -> float | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(number) or not 1 / 60 <= number <= MAX_WAIT_TARGET_HOURS:
        return None
    return number


def _version_problem(version: str) -> Problem | None:
    if not version:
        return Problem(None, 'the new version needs a version, for example "2.0.1".')
    if len(version) > MAX_VERSION_LENGTH or not version.isprintable():
        return Problem(None, f"the version is at most {MAX_VERSION_LENGTH} characters on one line.")
    return None


def apply_form(
    text: str,
    posted: Mapping[str, str],
    was: Mapping[str, str],
    *,
    version: str | None,
) -> str:
    """The YAML with the form's changed values written in (``was``: the values the form was
    filled with; a field left as it was is not written; ``version`` None: as the YAML says)."""
    problems: list[Problem] = []
    version_problem = None if version is None else _version_problem(version.strip())
    if version_problem is not None:
        problems.append(version_problem)
    # A band list with no box ticked is not posted at all: it was emptied.
    emptied = {key: "" for key in was if key.startswith("b|") and key not in posted}
    changed = {
        key: value.strip()
        for key, value in {**posted, **emptied}.items()
        if key[:2] in FORM_PREFIXES and value.strip() != was.get(key, "").strip()
    }
    wait_keys = [f"w|{urgency}" for urgency in reversed(URGENCY_ORDER)]
    waits_shown = all(key in posted for key in wait_keys)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        # The YAML's own problem (with its line) is reported when the text is checked.
        root, raw = None, None
    if not isinstance(raw, Mapping):
        if changed:
            problems.append(
                Problem(
                    None,
                    "the values changed on the form could not be written: the YAML below "
                    "cannot be read. Correct it first.",
                )
            )
        if problems:
            raise RulesetProblems(problems)
        return text
    edits: list[_Edit] = []
    version_node = node_at(root, ["version"])
    if version is not None and version_problem is None and str(raw.get("version")) != version:
        if isinstance(version_node, yaml.ScalarNode):
            edits.append(_replace(version_node, json.dumps(version.strip())))
        else:
            problems.append(Problem(None, "the YAML below has no 'version:' to change."))
    pathway_ids = set(_pathways(raw))
    for key, value in changed.items():
        kind, _, rest = key.partition("|")
        if kind == "w":
            continue
        rule_id, _, path = rest.partition("|")
        name = rule_words(rule_id)
        index = _rule_index(raw, rule_id)
        if index is None:
            problems.append(
                Problem(
                    None,
                    f"{name}: the rule is no longer in the YAML below, so the value changed on "
                    "the form cannot be written; change it in the YAML instead.",
                )
            )
            continue
        # The rule was found as a mapping with this id, so its node is that mapping.
        rule_node = cast(yaml.MappingNode, node_at(root, ["rules", index]))
        if kind == "u":
            urgency_node = node_at(rule_node, ["urgency"])
            if value not in URGENCY_ORDER:
                problems.append(Problem(None, f"{name}: choose one of the urgencies listed."))
            elif not isinstance(urgency_node, yaml.ScalarNode):
                problems.append(
                    Problem(None, f"{name}: its urgency is not where it was in the YAML below.")
                )
            else:
                edits.append(_replace(urgency_node, value))
            continue
        if kind == "b":
            edit, problem = _bands_edit(raw["rules"][index], rule_node, path, value, name)
            if problem is not None:
                problems.append(problem)
            if edit is not None:
                edits.append(edit)
            continue
        if kind == "p":
            if value and value not in pathway_ids:
                problems.append(Problem(None, f"{name}: choose one of the pathways listed."))
                continue
            edit, problem = _pathway_edit(text, rule_node, value, name)
            if problem is not None:
                problems.append(problem)
            if edit is not None:
                edits.append(edit)
            continue
        node = node_at(rule_node, _path_parts(path))
        if not isinstance(node, yaml.ScalarNode):
            problems.append(
                Problem(None, f"{name}: this value is not where it was in the YAML below.")
            )
            continue
        if kind == "t":
            number = _cut_off(value)
            if number is None:
                problems.append(
                    Problem(
                        None,
                        f"{name}: a cut-off is a whole number from 0 to {MAX_CUT_OFF}, "
                        f"not '{value[:20]}'.",
                    )
                )
                continue
            edits.append(_replace(node, str(number)))
        elif kind == "l":
            if value not in RISK_LEVEL_ORDER:
                problems.append(Problem(None, f"{name}: choose one of the risk levels listed."))
                continue
            edits.append(_replace(node, value))
    if waits_shown:
        hours: dict[str, float] = {}
        for key in wait_keys:
            target = _hours(posted[key])
            if target is None:
                urgency = key.partition("|")[2]
                problems.append(
                    Problem(
                        None,
                        f"wait target for {urgency_words(urgency).lower()}: a number of hours, "
                        f"more than 0 and at most {MAX_WAIT_TARGET_HOURS} (a year).",
                    )
                )
            else:
                hours[key.partition("|")[2]] = target
        if len(hours) == len(wait_keys):
            edits.extend(_wait_edits(text, root, hours, any(key in changed for key in wait_keys)))
    if problems:
        raise RulesetProblems(problems)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _rule_cut_offs(rule_when: Any) -> dict[str, tuple[str, str]]:
    """A rule's cut-offs by path: (label, value)."""
    raw_when = rule_when.model_dump(mode="json", by_alias=True, exclude_none=True)
    values = _rule_values({"id": "-", "when": raw_when}, {})
    return {v.key.split("|", 2)[2]: (v.label, v.value) for v in values}


def _pathway_words(ruleset: Ruleset, pathway: str | None) -> str:
    if pathway is None:
        return "no pathway of its own"
    return next((p.label for p in ruleset.pathways if p.id == pathway), pathway)


def _band_words(value: str) -> str:
    return ", ".join(band for band in value.split(BAND_JOIN) if band)


def _level_words(value: str) -> str:
    return RISK_LEVEL_WORDS.get(value, value).lower()


def describe_changes(old: Ruleset, new: Ruleset) -> list[str]:
    """What the new version changes against the old, in clinicians' words, one line each."""
    lines: list[str] = []
    if old.version != new.version:
        lines.append(f"Version {old.version} becomes {new.version}.")
    old_rules = {rule.id: rule for rule in old.rules}
    new_rules = {rule.id: rule for rule in new.rules}
    for rule in new.rules:
        name = rule_words(rule.id)
        before = old_rules.get(rule.id)
        if before is None:
            lines.append(f"New rule: {name} ({urgency_words(rule.urgency)}).")
            continue
        old_cuts, new_cuts = _rule_cut_offs(before.when), _rule_cut_offs(rule.when)
        for path, (label, value) in new_cuts.items():
            previous = old_cuts.get(path)
            if previous is None or previous[1] == value:
                continue
            label = label.replace("The ", "the ", 1) if label.startswith("The ") else label
            if path.endswith("severity_in"):
                lines.append(
                    f"{name}: {label.lower().split(': ', 1)[-1]} "
                    f"{_band_words(previous[1])} → {_band_words(value)}."
                )
                continue
            if path.endswith("risk_level_at_least"):
                lines.append(
                    f"{name}: {label} {_level_words(previous[1])} → {_level_words(value)}."
                )
            else:
                lines.append(f"{name}: {label} {previous[1]} → {value}.")
                # The reason may quote the old cut-off ("severe depression band, 20-27").
                if re.search(rf"(?<!\d){re.escape(previous[1])}(?!\d)", rule.reason):
                    lines.append(
                        f"{name}: the reason clinicians read still mentions {previous[1]}; "
                        "change its wording in the YAML if it no longer holds."
                    )
        same_paths = old_cuts.keys() == new_cuts.keys()
        old_shape = before.when.model_dump(mode="json", by_alias=True, exclude_none=True)
        new_shape = rule.when.model_dump(mode="json", by_alias=True, exclude_none=True)
        if not same_paths or _without(old_shape, old_cuts) != _without(new_shape, new_cuts):
            lines.append(f"{name}: when it applies changed (see the line-by-line changes).")
        if before.urgency != rule.urgency:
            lines.append(
                f"{name}: urgency {urgency_words(before.urgency)} → {urgency_words(rule.urgency)}."
            )
        if before.pathway != rule.pathway:
            lines.append(
                f"{name}: pathway {_pathway_words(old, before.pathway)} → "
                f"{_pathway_words(new, rule.pathway)}."
            )
        if before.reason != rule.reason:
            lines.append(f"{name}: the reason clinicians read is worded differently.")
        if before.source != rule.source:
            lines.append(f"{name}: the source it cites changed.")
        if before.safeguarding != rule.safeguarding:
            lines.append(
                f"{name}: {'now' if rule.safeguarding else 'no longer'} a safeguarding concern."
            )
    for rule_id, rule in old_rules.items():
        if rule_id not in new_rules:
            lines.append(f"Rule taken out: {rule_words(rule_id)} ({urgency_words(rule.urgency)}).")
    old_paths = {p.id: p for p in old.pathways}
    new_paths = {p.id: p for p in new.pathways}
    for pathway_id, pathway in new_paths.items():
        earlier = old_paths.get(pathway_id)
        if earlier is None:
            lines.append(f"New pathway: {pathway.label}.")
        elif earlier.label != pathway.label:
            lines.append(f"Pathway renamed: {earlier.label} → {pathway.label}.")
        elif earlier.source != pathway.source:
            lines.append(f"{pathway.label}: the source it cites changed.")
    for pathway_id, pathway in old_paths.items():
        if pathway_id not in new_paths:
            lines.append(f"Pathway taken out: {pathway.label}.")
    if [p.id for p in old.pathways if p.id in new_paths] != [
        p.id for p in new.pathways if p.id in old_paths
    ]:
        lines.append("The order in which pathways are chosen changed.")
    if old.fallback != new.fallback:
        lines.append(
            "When no rule names a pathway: "
            f"{_pathway_words(old, old.fallback.pathway)} → "
            f"{_pathway_words(new, new.fallback.pathway)}"
            + (
                " (its reason or source changed)."
                if old.fallback.pathway == new.fallback.pathway
                else "."
            )
        )
    if dict(old.answer_labels) != dict(new.answer_labels):
        lines.append("The wording of answers shown in reasons changed.")
    if old.description != new.description:
        lines.append("The description changed.")
    return lines


def _without(shape: Any, cuts: Mapping[str, tuple[str, str]]) -> Any:
    """A condition with its cut-offs blanked, to tell a changed value from a changed shape."""
    blank = json.loads(json.dumps(shape))
    for path in cuts:
        parts = _path_parts(path)[1:]  # below "when"
        holder: Any = blank
        for part in parts[:-1]:
            holder = holder[part]
        holder[parts[-1]] = None
    return blank


def wait_target_changes(
    targets: Mapping[str, float], current: Mapping[str, float], *, own: bool = True
) -> list[str]:
    """What activating a version would do to the wait targets in force, in words (nothing when
    they stay as they are). ``targets``: the ones in force with the version; ``own``: whether
    the version sets them itself (otherwise they are Alongside's defaults)."""
    lines = []
    for urgency in reversed(URGENCY_ORDER):
        new, now = targets.get(urgency), current.get(urgency)
        if new is not None and now is not None and abs(new - now) > 1e-9:
            lines.append(
                f"Wait target for {urgency_words(urgency).lower()} proposals: "
                f"{hours_text(now)} → {hours_text(new)} hours to first review."
            )
    if lines and not own:
        lines.append(
            "This version sets no wait targets of its own, so Alongside's defaults would "
            "apply; to keep the ones in force, write them on the form or in the YAML."
        )
    return lines


@dataclass(frozen=True)
class DiffLine:
    """One line of the line-by-line changes: added, removed, unchanged context, or a gap."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str


def line_diff(old_text: str, new_text: str, *, context: int = 2) -> list[DiffLine]:
    """The lines that differ between two versions' YAML, with a little context around them."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    shown: list[DiffLine] = []
    for number, group in enumerate(matcher.get_grouped_opcodes(context)):
        if number:
            shown.append(DiffLine("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown.extend(
                    DiffLine("same", i + 1, j + 1, old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            shown.extend(DiffLine("removed", i + 1, None, old_lines[i]) for i in range(i1, i2))
            shown.extend(DiffLine("added", None, j + 1, new_lines[j]) for j in range(j1, j2))
    return shown


def suggest_version(current: str, taken: set[str]) -> str:
    """The next free version after ``current``: its last number plus one (2.0.0 → 2.0.1)."""
    match = re.fullmatch(r"(.*?)(\d+)", current)
    stem, number = (match.group(1), int(match.group(2))) if match else (current + ".", 0)
    while True:
        number += 1
        candidate = f"{stem}{number}"
        if candidate not in taken:
            return candidate
