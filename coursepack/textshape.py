"""Text shapes and source conventions: how a raw text is laid out and marked up.

A reading declares its *shape*: ``lines`` (web copy: one paragraph per line) or
``paragraphs`` (books, PDFs: hard-wrapped lines, a blank line between paragraphs, which are
joined here). It may declare the source's *markup*: the characters that wrap italic and bold
words (``_italic_``, ``=bold=``) and how it writes an em dash (``--``), and its *notes*:
``[n]`` anchors whose note blocks start with the same ``[n]``. Only what is declared becomes
markup; everything else is escaped and appears literally. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .textnorm import (
    EM_CLOSE,
    EM_DASH,
    EM_OPEN,
    NOTE_CALL,
    STRONG_CLOSE,
    STRONG_OPEN,
    curl_quotes,
    escape_markdown,
    normalise_space,
    proper_dashes,
)

SHAPES = ("lines", "paragraphs")
DELIMITERS = ("_", "*", "=", "/", "+", "~")
EM_DASH_FORMS = ("--",)

# A note anchor in running text: "[12]", with the space before it (the call takes its place).
NOTE_ANCHOR = re.compile(r" ?\[(\d{1,4})\]")
# How a source writes its note blocks: "[12] The note's text" (the anchor repeated), or
# "[Footnote 12: The note's text]" (Distributed Proofreaders' texts), which may run over
# several paragraphs until its closing bracket.
NOTE_FORMS = ("[n] text", "[Footnote n: text]")
_NOTE_OPENERS = {
    "[n] text": re.compile(r"^\[(\d{1,4})\]\s+(\S.*)$", re.S),
    "[Footnote n: text]": re.compile(r"^\[Footnote (\d{1,4}):\s*(.*)$", re.S),
}


def note_block(text: str, form: str = NOTE_FORMS[0]) -> tuple[str, str, bool] | None:
    """(number, note text, whether it is complete) when ``text`` opens a note block."""
    match = _NOTE_OPENERS[form].match(text)
    if not match:
        return None
    number, body = match.groups()
    if form == "[Footnote n: text]":
        closed = body.endswith("]")
        return number, body[:-1].rstrip() if closed else body, closed
    return number, body, True


@dataclass(frozen=True)
class Markup:
    """The source's inline conventions, as declared in the reading's ``markup:``."""

    italic: str | None = None
    bold: str | None = None
    em_dash: str | None = None

    def __bool__(self) -> bool:
        return any((self.italic, self.bold, self.em_dash))


@dataclass(frozen=True)
class Unit:
    """What rules select: one line (shape ``lines``) or one paragraph (``paragraphs``)."""

    first: int  # raw line numbers, 1-based
    last: int
    text: str  # space-normalised; a paragraph's lines joined

    @property
    def where(self) -> str:
        return f"line {self.first}" if self.first == self.last else \
            f"lines {self.first}–{self.last}"


def join_wrapped(lines: Sequence[str], hyphenated: bool = False) -> str:
    """Join the (space-normalised) lines of a hard-wrapped paragraph.

    Lines are joined with a space. A line that ends in a hyphen or dash attached to a word
    ("self-", "terms--") runs on without one. With ``hyphenated`` (the source breaks words
    at line ends), "coun-" + "try" joins as "country".
    """
    out = ""
    for line in lines:
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and len(out) > 1 and out[-2] != " ":
            if hyphenated and out[-2].isalpha() and line[0].islower():
                out = out[:-1] + line
            else:
                out += line
        else:
            out += " " + line
    return out


def split_units(raw_lines: Sequence[str], shape: str = "lines", hyphenated: bool = False,
                skip: frozenset[int] = frozenset()) -> list[Unit]:
    """The raw text's units: every non-blank line, or every run of non-blank lines.

    Lines numbered in ``skip`` (dropped before joining: a page number inside a paragraph)
    are left out, and the lines on either side of them join as if they were not there.
    """
    keyed = [normalise_space(line) for line in raw_lines]
    units: list[Unit] = []
    if shape == "lines":
        return [Unit(n, n, text) for n, text in enumerate(keyed, start=1)
                if text and n not in skip]
    run: list[int] = []
    for n, text in enumerate([*keyed, ""], start=1):
        if n in skip:
            continue
        if text:
            run.append(n)
        elif run:
            units.append(Unit(run[0], run[-1],
                              join_wrapped([keyed[i - 1] for i in run], hyphenated)))
            run = []
    return units


def _span_pattern(delimiter: str) -> re.Pattern[str]:
    """A delimited span: opened before a non-space, closed after one, not inside a word."""
    d = re.escape(delimiter)
    return re.compile(rf"(?<![\w{d}]){d}(?=[^\s{d}])(.+?)(?<=[^\s{d}]){d}(?![\w{d}])", re.S)


@dataclass
class MarkupCount:
    """What the markup mapping did, for the audit."""

    italic: int = 0
    bold: int = 0
    em_dash: int = 0
    literal: list[str] | None = None  # delimiters left unmatched, kept as text


def mark_spans(text: str, markup: Markup, count: MarkupCount | None = None) -> str:
    """Replace declared delimiters by internal emphasis marks (see textnorm)."""
    if markup.em_dash:
        if count is not None:
            count.em_dash += text.count(markup.em_dash)
        text = text.replace("---", EM_DASH).replace(markup.em_dash, EM_DASH)
    for kind, delimiter, opening, closing in (("bold", markup.bold, STRONG_OPEN, STRONG_CLOSE),
                                              ("italic", markup.italic, EM_OPEN, EM_CLOSE)):
        if not delimiter:
            continue
        text, n = _span_pattern(delimiter).subn(lambda m, o=opening, c=closing:
                                                 o + m.group(1) + c, text)
        if count is not None:
            setattr(count, kind, getattr(count, kind) + n)
            if delimiter in text:
                count.literal = [*(count.literal or []), delimiter]
    return text


def inline_markdown(text: str, markup: Markup = Markup(),
                    footnotes: Sequence[str] | None = None,
                    count: MarkupCount | None = None) -> str:
    """A unit's text as escaped Markdown with the declared markup made real.

    ``footnotes``: Markdown notes (``^[…]``) that replace the text's ``[n]`` anchors, in
    order; None leaves anchors as text. The text must already be space-normalised.
    """
    if footnotes is not None:
        text, n = NOTE_ANCHOR.subn(NOTE_CALL, text)
        if n != len(footnotes):
            raise ValueError(f"{n} note anchors but {len(footnotes)} notes")
    text = mark_spans(text, markup, count)
    text = escape_markdown(proper_dashes(curl_quotes(text)))
    text = (text.replace(STRONG_OPEN, "**").replace(STRONG_CLOSE, "**")
            .replace(EM_OPEN, "*").replace(EM_CLOSE, "*"))
    for note in footnotes or ():
        text = text.replace(NOTE_CALL, note, 1)
    return text


def plain_text(text: str, markup: Markup = Markup()) -> str:
    """A unit's text with declared delimiters removed (for metadata and notes' audit)."""
    text = mark_spans(text, markup)
    for mark in (EM_OPEN, EM_CLOSE, STRONG_OPEN, STRONG_CLOSE):
        text = text.replace(mark, "")
    return text
