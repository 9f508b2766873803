"""What is wrong with a ruleset's YAML, in words a clinical lead can act on, with the line.

:func:`alongside.triage.rulesets.load_ruleset` says what is wrong in a developer's terms (the
API has always answered that way); this module says it as a person editing the YAML needs it:
"Line 12: the rule 'risk-high' names the pathway 'nowhere'; a pathway must be one of …", never
a parser's exception or a field path.

- :func:`check_ruleset_text` ``(text) -> Ruleset``: the ruleset, or :class:`RulesetProblems`
  (an :class:`~alongside.errors.InvalidInput`) listing every :class:`Problem` found.
- :func:`node_at` ``(root, path) -> yaml.Node | None``: the YAML node at a path of keys and list
  positions (the rule editor uses it to change values in place).

Pure: no database, no settings, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from alongside.errors import InvalidInput
from alongside.instruments.library import get_instrument, list_instruments
from alongside.triage.rulesets import (
    MAX_WAIT_TARGET_HOURS,
    RISK_LEVEL_ORDER,
    URGENCY_ORDER,
    Ruleset,
)


@dataclass(frozen=True)
class Problem:
    """One thing to fix, and the line of the YAML it is on (None: the whole document)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        message = self.message if self.message.endswith(".") else self.message + "."
        if self.line:
            return f"Line {self.line}: {message}"
        return message[:1].upper() + message[1:]


class RulesetProblems(InvalidInput):
    """The YAML is not a valid ruleset; ``problems`` says what to fix, line by line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(" ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)


# The keys each part of a ruleset may have, for "… is not something a rule can have".
_KEYS = {
    "the ruleset": (
        "id, version, description, pathways, answer_labels, rules, fallback, wait_targets"
    ),
    "rule": "id, when, urgency, pathway, reason, source, safeguarding",
    "pathway": "id, label, source",
    "the fallback": "pathway, reason, source",
    "the wait targets": "crisis, urgent, soon, routine",
}
# What a missing key is for, so the message says what to write.
_MISSING_HINT = {
    "id": "a short id of lower-case letters, digits and hyphens",
    "version": 'the version, for example "2.0.1"',
    "when": "the condition under which the rule fires",
    "urgency": "routine, soon, urgent or crisis",
    "reason": "the reason a clinician reads",
    "source": "the published guidance it follows",
    "label": "the words clinicians read",
    "pathway": "one of the pathways",
    "pathways": "the care pathways a proposal may name",
    "rules": "the rules themselves",
    "fallback": "the pathway used when no rule names one",
}
_WORDS_OF_LITERAL = {
    "urgency": "an urgency must be one of " + ", ".join(URGENCY_ORDER),
    "risk_level_at_least": "a risk level must be one of " + ", ".join(RISK_LEVEL_ORDER),
}
_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("found character '\\t'", "a tab is used for indenting here; indent with spaces"),
    (
        "mapping values are not allowed",
        "a colon where the YAML does not expect one: put text that holds a colon in quotes, "
        "or check this line's indentation",
    ),
    (
        "could not find expected ':'",
        "this line is missing the colon of its 'key: value', or its indentation is off",
    ),
    (
        "expected ',' or '}'",
        "a { … } mapping that starts on this line is not closed, or two of its entries lack "
        "a comma between them",
    ),
    (
        "expected ',' or ']'",
        "a [ … ] list that starts on this line is not closed, or two of its entries lack a "
        "comma between them",
    ),
    ("found undefined alias", "a *name refers to an &name that is not defined above it"),
    ("found duplicate anchor", "the same &name is defined twice"),
    (
        "did not find expected key",
        "this line's indentation does not line up with the lines around it",
    ),
    (
        "expected <block end>",
        "this line's indentation does not line up with the lines around it",
    ),
    (
        "did not find expected '-' indicator",
        "a list entry here does not start with '- ' at the list's indentation",
    ),
    (
        "found unexpected end of stream",
        "a quotation mark opened on this line is never closed",
    ),
    ("found unknown escape character", "a backslash in double quotes; use single quotes"),
    ("could not determine a constructor", "a !tag that rules cannot use; remove it"),
)


def _yaml_words(error: yaml.YAMLError) -> str:
    text = " ".join(
        str(part)
        for part in (getattr(error, "context", None), getattr(error, "problem", None))
        if part
    )
    for needle, words in _YAML_PROBLEMS:
        if needle in text:
            return f"the YAML cannot be read here: {words}."
    return "the YAML cannot be read here; check the indentation, the colons and the quotes."


# Problems found after the line at fault (a key without its colon, an unclosed bracket or
# quote): the line where the construct began is the one to fix.
_STARTED_ON = ("while scanning a simple key", "while parsing a flow", "while scanning a quoted")


def _yaml_line(error: yaml.YAMLError) -> int | None:
    context = str(getattr(error, "context", "") or "")
    mark = getattr(error, "problem_mark", None)
    if context.startswith(_STARTED_ON) or mark is None:
        mark = getattr(error, "context_mark", None) or mark
    return None if mark is None else int(mark.line) + 1


def node_at(root: yaml.Node | None, path: Iterable[str | int]) -> yaml.Node | None:
    """The node at ``path`` (mapping keys and list positions) below ``root``, or None."""
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next(
                (
                    value
                    for key, value in node.value
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part)
                ),
                None,
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if 0 <= part < len(node.value) else None
        else:
            return None
        if node is None:
            return None
    return node


def _nearest_line(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest node on ``loc`` that the YAML has (pydantic's locations add
    the kind of a condition, which is not a key of its own: such parts are passed over)."""
    node = root
    line = None if root is None else int(root.start_mark.line) + 1
    parts = list(loc)
    position = 0
    while position < len(parts) and node is not None:
        part = parts[position]
        following = parts[position + 1] if position + 1 < len(parts) else None
        child = node_at(node, [part])
        if child is None or (isinstance(child, yaml.ScalarNode) and following is not None):
            # A tag ("instrument", "any"), not a key; or a key whose value is not a mapping.
            if isinstance(node, yaml.MappingNode) and following is not None:
                position += 1
                continue
            break
        node = child
        line = int(node.start_mark.line) + 1
        position += 1
    return line


