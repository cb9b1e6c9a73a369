"""The text of a PDF as a reader sees it, read with PDFium (pypdfium2, pinned in
requirements.lock) rather than poppler's pdftotext, so the tests need no system package.

PDFium gives a page's lines in the order they were drawn (WeasyPrint draws the running head
and the folio after the body); :func:`page_lines` puts them in reading order instead: top to
bottom, and pieces of text on one baseline joined left to right, as ``pdftotext -layout``
does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium

LINE = re.compile(r"[^\r\n]+")
SAME_ROW_PT = 2.0  # pieces whose tops are closer than this sit on one line


def _page_lines(page: pdfium.PdfPage) -> list[str]:
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    if len(text) != textpage.count_chars():  # a character outside the BMP: no index mapping
        raise AssertionError("text and character boxes disagree; cannot order the lines")
    pieces = []  # (top, left, text)
    for match in LINE.finditer(text):
        if not match.group().strip():
            continue
        first = match.start() + len(match.group()) - len(match.group().lstrip())
        left, _bottom, _right, top = textpage.get_charbox(first)
        pieces.append((top, left, match.group().strip()))
    pieces.sort(key=lambda p: (-p[0], p[1]))
    rows: list[list[tuple[float, float, str]]] = []
    for piece in pieces:
        if rows and abs(rows[-1][0][0] - piece[0]) < SAME_ROW_PT:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return ["  ".join(p[2] for p in sorted(row, key=lambda p: p[1])) for row in rows]


def page_lines(path: Path, page: int) -> list[str]:
    """The lines of page ``page`` (1-based), top to bottom."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return _page_lines(pdf[page - 1])
    finally:
        pdf.close()


def pages_text(path: Path) -> list[str]:
    """Each page's text, its lines top to bottom, one per line."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return ["\n".join(_page_lines(pdf[i])) + "\n" for i in range(len(pdf))]
    finally:
        pdf.close()


def page_text(path: Path, page: int | None = None) -> str:
    """One page's text, or (``page`` None) every page's, separated by form feeds, as
    ``pdftotext -layout`` prints them."""
    if page is not None:
        return "\n".join(page_lines(path, page)) + "\n"
    return "\f".join(pages_text(path))
