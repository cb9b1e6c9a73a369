"""Clean stage: raw copy-pasted text + its named rules -> cleaned Markdown and an audit.

Rules (from the reading's YAML) claim raw lines in order: a line claimed by one rule is not
seen by later ones. Lines no rule claims are the essay's paragraphs. Every rule must match:
a rule that matches nothing, or a marker that matches more than once, is an error, so a
changed source is never mis-cleaned in silence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import patterns
from .config import Reading, Rule
from .errors import ReaderError
from .markdown import StageDoc
from .textnorm import escape_markdown, normalise, normalise_space

METADATA_ACTIONS = ("title", "dek", "byline", "source_note")


@dataclass(frozen=True)
class Claim:
    """Raw lines (1-based numbers) taken by one rule."""

    rule: Rule
    lines: tuple[int, ...]


@dataclass
class Cleaned:
    """The result of cleaning one reading: the cleaned document and its audit lines."""

    doc: StageDoc
    audit: list[str] = field(default_factory=list)


def _key(line: str) -> str:
    """The form of a line (or marker) used for matching: whitespace and Unicode normalised."""
    return normalise_space(line)


def _matches(rule: Rule, keyed: str, value: str | None = None) -> bool:
    if value is not None:
        return keyed.startswith(_key(value))
    if rule.line is not None:
        return keyed == _key(rule.line)
    if rule.starts_with is not None:
        return keyed.startswith(_key(rule.starts_with))
    return patterns.search(rule.pattern or "", keyed) is not None


def _find(rule: Rule, keyed: dict[int, str], value: str | None = None) -> list[int]:
    return [n for n, text in keyed.items() if text and _matches(rule, text, value)]


def claim_lines(rule: Rule, keyed: dict[int, str], where: str) -> Claim:
    """Select the lines a rule takes among the still unclaimed ``keyed`` lines."""
    if rule.start is not None:
        starts = _find(rule, keyed, rule.start)
        ends = _find(rule, keyed, rule.end)
        for marker, found in (("from", starts), ("to", ends)):
            _check_once(rule, found, where, f"its '{marker}' marker")
        if ends[0] < starts[0]:
            raise ReaderError(where, f"rule '{rule.name}': the 'to' marker (line {ends[0]}) "
                              f"comes before the 'from' marker (line {starts[0]}); swap them")
        return Claim(rule, tuple(n for n in range(starts[0], ends[0] + 1) if n in keyed))
    found = _find(rule, keyed)
    if rule.count is not None:
        if len(found) != rule.count:
            raise ReaderError(where, f"rule '{rule.name}' should match {rule.count} line(s) "
                              f"but matches {len(found)}{_lines(found)}; check the source "
                              "or the rule")
    elif rule.pattern is not None and rule.action == "drop":
        _check_some(rule, found, where)
    else:
        _check_once(rule, found, where, "it")
    return Claim(rule, tuple(found))


def _lines(found: list[int]) -> str:
    return f" (lines {', '.join(map(str, found[:8]))})" if found else ""


def _check_some(rule: Rule, found: list[int], where: str) -> None:
    if not found:
        raise ReaderError(where, f"rule '{rule.name}' matches nothing in the raw text; "
                          "update the rule or remove it")


def _check_once(rule: Rule, found: list[int], where: str, what: str) -> None:
    _check_some(rule, found, where)
    if len(found) > 1:
        raise ReaderError(where, f"rule '{rule.name}': {what} matches {len(found)} lines"
                          f"{_lines(found)}; make the marker unique or add 'count'")


def _excerpt(text: str, width: int = 70) -> str:
    text = _key(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _ranges(numbers: tuple[int, ...]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in spans)


def _embedded_post(rule: Rule, raw: str, where: str, line_no: int) -> str:
    match = patterns.search(rule.pattern or "", _key(raw))
    text = patterns.group(match, "text").strip() if match else ""
    if not text:
        raise ReaderError(where, f"rule '{rule.name}': the (?P<text>...) group is empty on "
                          f"line {line_no}; fix the pattern")
    a = rule.attribution
    assert a is not None  # guaranteed by config validation
    handle = f" (@{a.handle.lstrip('@')})" if a.handle else ""
    platform = f" on {a.platform}" if a.platform else ""
    credit = escape_markdown(normalise(f"{a.author}{handle}{platform}, {a.date}"))
    return "\n".join([
        "::: {.embedded-post}",
        f"> {escape_markdown(normalise(text))}",
        ">",
        f"> — {credit}",
        ":::",
    ])


def clean_text(reading: Reading, raw: str) -> Cleaned:
    """Apply the reading's rules and general normalisation to its raw text."""
    where = os.path.relpath(reading.yaml_path)
    if not raw.strip():
        raise ReaderError(reading.raw_path.name, "the raw text is empty; paste the essay in")
    lines = raw.split("\n")
    keyed = {n: _key(text) for n, text in enumerate(lines, start=1)}
    unclaimed = dict(keyed)
    claims: dict[int, Claim] = {}
    audit = [f"# Cleaning audit: {reading.id} ({reading.raw_path.name}, {len(lines)} lines)",
             "", "## Rules, in order", ""]
    for rule in reading.rules:
        claim = claim_lines(rule, unclaimed, where)
        for n in claim.lines:
            claims[n] = claim
            unclaimed.pop(n)
        shown = [n for n in claim.lines if keyed[n]]
        audit.append(f"- {rule.name} ({rule.action}): lines {_ranges(claim.lines)}; "
                     f"{len(shown)} non-blank — {rule.reason.strip()}")
        audit.extend(f"    {n}: {_excerpt(lines[n - 1])}" for n in shown[:3])
        if len(shown) > 3:
            audit.append(f"    … and {len(shown) - 3} more")
    metadata: dict[str, str | list[str]] = {"reading": reading.id}
    blocks: list[str] = []
    changes: list[str] = []
    for n, text in enumerate(lines, start=1):
        if not keyed[n]:
            continue
        claim = claims.get(n)
        action = claim.rule.action if claim else "paragraph"
        if action == "drop":
            continue
        if action == "embedded_post":
            assert claim is not None
            blocks.append(_embedded_post(claim.rule, text, where, n))
            continue
        plain = normalise(text)
        if plain != keyed[n]:
            changes.append(f"- line {n}: {_describe(keyed[n], plain)}")
        if action in METADATA_ACTIONS:
            if action == "source_note":
                notes = metadata.setdefault("source_note", [])
                assert isinstance(notes, list)
                notes.append(plain)
            else:
                metadata[action] = plain
        elif action == "heading":
            assert claim is not None
            blocks.append("#" * claim.rule.level + " " + escape_markdown(plain))
        elif action == "blockquote":
            blocks.append("> " + escape_markdown(plain))
        else:
            blocks.append(escape_markdown(plain))
    audit += ["", "## Normalisation (typography, spacing)", ""] + (changes or ["- none"])
    kept = sum(1 for n in keyed if keyed[n] and n not in claims)
    audit += ["", f"{kept} paragraph lines kept as body text."]
    return Cleaned(StageDoc(metadata, blocks), audit)


def _describe(before: str, after: str) -> str:
    what = []
    if any(q in before for q in "\"'"):
        what.append("straight quotes curled")
    if after.count("\u2013") > before.count("\u2013"):
        what.append("hyphen to en dash")
    if "..." in before:
        what.append("three dots to an ellipsis")
    return ", ".join(what) or "characters normalised"
