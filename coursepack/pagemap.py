"""What the print layout knows and the EPUB needs: paragraph numbers in the outer margin, and
the page map (where each page's text begins).

Both read WeasyPrint's own laid-out pages (``document.pages[i]``) after its last layout pass and
before the PDF is drawn; neither lays anything out again.

* :func:`place_paragraph_numbers`. CSS puts every paragraph number in the *left* margin
  (print.css cannot say "outside": WeasyPrint has no ``float: outside`` and an element cannot
  ask which side its page is on). Here, each number on a right-hand page is moved to the right
  margin, the same distance from the text, and every number's baseline is set on its
  paragraph's first line. Moving a box changes no line and no page.
* :func:`page_map`. For each page: its number and side, its text area (PDF points), and where
  its text begins in the shared text of the body (coursepack.textstream) as (id, words after
  that id's start) plus the first words, read from the laid-out lines with running heads,
  folios, footnote areas and generated text left out. Blank pages (left empty so that a chapter
  opens on the right) are marked ``blank``; pages with text only outside ``<main>`` (title
  page, imprint, contents) have no ``anchor``. ``anchors`` gives the page of each element of
  the body that has an id (where its box begins).

The folio printed on page *i* (0-based) is *i* + 1: print.css never resets the page counter.
"""

from __future__ import annotations

from .paragraphs import PNUM_CLASS
from .textstream import build_stream, skipped

PX_TO_PT = 0.75  # CSS px -> PDF points


def _children(box) -> list:
    return list(getattr(box, "children", ()) or ())


def _is_number(box) -> bool:
    element = getattr(box, "element", None)
    return (str(getattr(box, "element_tag", "")).endswith("::before") and element is not None
            and PNUM_CLASS in (element.get("class") or "").split())


def _first_text(box):
    """The first text box inside ``box`` (depth first, numbers aside), or None."""
    for child in _children(box):
        if type(child).__name__ == "TextBox":
            return child
        if _is_number(child) and not _is_number(box):
            continue
        found = _first_text(child)
        if found is not None:
            return found
    return None


def _is_anchor(box) -> bool:
    element = getattr(box, "element", None)
    return element is not None and PNUM_CLASS in (element.get("class") or "").split()


def _first_line(box):
    """The first line box with text inside ``box`` (depth first, anchors aside), or None."""
    for child in _children(box):
        if type(child).__name__ == "LineBox":
            if _first_text(child) is not None:
                return child
        elif not _is_anchor(child) and (found := _first_line(child)) is not None:
            return found
    return None


def _numbers(box, line=None):
    """(number box, the first line of its paragraph on the page) for every paragraph number
    inside ``box``.

    The number's anchor is out of the flow (print.css positions it absolutely, for
    WeasyPrint's issue 1614): the paragraph's lines are in an anonymous block beside it, so
    the line a number stands beside is the first line with text of the block around it."""
    for child in _children(box):
        if _is_anchor(child):  # the anchor, or its number
            beside = _first_line(box) or line
            yield from ((number, beside) for number in _anchor_numbers(child))
        else:
            yield from _numbers(child, line)


def _anchor_numbers(box):
    if _is_number(box):
        yield box
        return
    for child in _children(box):
        yield from _anchor_numbers(child)


def place_paragraph_numbers(document) -> int:
    """Move each paragraph number to its page's outer margin, on its first line's baseline.

    Returns how many numbers were placed."""
    placed = 0
    for page in document.pages:
        page_box = page._page_box
        left = page_box.content_box_x()
        right = left + page_box.width
        for number, line in _numbers(page_box):
            number_text = _first_text(number)
            line_text = _first_text(line) if line is not None else None
            dy = 0.0
            if number_text is not None and line_text is not None:
                dy = ((line_text.position_y + line_text.baseline)
                      - (number_text.position_y + number_text.baseline))
            dx = 0.0
            if page_box.page_type.side == "right":  # CSS set it in the left margin: mirror it
                gap = left - (number.border_box_x() + number.border_width())
                dx = right + gap - number.border_box_x()
            number.translate(dx, dy)
            placed += 1
    return placed


_SKIPPED_BOXES = ("MarginBox", "FootnoteAreaBox", "LeaderBox")


def _main_pieces(page_box) -> tuple[list[str], bool]:
    """The text of the page's body, piece by piece in order: only inside ``<main>``, without
    generated content (``::before``, ``::after``), what the stream skips (note calls, a
    paragraph's number: textstream.skipped), margins and footnote areas.
    Also whether the page has any text at all."""
    pieces: list[str] = []
    any_text = False

    def walk(box, inside: bool) -> None:
        nonlocal any_text
        for child in _children(box):
            kind = type(child).__name__
            if kind in _SKIPPED_BOXES:
                continue
            tag = str(getattr(child, "element_tag", "") or "")
            if "::" in tag:
                continue
            element = getattr(child, "element", None)
            if kind != "TextBox" and element is not None and skipped(element):
                continue  # a note's call or body, a paragraph number: not in the stream
            if kind == "TextBox":
                any_text = any_text or bool(child.text.strip())
                if inside:
                    pieces.append(child.text)
                continue
            walk(child, inside or tag == "main")

    walk(page_box, False)
    return pieces, any_text


def _area(page_box) -> list[float]:
    """The page's text area in PDF points, origin at the bottom left: [x0, y0, x1, y1]."""
    height = page_box.margin_height()
    x0, y0 = page_box.content_box_x(), page_box.content_box_y()
    return [round(v * PX_TO_PT, 2) for v in
            (x0, height - y0 - page_box.height, x0 + page_box.width, height - y0)]


def page_map(document, edition_id: str, edition_label: str) -> dict:
    """The page map of a laid-out document (see the module docstring)."""
    from .textstream import align

    pages = [page._page_box for page in document.pages]
    root = pages[0].children[0].element  # <html>
    main = next(e for e in root.iter() if isinstance(e.tag, str)
                and e.tag.rsplit("}", 1)[-1] == "main")
    stream = build_stream(main)
    pieces = [_main_pieces(p) for p in pages]
    starts = align([p for p, _ in pieces], stream.text)
    entries = []
    for index, (page_box, start, (_, any_text)) in enumerate(zip(pages, starts, pieces,
                                                                  strict=True)):
        entry = {"page": index + 1, "side": page_box.page_type.side, "area": _area(page_box),
                 "blank": bool(page_box.page_type.blank or not any_text)}
        if start is not None:
            word = stream.word_start(start)
            anchor_id, words = stream.anchor_of(word)
            entry.update(anchor=anchor_id, words=words, first=stream.words_at(word),
                         split=word != start)
        entries.append(entry)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name in stream.ids:
                anchors.setdefault(name, index + 1)
    return {"edition": edition_id, "label": edition_label, "pages": entries,
            "anchors": dict(sorted(anchors.items()))}
