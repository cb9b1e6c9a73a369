"""The shared text of the print HTML and the EPUB, as one string with positions of ids and words.

The print edition and the EPUB are made from one Markdown document, so their words are the same
except for what each format adds of its own: the print edition's footnote bodies (moved to the
page foot) and the EPUB's note references and endnotes, paragraph numbers, page-break markers,
and the few spans one format fills differently (the edition's name, a page number). A
:class:`Stream` is the text of an element tree with those left out (:func:`skipped`), block
boundaries as line breaks, the position where each element with an ``id`` begins, and where each
of its text nodes lies, so that a position can be found again in the tree.

A *word* is a run of non-space characters: ``regime-security`` and ``(2022)`` are one word each.
Positions are exchanged between formats as (id, number of words from the id's start).
Pure functions over ElementTree-like trees (the stdlib's, lxml's); no I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# Elements whose text is not shared by the print edition and the EPUB (see module docstring).
# A chapter heading's author (``chapter-author``) is hidden in both, shown only in the
# contents and the bookmarks, so no laid-out line has it.
SKIPPED_CLASSES = frozenset({"footnote", "footnotes", "footnote-ref", "pnum", "page-ref",
                             "edition-name", "chapter-author"})
SKIPPED_ROLES = frozenset({"doc-noteref", "doc-pagebreak", "doc-endnotes", "doc-footnote"})
SKIPPED_TYPES = frozenset({"pagebreak", "footnote", "footnotes", "endnotes", "noteref"})
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
# Elements that start on a line of their own (a word never runs across their edges).
BLOCKS = frozenset({"address", "article", "aside", "blockquote", "body", "br", "caption", "dd",
                    "details", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2",
                    "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
                    "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})
SOFT_HYPHEN = "\u00ad"


def local(tag: object) -> str:
    """``{namespace}p`` -> ``p``; comments and processing instructions -> ""."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def skipped(element) -> bool:
    """Whether an element's text (not its tail) belongs to one format only."""
    classes = set((element.get("class") or "").split())
    kinds = set((element.get(EPUB_TYPE) or element.get("epub:type") or "").split())
    return bool(classes & SKIPPED_CLASSES or (element.get("role") or "") in SKIPPED_ROLES
                or kinds & SKIPPED_TYPES)


@dataclass(frozen=True)
class Segment:
    """One text node in the stream: ``element.text`` or ``element.tail``."""

    start: int
    end: int
    element: object
    attr: str  # "text" or "tail"


@dataclass
class Stream:
    text: str
    segments: list[Segment]
    ids: dict[str, int]  # id -> position where its element begins
    blocks: list[tuple[int, object]] = field(default_factory=list)  # (first position, element)
    _id_positions: list[tuple[int, int, str]] = field(default_factory=list)
    _words: list[int] | None = None

    @property
    def word_starts(self) -> list[int]:
        if self._words is None:
            t = self.text
            self._words = [i for i, c in enumerate(t)
                           if not c.isspace() and (i == 0 or t[i - 1].isspace())]
        return self._words

    def word_start(self, position: int) -> int:
        """The start of the word that contains ``position`` (a non-space character)."""
        while position > 0 and not self.text[position - 1].isspace():
            position -= 1
        return position

    def words_at(self, position: int, count: int = 3) -> list[str]:
        """The ``count`` words from ``position`` on."""
        return self.text[position:].split()[:count]

    def anchor_of(self, position: int) -> tuple[str, int]:
        """(id, words from that id's start) for the word starting at ``position``: the id is
        the last one to begin at or before it (the outermost of several at one place)."""
        i = bisect.bisect_right(self._id_positions, (position, len(self._id_positions), ""))
        if i == 0:
            raise ValueError(f"no element with an id before position {position}")
        at = self._id_positions[i - 1][0]
        same = [entry for entry in self._id_positions[:i] if entry[0] == at]
        anchor_id = min(same)[2]
        starts = self.word_starts
        return anchor_id, bisect.bisect_left(starts, position) - bisect.bisect_left(starts, at)

    def resolve(self, anchor_id: str, words: int) -> int:
        """The position of the word ``words`` words after the start of element ``anchor_id``."""
        starts = self.word_starts
        i = bisect.bisect_left(starts, self.ids[anchor_id]) + words
        if i >= len(starts):
            raise ValueError(f"fewer than {words + 1} words after #{anchor_id}")
        return starts[i]

    def segment_at(self, position: int) -> tuple[Segment, int]:
        """The text node holding ``position`` and the offset in it."""
        i = bisect.bisect_right([s.start for s in self.segments], position) - 1
        segment = self.segments[i]
        if not segment.start <= position < segment.end:
            raise ValueError(f"position {position} is in no text node")
        return segment, position - segment.start


def build_stream(root, skip: Callable[[object], bool] = skipped) -> Stream:
    """The shared text of ``root`` and its descendants (see the module docstring)."""
    parts: list[str] = []
    segments: list[Segment] = []
    ids: dict[str, int] = {}
    blocks: list[tuple[int, object]] = []
    order: list[tuple[int, int, str]] = []
    length = 0

    def add(text: str | None, element=None, attr: str = "") -> None:
        nonlocal length
        if not text:
            return
        if element is not None:
            segments.append(Segment(length, length + len(text), element, attr))
        parts.append(text)
        length += len(text)

    def visit(element) -> None:
        name = local(element.tag)
        if not name:
            return
        if skip(element):  # its text is left out, but its id still marks a place
            name = "span"
        block = name in BLOCKS
        if block:
            add("\n")
            blocks.append((length, element))
        if element.get("id") and element.get("id") not in ids:
            ids[element.get("id")] = length
            order.append((length, len(order), element.get("id")))
        if skip(element):
            return
        add(element.text, element, "text")
        for child in element:
            visit(child)
            add(child.tail, child, "tail")
        if block:
            add("\n")

    visit(root)
    text = "".join(parts)
    stream = Stream(text, segments, ids, blocks)
    stream._id_positions = sorted(order)
    return stream


class AlignmentError(ValueError):
    """The laid-out text and the document's text differ (a bug, never a user's mistake)."""


def align(pages: list[list[str]], text: str, hyphens: str = "\u2010-") -> list[int | None]:
    """Where each page's text begins in ``text``: the laid-out pieces of text of each page, in
    order, are matched character by character against the document's text (spaces aside).

    A hyphen that ends a piece and is not in the text was added by hyphenation: it is skipped.
    A page with no text gets None.
    """
    starts: list[int | None] = []
    j, n = 0, len(text)
    for number, pieces in enumerate(pages, 1):
        first = None
        for piece in pieces:
            chars = piece.replace(SOFT_HYPHEN, "").rstrip()
            for k, char in enumerate(chars):
                if char.isspace():
                    continue
                while j < n and (text[j].isspace() or text[j] == SOFT_HYPHEN):
                    j += 1
                if j < n and text[j] == char:
                    if first is None:
                        first = j
                    j += 1
                elif char in hyphens and k == len(chars) - 1:
                    continue  # the hyphen hyphenation added at the end of a line
                else:
                    raise AlignmentError(
                        f"page {number}: laid-out text {piece[max(0, k - 20):k + 20]!r} "
                        f"differs from the document's {text[max(0, j - 20):j + 20]!r}")
        starts.append(first)
    return starts


def iter_words(stream: Stream, start: int) -> Iterator[int]:
    """The word starts from ``start`` on."""
    starts = stream.word_starts
    yield from starts[bisect.bisect_left(starts, start):]
