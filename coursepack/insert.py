"""Insertions into Markdown that never change its words: find text outside markup, add markup.

The annotate stage adds citations, editor's notes and glossary links to text that is already
Markdown (escaped essay text, or the editors' own Markdown). These helpers find where the
*text* is — outside links, spans, citations, footnotes, attributes, code and raw HTML — so
that a phrase is never matched inside markup, and insert strings at positions in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# What follows a closing bracket and belongs to the same construct: (url) or {attributes}.
_TRAILER = {"(": ")", "{": "}"}


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """Index just past the bracket matching ``text[start]``; escapes and nesting respected."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def markup_ranges(text: str) -> list[tuple[int, int]]:
    """Ranges of ``text`` that are markup: [..](..){..}, ^[..], {..}, `..`, <..>, [@cite]."""
    ranges: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        start = i
        if char == "^" and text[i + 1:i + 2] == "[":
            i = _closing(text, i + 1, "[", "]")
        elif char == "[":
            i = _closing(text, i, "[", "]")
            while i < len(text) and text[i] in _TRAILER:
                i = _closing(text, i, text[i], _TRAILER[text[i]])
        elif char == "{":
            i = _closing(text, i, "{", "}")
        elif char == "`":
            end = text.find("`", i + 1)
            i = len(text) if end < 0 else end + 1
        elif char == "<":
            end = text.find(">", i + 1)
            i = len(text) if end < 0 else end + 1
        else:
            i += 1
            continue
        ranges.append((start, i))
    return ranges


def text_ranges(text: str) -> list[tuple[int, int]]:
    """The complement of ``markup_ranges``: where the words are."""
    spans, at = [], 0
    for start, end in markup_ranges(text):
        if start > at:
            spans.append((at, start))
        at = end
    if at < len(text):
        spans.append((at, len(text)))
    return spans


def find_in_text(text: str, needle: str) -> list[int]:
    """Start positions of ``needle`` where it lies wholly in one stretch of text."""
    hits = []
    for start, end in text_ranges(text):
        at = text.find(needle, start, end)
        while at >= 0 and at + len(needle) <= end:
            hits.append(at)
            at = text.find(needle, at + 1, end)
    return hits


def in_text(text: str, position: int) -> bool:
    """Whether an insertion at ``position`` lands between words, not inside markup."""
    return all(not start < position < end for start, end in markup_ranges(text))


def insert_all(text: str, insertions: Iterable[tuple[int, str]]) -> str:
    """Insert strings at positions of the original text; equal positions keep their order."""
    ordered = sorted(enumerate(insertions), key=lambda item: (item[1][0], item[0]))
    out, at = [], 0
    for _, (position, piece) in ordered:
        out.append(text[at:position])
        out.append(piece)
        at = position
    out.append(text[at:])
    return "".join(out)



@dataclass(frozen=True)
class Unit:
    """One stretch of annotatable Markdown (a paragraph's body, a source note, an editorial
    line) with the anchor and label a back-link to it uses."""

    anchor: str  # the id of the paragraph or part: "greene-p3", or a part's id
    label: str  # how a back-link names it: "Greene ¶ 3", or a part's short title
    text: str
    quoted: bool = False  # a block quotation: a citation goes at its end


def occurrences(units: list[Unit], needle: str) -> list[tuple[int, int]]:
    """(unit index, position) of every occurrence of ``needle`` in the units' text."""
    return [(i, at) for i, unit in enumerate(units) for at in find_in_text(unit.text, needle)]