def _rule_id(raw: Any, index: int) -> str | None:
    rules = raw.get("rules") if isinstance(raw, Mapping) else None
    if isinstance(rules, list) and 0 <= index < len(rules) and isinstance(rules[index], Mapping):
        rule_id = rules[index].get("id")
        return str(rule_id) if rule_id is not None else None
    return None


def _where(raw: Any, loc: Sequence[str | int]) -> tuple[str, str]:
    """(what the location is in words, e.g. "the rule 'phq9-severe'"; its kind for _KEYS)."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rule_id = _rule_id(raw, loc[1])
        return (f"the rule '{rule_id}'" if rule_id else f"rule number {loc[1] + 1}"), "rule"
    if len(loc) >= 2 and loc[0] == "pathways" and isinstance(loc[1], int):
        return f"pathway number {loc[1] + 1}", "pathway"
    if loc and loc[0] == "fallback":
        return "the fallback", "the fallback"
    if loc and loc[0] == "wait_targets":
        return "the wait targets", "the wait targets"
    if loc and loc[0] == "answer_labels":
        return "the answer labels", "the answer labels"
    return "the ruleset", "the ruleset"


def _field(loc: Sequence[str | int]) -> str | None:
    """The key the error is about (the last named part of the location), if any."""
    named = [part for part in loc if isinstance(part, str)]
    return named[-1] if named else None


def _quoted(value: Any) -> str:
    text = str(value)
    return f"'{text[:60]}'" if len(text) <= 60 else f"'{text[:57]}…'"


def _error_words(item: ErrorDetails, raw: Any) -> str:
    loc = list(item["loc"])
    where, kind = _where(raw, loc)
    field = _field(loc[2:] if kind in ("rule", "pathway") else loc)
    kind_of = item["type"]
    given = item.get("input")
    ctx = item.get("ctx") or {}
    if kind_of == "missing":
        hint = _MISSING_HINT.get(str(field), "")
        return f"{where} needs '{field}'" + (f" ({hint})." if hint else ".")
    if kind_of == "extra_forbidden":
        allowed = _KEYS.get(kind)
        tail = f" (it may have {allowed})" if allowed else ""
        subject = "a rule" if kind == "rule" else "a pathway" if kind == "pathway" else where
        return f"'{field}' is not something {subject} can have{tail}; check its spelling."
    if kind_of == "literal_error":
        words = _WORDS_OF_LITERAL.get(str(field))
        if words is None:
            words = f"'{field}' must be one of {ctx.get('expected', 'the listed values')}"
        return f"in {where}, {words}, not {_quoted(given)}."
    if kind_of in ("int_parsing", "int_type", "int_from_float"):
        return f"in {where}, '{field}' must be a whole number, not {_quoted(given)}."
    if kind == "the wait targets" and kind_of in (
        "float_parsing",
        "float_type",
        "finite_number",
        "greater_than_equal",
        "less_than_equal",
    ):
        return (
            f"the wait target for {field} must be a number of hours, more than 0 and at most "
            f"{MAX_WAIT_TARGET_HOURS} (a year), not {_quoted(given)}."
        )
    if kind_of in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"in {where}, '{field}' must be at least {bound}, not {_quoted(given)}."
    if kind_of == "string_pattern_mismatch":
        return (
            f"in {where}, '{field}' must be lower-case letters, digits and hyphens, starting "
            f"with a letter or digit, not {_quoted(given)}."
        )
    if kind_of in ("string_too_short", "too_short"):
        return f"in {where}, '{field}' cannot be empty."
    if kind_of == "string_type":
        return f"in {where}, '{field}' must be text, not {_quoted(given)}."
    if kind_of in ("bool_parsing", "bool_type"):
        return f"in {where}, '{field}' must be true or false, not {_quoted(given)}."
    if kind_of in ("model_type", "dict_type", "mapping_type", "model_attributes_type"):
        target = f"'{field}'" if field else where
        return f"in {where}, {target} must be a mapping ('key: value' lines), not a single value."
    if kind_of in ("tuple_type", "list_type"):
        return f"in {where}, '{field}' must be a list ('- ' lines or [a, b])."
    message = str(item["msg"]).removeprefix("Value error, ")
    return f"in {where}: {message}" if field or kind != "the ruleset" else message


def _known_flags() -> list[str]:
    """Every flag an instrument can raise (a flag condition can only wait for one of them)."""
    return sorted({f.flag for i in list_instruments() for f in get_instrument(i).flags})


def _instrument_problems(
    when: Any, path: list[str | int], rule_id: Any, root: yaml.Node | None
) -> list[Problem]:
    """What a condition names that no instrument has: an instrument Alongside does not score,
    an item past the instrument's last, a band it does not publish, a flag none raises. Such
    a rule would never fire (a typo in "phq9" would silently switch off a safety rule), and a
    rule can only choose among an instrument's bands, not make one up."""
    if not isinstance(when, Mapping):
        return []
    problems: list[Problem] = []
    instrument, bands, item = when.get("instrument"), when.get("severity_in"), when.get("item")
    definition = None
    if isinstance(instrument, str) and instrument:
        try:
            definition = get_instrument(instrument)
        except InvalidInput:
            problems.append(
                Problem(
                    _nearest_line(root, [*path, "instrument"]),
                    f"in the rule '{rule_id}', {_quoted(instrument)} is not an instrument "
                    f"Alongside scores, so the rule would never fire; instruments: "
                    f"{', '.join(list_instruments())}.",
                )
            )
    if definition is not None and isinstance(item, int) and item > len(definition.items):
        problems.append(
            Problem(
                _nearest_line(root, [*path, "item"]),
                f"in the rule '{rule_id}', the {definition.short_name} has "
                f"{len(definition.items)} items, so item {item} is never answered.",
            )
        )
    if definition is not None and isinstance(bands, list):
        published = (
            [b.name for band_set in definition.bands.all_sets() for b in band_set]
            if definition.bands is not None
            else []
        )
        names = list(dict.fromkeys(published))
        for position, band in enumerate(bands):
            if names and band not in names:
                problems.append(
                    Problem(
                        _nearest_line(root, [*path, "severity_in", position]),
                        f"in the rule '{rule_id}', {_quoted(band)} is not one of the "
                        f"{definition.short_name}'s published bands ({', '.join(names)}); a "
                        "rule chooses among them and cannot make up its own.",
                    )
                )
    flag = when.get("flag")
    if isinstance(flag, str) and flag and flag not in (flags := _known_flags()):
        problems.append(
            Problem(
                _nearest_line(root, [*path, "flag"]),
                f"in the rule '{rule_id}', no instrument raises the flag {_quoted(flag)}, so "
                f"the rule would never fire; flags: {', '.join(flags)}.",
            )
        )
    for combinator in ("any", "all"):
        inner = when.get(combinator)
        if isinstance(inner, list):
            for position, condition in enumerate(inner):
                problems.extend(
                    _instrument_problems(condition, [*path, combinator, position], rule_id, root)
                )
    return problems


