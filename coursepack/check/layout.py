"""The printed page as a reader sees it: no near-empty page and no word broken without a
hyphen in any edition, and large print that follows large-print guidance (UKAAF, RNIB):
ranged left, never hyphenated, nothing a reader must read below the body size.

Text is read from the PDF with pypdfium2, character by character, with its box and its size
as printed (the font size times the scale of the character's matrix). Text within
``MARGIN_MM`` of the top or bottom edge is a running head or a folio: every edition's margins
are wider (templates/edition.css.j2), so body text never lies there.
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from math import sqrt
from pathlib import Path

MARGIN_MM = 19
MIN_PAGE_LINES = 4  # a page of a chapter carries at least this many lines of text
HYPHEN = "\u2010"  # the hyphen WeasyPrint sets where it hyphenates a word (not "-")
FLUSH_SHARE = 0.4  # more of the lines than this end flush right: the text is justified
FLUSH_PT = 2.0  # a line ending this close to the longest line's end is flush
SIZE_TOLERANCE = 0.05  # pt
HEADING_SCALE = 1.4  # a line this much larger than the median line is a heading


@dataclass(frozen=True)
class Line:
    text: str
    left: float
    right: float
    centre: float  # vertical, PDF units from the page's foot
    min_size: float  # the smallest printed size of a character on the line, in pt
    small: str  # the characters printed below the line's largest size
    size: float = 0.0  # the largest printed size on the line, in pt


def _chars(textpage) -> list[tuple[str, float, float, float, float, float]]:
    """(char, left, bottom, right, top, printed size) of every visible character."""
    import pypdfium2.raw as raw

    matrix = raw.FS_MATRIX()
    found = []
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        if not char.strip():
            continue
        left, _, right, _ = textpage.get_charbox(i)
        _, bottom, _, top = textpage.get_charbox(i, loose=True)  # the font's full height
        raw.FPDFText_GetMatrix(textpage.raw, i, ctypes.byref(matrix))
        scale = sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)) or 1.0
        found.append((char, left, bottom, right, top,
                      raw.FPDFText_GetFontSize(textpage.raw, i) * scale))
    return found


def _lines(chars) -> list[Line]:
    """Characters grouped into lines (by their vertical centre), top to bottom."""
    rows: list[list] = []
    for char in sorted(chars, key=lambda c: -(c[2] + c[4]) / 2):
        centre = (char[2] + char[4]) / 2
        if rows and abs(rows[-1][0] - centre) < char[5] * 0.45:
            rows[-1][1].append(char)
        else:
            rows.append([centre, [char]])
    lines = []
    for centre, members in rows:
        members.sort(key=lambda c: c[1])
        text, last = "", None
        for c in members:
            if last is not None and c[1] - last[3] > last[5] * 0.2:
                text += " "
            text += c[0]
            last = c
        largest = max(c[5] for c in members)
        lines.append(Line(text, members[0][1], max(c[3] for c in members), centre,
                          min(c[5] for c in members),
                          "".join(c[0] for c in members if c[5] < largest - SIZE_TOLERANCE),
                          largest))
    return lines


def body_lines(path: Path) -> list[list[Line]]:
    """The lines of every page, running heads and folios left out."""
    import pypdfium2

    margin = MARGIN_MM / 25.4 * 72
    pages = []
    document = pypdfium2.PdfDocument(path)
    try:
        for page in document:
            height = page.get_height()
            chars = [c for c in _chars(page.get_textpage())
                     if c[2] > margin and c[4] < height - margin]
            pages.append(_lines(chars))
    finally:
        document.close()
    return pages


def chapter_pages(path: Path) -> set[int]:
    """The pages a top-level bookmark (a chapter, the title page, the contents) lands on."""
    import pikepdf

    from .pdf import _link_target, _named_destinations

    found = set()
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        names = _named_destinations(pdf)
        outlines = pdf.Root.get("/Outlines")
        item = outlines.get("/First") if outlines is not None else None
        while item is not None:
            dest = _link_target(item)
            if isinstance(dest, pikepdf.String | pikepdf.Name):
                dest = names.get(str(dest).lstrip("/"))
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.get("/D")
            if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].is_indirect:
                found.add(pages.get(dest[0].objgen))
            item = item.get("/Next")
    found.discard(None)
    return found


_LETTERS = re.compile(r"[^\W\d_]+")
_LAST_LETTERS = re.compile(r"([^\W\d_]+)$")


def broken_word_messages(path: Path, pages: list[list[Line]] | None = None) -> list[str]:
    """No word broken across two lines without a hyphen ("Fr" / "eedman"), which WeasyPrint
    can do when ``overflow-wrap`` allows a break inside a word it could have moved whole.

    A line's last letters and the next line's first letters are taken to be one broken word
    when together they make a word the book prints elsewhere inside a line, and one of the
    two pieces is not such a word ("in" / "to" could be two words and is let pass). A
    lower-case letter before the break and a capital after it are two words ("of" / "France":
    the text extraction may have lost a space inside a line, making "ofFrance" a word)."""
    pages = body_lines(path) if pages is None else pages
    lines = [(number, line.text.strip()) for number, page in enumerate(pages, start=1)
             for line in page]
    words: set[str] = set()
    for _, text in lines:  # words inside a line: no piece of a broken word is one
        words.update(_LETTERS.findall(" ".join(text.split()[1:-1])))
    found = []
    for (number, text), (_, following) in pairwise(lines):
        end, start = _LAST_LETTERS.search(text), _LETTERS.match(following)
        if end and start and end.group(1) + start.group(0) in words and (
                end.group(1) not in words or start.group(0) not in words) and not (
                end.group(1)[-1].islower() and start.group(0)[0].isupper()):  # "of" / "France"
            found.append(f"page {number}: “{end.group(1)}” / “{start.group(0)}” is "
                         f"“{end.group(1) + start.group(0)}” broken without a hyphen")
    return found


EARLY_SHARE = 0.6  # a line of a justified paragraph ending before this share of the measure


def early_break_messages(path: Path, pages: list[list[Line]] | None = None) -> list[str]:
    """No line of a justified paragraph ends early (“remains” / “part” / “of his own
    analysis”; “benefi-” / “ciar-” / “ies”), which WeasyPrint 70 does when a text ending in a
    space before an inline element is measured with that space (coursepack.weasyprint_rules).

    On a page of justified text, a line is taken to end early when it stops short of most of
    the measure while the line above it and the line below it, at the same size and line
    spacing, end flush with the measure, and the line below starts at its left edge (a new
    paragraph would be indented, a new list item or entry would start further left): the
    middle of a paragraph, where only a forced break could end a line. The measure's right
    edge is where most lines of the page end."""
    pages = body_lines(path) if pages is None else pages
    found = []
    for number, lines in enumerate(pages, start=1):
        prose = [line for line in lines if len(line.text.split()) >= 5]
        if not prose:
            continue
        measure = Counter(round(line.right) for line in prose).most_common(1)[0][0]
        flush = [abs(measure - line.right) < FLUSH_PT for line in lines]
        if sum(flush) <= FLUSH_SHARE * len(prose):  # ranged left: every line may end early
            continue
        for i in range(1, len(lines) - 1):
            above, line, below = lines[i - 1], lines[i], lines[i + 1]
            if (flush[i - 1] and flush[i + 1] and abs(below.left - line.left) < 1
                    and above.size == line.size == below.size
                    and abs((above.centre - line.centre) - (line.centre - below.centre)) < 1
                    and line.right - line.left < EARLY_SHARE * (measure - line.left)):
                found.append(f"page {number}: the line “{line.text.strip()[:30]}” ends early, "
                             "in the middle of a justified paragraph")
    return found


def near_empty_messages(path: Path, pages: list[list[Line]] | None = None) -> list[str]:
    """No page of a chapter carries only a line or three (a chapter's opening page may: one
    a top-level bookmark lands on, or with a line in heading size)."""
    pages = body_lines(path) if pages is None else pages
    openings = chapter_pages(path)
    # The title page and its verso (the imprint) come before the second bookmarked page.
    if len(openings) > 1:
        openings |= set(range(1, sorted(openings)[1]))
    # A page with a chapter heading (much larger than the text) opens a chapter, bookmarked
    # or not.
    sizes = sorted(line.size for page in pages for line in page)
    heading = sizes[(len(sizes) - 1) // 2] * HEADING_SCALE if sizes else 0
    openings |= {number for number, lines in enumerate(pages, start=1)
                 if any(line.size >= heading for line in lines)}
    return [f"page {number} carries only {len(lines)} line{'s' if len(lines) > 1 else ''} "
            f"(“{lines[0].text[:40]}”): a page of a chapter needs at least {MIN_PAGE_LINES}"
            for number, lines in enumerate(pages, start=1)
            if 0 < len(lines) < MIN_PAGE_LINES and number not in openings]


def large_print_messages(path: Path, body_pt: float,
                         pages: list[list[Line]] | None = None) -> list[str]:
    """Ranged left, never hyphenated, nothing below the body size (running heads, folios and
    note calls included)."""
    import pypdfium2

    problems = []
    small: dict[float, tuple[list[int], str]] = {}  # size -> (pages, characters seen)
    document = pypdfium2.PdfDocument(path)
    try:
        for number, page in enumerate(document, start=1):
            for char in _chars(page.get_textpage()):
                if char[5] < body_pt - SIZE_TOLERANCE:
                    pages_seen, text = small.setdefault(round(char[5], 1), ([], ""))
                    if number not in pages_seen:
                        pages_seen.append(number)
                    small[round(char[5], 1)] = (pages_seen, text + char[0])
    finally:
        document.close()
    for size, (pages_seen, text) in sorted(small.items()):
        sample = "".join(dict.fromkeys(text))[:16]
        problems.append(f"text at {size:g} pt, below the {body_pt:g} pt body size, on "
                        f"{len(pages_seen)} page{'s' if len(pages_seen) > 1 else ''} (first: "
                        f"page {pages_seen[0]}; characters “{sample}”)")
    pages = body_lines(path) if pages is None else pages
    hyphenated = [(number, line) for number, page in enumerate(pages, start=1)
                  for line in page if line.text.rstrip().endswith((HYPHEN, "\u00ad"))]
    if hyphenated:
        number, line = hyphenated[0]
        problems.append(f"{len(hyphenated)} line{'s' if len(hyphenated) > 1 else ''} end in a "
                        f"hyphenated word (first: page {number}, “…{line.text[-30:]}”): large "
                        "print is not hyphenated")
    flush = total = 0
    for page in pages:
        prose = [line for line in page if len(line.text.split()) >= 5]
        if len(prose) < 3:
            continue
        measure = max(line.right for line in prose)
        total += len(prose)
        flush += sum(measure - line.right < FLUSH_PT for line in prose)
    if total and flush / total > FLUSH_SHARE:
        problems.append(f"text is justified: {flush} of {total} lines end flush with the right "
                        "margin; large print is ranged left, with even word spaces")
    return problems
