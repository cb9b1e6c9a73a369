"""The text of a PDF as a reader sees it, read with PDFium (pypdfium2, pinned in
requirements.lock) rather than poppler's pdftotext, so the tests need no system package.

Two readings of a page, as pdftotext has two modes:

* :func:`pages_text` -- the lines in the order they were drawn, as pdftotext prints them by
  default: the body's lines in reading order (margin numbers where the flow puts them), then
  the running head and the folio, which WeasyPrint draws after the body.
* :func:`page_text` / :func:`page_lines` -- the lines where they sit on the page, as
  ``pdftotext -layout`` prints them: top to bottom, pieces of text on one baseline joined left
  to right (so the running head is the first line and the folio the last).

:func:`pages_foot_text` is the text in a band at the foot of each page (pdftotext with a crop
box).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pypdfium2 as pdfium

LINE = re.compile(r"[^\r\n]+")
SAME_ROW_PT = 2.0  # pieces whose tops are closer than this sit on one line
T = TypeVar("T")


def _each_page(path: Path, read: Callable[[pdfium.PdfPage], T]) -> list[T]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [read(pdf[i]) for i in range(len(pdf))]
    finally:
        pdf.close()


def _drawn_lines(page: pdfium.PdfPage) -> list[str]:
    text = page.get_textpage().get_text_range()
    return [line.strip() for line in LINE.findall(text) if line.strip()]


def _layout_lines(page: pdfium.PdfPage) -> list[str]:
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    if len(text) != textpage.count_chars():  # a character outside the BMP: no index mapping
        raise AssertionError("text and character boxes disagree; cannot place the lines")
    pieces = []  # (top, left, text)
    for match in LINE.finditer(text):
        line = match.group()
        if not line.strip():
            continue
        first = match.start() + len(line) - len(line.lstrip())
        left, _bottom, _right, top = textpage.get_charbox(first)
        pieces.append((top, left, line.strip()))
    pieces.sort(key=lambda p: (-p[0], p[1]))
    rows: list[list[tuple[float, float, str]]] = []
    for piece in pieces:
        if rows and abs(rows[-1][0][0] - piece[0]) < SAME_ROW_PT:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return ["  ".join(p[2] for p in sorted(row, key=lambda p: p[1])) for row in rows]


def pages_text(path: Path) -> list[str]:
    """Each page's text, its lines in the order they were drawn, one per line."""
    return _each_page(path, lambda page: "".join(f"{line}\n" for line in _drawn_lines(page)))


def page_lines(path: Path, page: int) -> list[str]:
    """The lines of page ``page`` (1-based) where they sit, top to bottom."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return _layout_lines(pdf[page - 1])
    finally:
        pdf.close()


def page_text(path: Path, page: int | None = None) -> str:
    """One page's lines where they sit, or (``page`` None) every page's, separated by form
    feeds, as ``pdftotext -layout`` prints them."""
    if page is not None:
        return "".join(f"{line}\n" for line in page_lines(path, page))
    return "\f".join(_each_page(path, lambda p: "".join(f"{x}\n" for x in _layout_lines(p))))


def pages_foot_text(path: Path, height_pt: float) -> list[str]:
    """The text in the bottom ``height_pt`` points of each page (where the folio is)."""
    def foot(page: pdfium.PdfPage) -> str:
        width, _height = page.get_size()
        return page.get_textpage().get_text_bounded(0, 0, width, height_pt)

    return _each_page(path, foot)
