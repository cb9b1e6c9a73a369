"""Citations a reader can tell from the authors' words.

Every citation in a reader is the editors' addition to the authors' text, and is set in
square brackets (filters/backlinks.lua): "[Charap and Shapiro 2022]", "Putin [2022]". A
citation in parentheses reads as the author's own words. In the EPUB each citeproc citation
(``span.citation``) must be bracketed; in a PDF, each citation link (to a bibliography entry,
``#ref-…``) must sit between a bracket or a separator of the same citation, as a reader sees
the page (text read with pypdfium2).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

OPENERS = "[;,"  # what may stand just before a citation's link: its bracket or a separator
CLOSERS = "];,"


def epub_citation_messages(path: Path) -> list[str]:
    """Each citeproc citation of the EPUB is in square brackets."""
    from .container import _parse_xml

    problems = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if n.endswith(".xhtml")):
            root = _parse_xml(zf.read(name))
            for span in root.iter("{http://www.w3.org/1999/xhtml}span"):
                if "citation" not in (span.get("class") or "").split():
                    continue
                text = " ".join("".join(span.itertext()).split())
                if not (text.startswith("[") and text.endswith("]")):
                    problems.append(f"{name}: citation {text!r} is not in square brackets; "
                                    "readers cannot tell it from the authors' words")
    return problems


def _chars(textpage) -> list[tuple[str, float, float, float]]:
    """(character, left, right, vertical centre) of every visible character of a page."""
    found = []
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        if char.strip():
            left, bottom, right, top = textpage.get_charbox(i)
            found.append((char, left, right, (bottom + top) / 2))
    return found


def _whole_links(found: list[tuple[int, str, list[float]]]) -> list[tuple[int, list[float]]]:
    """One rectangle per link as a reader sees it: WeasyPrint writes a link whose text has
    inline parts (a name set apart from hyphenation) as several overlapping annotations."""
    merged: list[tuple[int, str, list[float]]] = []
    for number, dest, rect in sorted(found, key=lambda f: (f[0], -f[2][1], f[2][0])):
        x1, y1, x2, y2 = min(rect[0], rect[2]), min(rect[1], rect[3]), \
            max(rect[0], rect[2]), max(rect[1], rect[3])
        if merged:
            m_number, m_dest, m = merged[-1]
            height = m[3] - m[1]
            if (m_number, m_dest) == (number, dest) and abs(m[1] - y1) < height / 3 \
                    and x1 - m[2] < height and x2 >= m[0]:  # overlapping or touching
                m[2] = max(m[2], x2)
                continue
        merged.append((number, dest, [x1, y1, x2, y2]))
    return [(number, rect) for number, _, rect in merged]


def pdf_citation_messages(path: Path) -> list[str]:
    """Each citation link of the PDF is enclosed by its square brackets on the page: the
    nearest character left of the link on its line is ``[`` (or a separator of the same
    citation), the nearest right of it ``]`` (or a separator)."""
    import pikepdf
    import pypdfium2

    problems = []
    with pikepdf.open(path) as pdf:
        found = [(number, str(annot.Dest), [float(v) for v in annot.Rect])
                 for number, page in enumerate(pdf.pages, start=1)
                 for annot in page.obj.get("/Annots", [])
                 if annot.get("/Subtype") == "/Link" and str(annot.get("/Dest", "")
                                                            ).startswith("ref-")]
    links = _whole_links(found)
    document = pypdfium2.PdfDocument(path)
    pages: dict[int, list] = {}
    try:
        for number, rect in links:
            if number not in pages:
                pages[number] = _chars(document[number - 1].get_textpage())
            left, right = min(rect[0], rect[2]), max(rect[0], rect[2])
            bottom, top = min(rect[1], rect[3]), max(rect[1], rect[3])
            band = (top - bottom) / 3  # the line's middle: no raised note call, no other line
            line = [c for c in pages[number] if bottom + band <= c[3] <= top - band]
            before = max((c for c in line if c[2] <= left + 0.5), key=lambda c: c[2],
                         default=None)
            after = min((c for c in line if c[1] >= right - 0.5), key=lambda c: c[1],
                        default=None)
            inside = "".join(c[0] for c in sorted(line, key=lambda c: c[1])
                             if left - 0.5 <= c[1] and c[2] <= right + 0.5)
            if (before and before[0] not in OPENERS) or (after and after[0] not in CLOSERS):
                seen = f"{before[0] if before else ''}{inside}{after[0] if after else ''}"
                problems.append(f"page {number}: citation “{seen}” is not in square brackets; "
                                "readers cannot tell it from the authors' words")
    finally:
        document.close()
    return problems
