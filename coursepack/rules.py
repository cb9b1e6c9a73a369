"""The cleaning-rule vocabulary: a reading's ``rules:`` and rule sets, validated into Rule objects.

A rule selects units of the raw text (lines, or paragraphs of a hard-wrapped text) with one
selector — ``line``, ``starts_with``, ``pattern``, or a block from one marker to another — and
applies one action to them. Modifiers: ``occurrence`` (the n-th match), ``count`` (how many
must match), ``join`` (a match and the units after it become one), ``replace`` (a literal
correction, the only way a character of the raw text may change) and ``optional``.

Rule sets are YAML files of named rules a reading pulls in with ``use:``; the shipped ones live
in ``coursepack/rulesets/``. User patterns are compiled and searched only through
``pattern_error`` and ``search`` below, so the matching engine is chosen in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import patterns

ACTIONS = ("drop", "keep", "title", "dek", "byline", "heading", "paragraph", "blockquote",
           "commentary", "section_break", "embedded_post", "source_note")
# Metadata a reading has at most once: one unit, taken by one rule.
ONCE_ACTIONS = ("title", "dek", "byline")
# Actions that turn a from/to block into one unit (the block's lines joined).
JOINING_ACTIONS = ("title", "dek", "byline", "heading", "paragraph", "section_break")
# Patterns describing a kind of unit rather than one unit: they match one or more.
MANY_ACTIONS = ("drop", "commentary", "section_break")
SELECTORS = ("line", "starts_with", "pattern")
JOIN_WITH = ("space", "line_break")
RULESET_DIR = Path(__file__).resolve().parent / "rulesets"


# --- the one place user patterns meet the regular-expression engine ------------------------
# The linear-time matcher (coursepack/patterns.py, RE2): no pattern can hang a build. The
# shipped rule sets and readings use only syntax RE2 accepts (no look-around or
# back-references).


def pattern_error(pattern: str) -> str | None:
    """Why a user's pattern cannot be used (RE2 cannot take it, or it is too costly), or None."""
    return patterns.problem(pattern)


def pattern_groups(pattern: str) -> set[str]:
    return patterns.group_names(pattern)


def search(pattern: str, text: str):  # -> re2 match | None (.group(name), .start(), .end())
    return patterns.search(pattern, text)


# --- rules ---------------------------------------------------------------------------------


def close_match(word: str, known) -> list[str]:
    """The known word nearest a misspelt one ([] when none is close), for a suggestion."""
    import difflib  # here: only a message needs it

    return difflib.get_close_matches(word, known, n=1)


@dataclass(frozen=True)
class Attribution:
    """Who posted an embedded social-media post, shown under the quotation."""

    author: str
    handle: str
    date: str
    platform: str = ""


@dataclass(frozen=True)
class Marker:
    """One end of a block: the unit equal to, starting with or matching a text."""

    line: str | None = None
    starts_with: str | None = None
    pattern: str | None = None
    occurrence: int | None = None  # the n-th match, when the marker matches several units

    def describe(self) -> str:
        if self.line is not None:
            return f"line “{self.line}”"
        if self.pattern is not None:
            return f"pattern {self.pattern}"
        return f"“{self.starts_with}”"


@dataclass(frozen=True)
class Replacement:
    """A literal correction: ``find`` (which must occur once in the unit) becomes ``with_``."""

    find: str
    with_: str