def _references(raw: Mapping[str, Any], root: yaml.Node | None) -> list[Problem]:
    """Pathways named by rules and the fallback, and repeated ids, checked with their lines
    (the ruleset's own check stops at the first and cannot say where it is)."""
    problems: list[Problem] = []
    pathways = raw.get("pathways")
    ids = (
        [p.get("id") for p in pathways if isinstance(p, Mapping)]
        if isinstance(pathways, list)
        else []
    )
    known = ", ".join(str(i) for i in ids if i is not None)
    seen: set[Any] = set()
    for index, pathway_id in enumerate(ids):
        if pathway_id in seen:
            problems.append(
                Problem(
                    _nearest_line(root, ["pathways", index, "id"]),
                    f"the pathway id '{pathway_id}' is used twice; each pathway needs its own id.",
                )
            )
        seen.add(pathway_id)
    rules = raw.get("rules")
    rule_ids: set[Any] = set()
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, Mapping):
            continue
        rule_id = rule.get("id")
        if rule_id is not None and rule_id in rule_ids:
            problems.append(
                Problem(
                    _nearest_line(root, ["rules", index, "id"]),
                    f"the rule id '{rule_id}' is used twice; each rule needs its own id.",
                )
            )
        rule_ids.add(rule_id)
        problems.extend(
            _instrument_problems(rule.get("when"), ["rules", index, "when"], rule_id, root)
        )
        pathway = rule.get("pathway")
        if ids and pathway is not None and pathway not in ids:
            problems.append(
                Problem(
                    _nearest_line(root, ["rules", index, "pathway"]),
                    f"the rule '{rule_id}' names the pathway {_quoted(pathway)}; a pathway "
                    f"must be one of {known} (the pathways listed under 'pathways:').",
                )
            )
    fallback = raw.get("fallback")
    if isinstance(fallback, Mapping) and ids:
        pathway = fallback.get("pathway")
        if pathway is not None and pathway not in ids:
            problems.append(
                Problem(
                    _nearest_line(root, ["fallback", "pathway"]),
                    f"the fallback names the pathway {_quoted(pathway)}; a pathway must be one "
                    f"of {known}.",
                )
            )
    return problems


_REFERENCE_ERRORS = re.compile(
    r"pathway ids must be unique|rule ids must be unique|names pathway|fallback pathway"
)


def check_ruleset_text(text: str) -> Ruleset:
    """The ruleset this YAML describes; raises :class:`RulesetProblems` saying, line by line,
    what to fix."""
    if not text.strip():
        raise RulesetProblems(
            [Problem(None, "The rules are empty: start from the active version.")]
        )
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesetProblems([Problem(_yaml_line(error), _yaml_words(error))]) from error
    if not isinstance(raw, Mapping):
        raise RulesetProblems(
            [
                Problem(
                    1,
                    "the rules are a YAML mapping that starts with 'id:', 'version:', "
                    "'pathways:', 'rules:' and 'fallback:'.",
                )
            ]
        )
    problems = _references(raw, root)
    try:
        ruleset = Ruleset.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            loc = list(item["loc"])
            if not loc and _REFERENCE_ERRORS.search(str(item["msg"])) and problems:
                continue  # said above, with the line
            problems.append(Problem(_nearest_line(root, loc), _error_words(item, raw)))
    else:
        if not problems:
            return ruleset
    problems.sort(key=lambda problem: problem.line or 0)
    raise RulesetProblems(problems)