@dataclass(frozen=True)
class Rule:
    """One named cleaning rule: which units it selects and what it does with them."""

    name: str
    reason: str
    action: str
    line: str | None = None
    starts_with: str | None = None
    pattern: str | None = None
    start: Marker | None = None  # from: (None with an end marker: from the start of the text)
    end: Marker | None = None  # to: or until: (None with a start marker: to the end)
    until: bool = False  # the end marker's own unit is not part of the block
    count: int | None = None
    occurrence: int | None = None
    optional: bool = False
    level: int = 2
    attribution: Attribution | None = None
    join: int = 1
    join_with: str = "space"
    replace: tuple[Replacement, ...] = ()
    origin: str = ""  # the rule set it came from; "" for the reading's own rules
    unit: str = ""  # "line": drops raw lines before a hard-wrapped text's lines are joined

    @property
    def block(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def label(self) -> str:
        """How the audit names the rule's action (and its rule set)."""
        return self.action + (f", rule set {self.origin}" if self.origin else "")


class Problems:
    """Collects validation problems as (key, message); the caller names the file."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))


def check_mapping(p: Problems, data: Any, where: str, required: dict[str, Any],
                  optional: dict[str, Any]) -> dict[str, Any]:
    """Keys known, required ones present, values of the right type; {} if not a mapping.
    Returns the mapping without its wrongly typed values."""
    if not isinstance(data, dict):
        p.add(where, "expected a mapping of keys to values")
        return {}
    known = {**required, **optional}
    suggested = set()
    for key in data:
        if key not in known:
            close = close_match(str(key), known)
            suggested.update(close)
            hint = f"; did you mean '{close[0]}'?" if close else \
                f"; known keys: {', '.join(sorted(known))}"
            p.add(_join(where, str(key)), f"unknown key{hint}")
    for key in required:
        value = data.get(key)
        if key not in suggested and (value is None or (isinstance(value, str)
                                                       and not value.strip())):
            p.add(_join(where, key), "missing; add it")
    for key, kind in known.items():
        value = data.get(key)
        if value is not None and not _is(value, kind):
            p.add(_join(where, key), f"expected {kind_name(kind)}, got {type(value).__name__}")
    # A value of the wrong type is reported above and left out: later checks see the right types.
    return {k: v for k, v in data.items() if k not in known or v is None or _is(v, known[k])}


def _is(value: Any, kind: Any) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # YAML's yes/no are not numbers
    return isinstance(value, kinds)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list",
             dict: "a mapping", bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _marker(p: Problems, data: Any, where: str) -> Marker | None:
    if isinstance(data, str):
        if not data.strip():
            p.add(where, "an empty marker matches every unit; give the text it starts with")
            return None
        return Marker(starts_with=data)
    d = check_mapping(p, data, where, {}, {"line": str, "starts_with": str, "pattern": str,
                                            "occurrence": int})
    if not d:
        return None
    chosen = [k for k in SELECTORS if d.get(k)]
    if len(chosen) != 1:
        p.add(where, "give the marker exactly one of line, starts_with or pattern")
        return None
    if d.get("pattern") and (problem := pattern_error(d["pattern"])):
        p.add(f"{where}.pattern", problem)
    if d.get("occurrence") is not None and d["occurrence"] < 1:
        p.add(f"{where}.occurrence", "must be 1 or more (1 is the first match)")
    return Marker(line=d.get("line"), starts_with=d.get("starts_with"),
                  pattern=d.get("pattern"), occurrence=d.get("occurrence"))


def _replacements(p: Problems, data: Any, where: str) -> tuple[Replacement, ...]:
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        key = f"{where}[{i}]" if isinstance(data, list) else where
        d = check_mapping(p, item, key, {"find": str}, {"with": str})
        if not d:
            continue
        if "with" not in d or not isinstance(d.get("with"), str):
            p.add(f"{key}.with", "missing; give the corrected text (\"\" to delete)")
            continue
        if d.get("find") == d["with"]:
            p.add(key, "'find' and 'with' are the same; remove the correction")
        out.append(Replacement(d.get("find", ""), d["with"]))
    return tuple(out)


_RULE_REQUIRED = {"name": str, "reason": str, "action": str}
_RULE_OPTIONAL = {"line": str, "starts_with": str, "pattern": str, "from": (str, dict),
                  "to": (str, dict), "until": (str, dict), "count": int, "occurrence": int,
                  "optional": bool, "level": int, "attribution": dict, "join": int,
                  "join_with": str, "replace": (dict, list), "unit": str}


def parse_rule(p: Problems, data: Any, where: str, origin: str = "") -> Rule | None:
    """Validate one rule; problems go to ``p``; returns None when it is not a mapping."""
    d = check_mapping(p, data, where, _RULE_REQUIRED, _RULE_OPTIONAL)
    if not d:
        return None
    action = d.get("action")
    if isinstance(action, str) and action not in ACTIONS:
        close = close_match(action, ACTIONS)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(ACTIONS)}"
        p.add(f"{where}.action", f"unknown action '{action}'; {hint}")
    selectors = [k for k in SELECTORS if d.get(k)]
    start = _marker(p, d["from"], f"{where}.from") if d.get("from") is not None else None
    if d.get("to") is not None and d.get("until") is not None:
        p.add(where, "give 'to' (the block ends with that unit) or 'until' (it ends just "
              "before it), not both")
    end_key = "until" if d.get("until") is not None else "to"
    end = _marker(p, d[end_key], f"{where}.{end_key}") if d.get(end_key) is not None else None
    block = start is not None or end is not None
    if len(selectors) + block != 1:
        p.add(where, "give exactly one selector: line, starts_with, pattern, or a block "
              "(from, to/until)")
    if d.get("pattern"):
        if problem := pattern_error(d["pattern"]):
            p.add(f"{where}.pattern", f"rule '{d.get('name', '')}': {problem}")
        elif action == "embedded_post" and "text" not in pattern_groups(d["pattern"]):
            p.add(f"{where}.pattern", "an embedded_post pattern needs a (?P<text>...) group")
    attribution = None
    if action == "embedded_post":
        if not d.get("pattern"):
            p.add(where, "an embedded_post rule selects its line with a pattern")
        a = check_mapping(p, d.get("attribution"), f"{where}.attribution",
                          {"author": str, "date": str}, {"handle": str, "platform": str})
        if a:
            attribution = Attribution(a.get("author", ""), a.get("handle", ""),
                                      a.get("date", ""), a.get("platform", ""))
    for key in ("count", "occurrence"):
        if d.get(key) is not None and d[key] < 1:
            p.add(f"{where}.{key}", "must be 1 or more")
    if d.get("count") is not None and d.get("occurrence") is not None:
        p.add(where, "give 'count' (how many units match) or 'occurrence' (which one to "
              "take), not both")
    if block and (d.get("count") is not None or d.get("occurrence") is not None):
        p.add(where, "a block has no count or occurrence; put 'occurrence' inside its "
              "marker, e.g. from: {line: …, occurrence: 2}")
    if action in ONCE_ACTIONS and (d.get("count") or 1) > 1:
        p.add(f"{where}.count", f"a reading has one {action}: a {action} rule takes exactly "
              "one unit; drop the extra lines with their own rule")
    if action == "heading" and d.get("level") not in (None, 2, 3, 4):
        p.add(f"{where}.level", "a heading inside a reading is level 2, 3 or 4")
    join = d.get("join") or 1
    if d.get("join") is not None:
        if d["join"] < 2:
            p.add(f"{where}.join", "join: N joins a match and the N−1 units after it; "
                  "N is 2 or more")
        if block:
            p.add(f"{where}.join", "a block is joined by its action (title, heading, "
                  "paragraph …); remove 'join'")
        if action in ("drop", "keep", "embedded_post"):
            p.add(f"{where}.join", f"joining means nothing to '{action}'; remove it")
    if d.get("join_with") is not None and d["join_with"] not in JOIN_WITH:
        p.add(f"{where}.join_with", f"use one of {', '.join(JOIN_WITH)}")
    replacements = _replacements(p, d["replace"], f"{where}.replace") \
        if d.get("replace") is not None else ()
    if replacements and action in ("drop", "keep", "section_break", "embedded_post"):
        p.add(f"{where}.replace", f"a correction on a '{action}' rule would never be seen")
    if d.get("unit") is not None:
        if d["unit"] != "line":
            p.add(f"{where}.unit", "the only unit a rule can name is 'line' (a raw line, before "
                  "the lines of a paragraph are joined)")
        elif action != "drop" or block or d.get("join") or d.get("replace"):
            p.add(f"{where}.unit", "unit: line is for dropping single raw lines (page numbers, "
                  "running heads); use it with action: drop and line, starts_with or pattern")
    return Rule(name=d.get("name", ""), reason=d.get("reason", ""), action=action or "",
                line=d.get("line"), starts_with=d.get("starts_with"), pattern=d.get("pattern"),
                start=start, end=end, until=end_key == "until" and end is not None,
                count=d.get("count"), occurrence=d.get("occurrence"),
                optional=bool(d.get("optional")), level=d.get("level") or 2,
                attribution=attribution, join=join, join_with=d.get("join_with") or "space",
                replace=replacements, origin=origin, unit=d.get("unit") or "")


def check_rule_list(p: Problems, rules: list[Rule]) -> None:
    """Checks across a reading's rules: unique names, metadata taken once."""
    names = [r.name for r in rules]
    for name in sorted({n for n in names if names.count(n) > 1}):
        p.add("rules", f"two rules are named '{name}'; give each rule its own name")
    for action in ONCE_ACTIONS:
        takers = [r.name for r in rules if r.action == action]
        if len(takers) > 1:
            p.add("rules", f"rules {', '.join(repr(n) for n in takers)} all take the "
                  f"{action}; a reading has one {action}, so keep one rule")


# --- rule sets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """Named rules shared by readings, with phrases that must not survive cleaning."""

    name: str
    path: Path
    description: str
    rules: tuple[Rule, ...]
    must_not_remain: tuple[str, ...] = ()


def shipped_rulesets() -> list[str]:
    return sorted(p.stem for p in RULESET_DIR.glob("*.yaml"))


def shipped_ruleset(name: str) -> Path | None:
    """``gutenberg`` -> the shipped set's file; None for a path (``rules/mine.yaml``)."""
    if re.fullmatch(r"[a-z][a-z0-9-]*", name):
        return RULESET_DIR / f"{name}.yaml"
    return None


def parse_ruleset(p: Problems, data: Any, name: str, path: Path) -> RuleSet | None:
    d = check_mapping(p, data, "", {"rules": list},
                      {"description": str, "must_not_remain": list})
    if not d:
        return None
    rules = [r for i, item in enumerate(d.get("rules") or [])
             if (r := parse_rule(p, item, f"rules[{i}]", origin=name)) is not None]
    names = [r.name for r in rules]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        p.add("rules", f"two rules are named '{dup}'; give each rule its own name")
    phrases = d.get("must_not_remain") or []
    for i, phrase in enumerate(phrases):
        if not isinstance(phrase, str) or not phrase.strip():
            p.add(f"must_not_remain[{i}]", "expected a phrase (text)")
    return RuleSet(name, path, (d.get("description") or "").strip(), tuple(rules),
                   tuple(s for s in phrases if isinstance(s, str) and s.strip()))


def merge_rules(sets: list[RuleSet], own: list[Rule]) -> list[Rule]:
    """The sets' rules in order of ``use:``, then the reading's own; a reading's rule with the
    name of a set's rule replaces that rule where it stands."""
    own_by_name = {r.name: r for r in own}
    merged, replaced = [], set()
    for ruleset in sets:
        for rule in ruleset.rules:
            if rule.name in own_by_name:
                merged.append(own_by_name[rule.name])
                replaced.add(rule.name)
            else:
                merged.append(rule)  # two sets naming the same rule: check_rule_list says so
    return merged + [r for r in own if r.name not in replaced]
