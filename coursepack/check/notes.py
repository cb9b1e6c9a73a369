"""Notes as a reader meets them: in the PDF, each note on the page of its call and in order;
in the EPUB, superscript linked calls (superscript digits, or a ``sup``), numbered notes that
link back, one numbering for the book; and the same numbers and notes in every artifact.

The notes filter (filters/notes.lua) links each call to its note (``#fn-N``) and each note's
number back to its call (``#fnref-N``). In a PDF those links are link annotations and named
destinations: the page of a call is the page of its annotation, the page of a note is the
page of its destination, and the text under each link (read with pypdfium2) is the number a
reader sees there.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

CALL_DEST = re.compile(r"fn-(\d+)")  # a call links to its note
BACK_DEST = re.compile(r"fnref-(\d+)")  # a note's number links back to its call


@dataclass(frozen=True)
class PdfLink:
    number: int  # the note's number, from the destination's name
    page: int  # 1-based
    top: float  # PDF units from the page's foot: higher is nearer the top
    left: float
    shown: str  # the text under the link


@dataclass(frozen=True)
class PdfNotes:
    calls: list[PdfLink]  # in reading order
    backs: list[PdfLink]  # each note's number, linking back
    note_pages: dict[int, tuple[int, float]]  # note number -> (page, top) of its text
    texts: dict[int, str]  # note number -> the first words of its text


def _rect(annot) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in annot.Rect)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def read_pdf_notes(path: Path) -> PdfNotes:
    """Every note call, note number and note destination of a PDF."""
    import pikepdf
    import pypdfium2

    from .pdf import _named_destinations

    calls, backs = [], []
    note_pages: dict[int, tuple[int, float]] = {}
    texts: dict[int, str] = {}
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        for name, dest in _named_destinations(pdf).items():
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.get("/D")
            match = CALL_DEST.fullmatch(name)
            if match and isinstance(dest, pikepdf.Array) and len(dest) >= 4:
                page = pages.get(dest[0].objgen) if dest[0].is_indirect else None
                if page is not None:
                    note_pages[int(match.group(1))] = (page, float(dest[3]))
        annots = [(number, annot) for number, page in enumerate(pdf.pages, start=1)
                  for annot in page.obj.get("/Annots", [])
                  if annot.get("/Subtype") == "/Link" and "/Dest" in annot]
        document = pypdfium2.PdfDocument(path)
        try:
            textpages: dict[int, object] = {}
            for number, annot in annots:
                dest = str(annot.Dest)
                call, back = CALL_DEST.fullmatch(dest), BACK_DEST.fullmatch(dest)
                if not (call or back):
                    continue
                if number not in textpages:
                    textpages[number] = document[number - 1].get_textpage()
                left, bottom, right, top = _rect(annot)
                shown = textpages[number].get_text_bounded(left, bottom, right, top).strip()
                link = PdfLink(int((call or back).group(1)), number, top, left, shown)
                if call:
                    calls.append(link)
                else:
                    backs.append(link)
                    # The note's first words: the rest of its line, right of the number (the
                    # middle of the line only, so no descender of the line above is read).
                    band = (top - bottom) / 3
                    line = textpages[number].get_text_bounded(right, bottom + band, 10_000,
                                                              top - band)
                    texts[link.number] = " ".join(line.split()[:6])
        finally:
            document.close()
    calls.sort(key=lambda link: (link.page, -link.top, link.left))
    return PdfNotes(calls, backs, note_pages, texts)


def pdf_note_messages(path: Path) -> list[str]:
    """Each note on its call's page, in order there, with the number its call shows."""
    notes = read_pdf_notes(path)
    problems: list[str] = []
    numbers = [call.number for call in notes.calls]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"note calls in reading order are numbered {_run(numbers)}, "
                        "not 1, 2, 3 … in sequence")
    for call in notes.calls:
        if call.shown != str(call.number):
            problems.append(f"page {call.page}: the call linking to note {call.number} "
                            f"reads {call.shown!r}")
        where = notes.note_pages.get(call.number)
        if where is None:
            problems.append(f"note {call.number} (called on page {call.page}): its text is "
                            "nowhere in the document")
        elif where[0] != call.page:
            problems.append(f"note {call.number} is called on page {call.page} but printed "
                            f"on page {where[0]}: a footnote belongs on the page of its call")
    backs = {back.number: back for back in notes.backs}
    for call in notes.calls:
        back = backs.get(call.number)
        if back is None:
            problems.append(f"note {call.number} has no number linking back to its call")
        elif back.shown.rstrip(".") != str(call.number):
            problems.append(f"page {back.page}: note {call.number} is numbered "
                            f"{back.shown!r}")
    by_page: dict[int, list[tuple[float, int]]] = {}
    for number, (page, top) in notes.note_pages.items():
        by_page.setdefault(page, []).append((-top, number))
    for page, placed in sorted(by_page.items()):
        order = [number for _, number in sorted(placed)]
        if order != sorted(order):
            problems.append(f"page {page}: notes printed in the order {_run(order)}, not in "
                            "the order of their calls")
    return problems


def _run(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:12]))
    return shown + (" …" if len(numbers) > 12 else "")


# --- EPUB --------------------------------------------------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


@dataclass(frozen=True)
class EpubNote:
    number: int
    text: str  # the note's first words, after its number


def _spine_documents(zf: zipfile.ZipFile) -> list[tuple[str, object]]:
    """(name, parsed XHTML) of each spine item, in reading order."""
    import posixpath

    from .container import _parse_xml

    container = _parse_xml(zf.read("META-INF/container.xml"))
    opf_name = next(el.get("full-path") for el in container.iter()
                    if el.tag.endswith("rootfile"))
    opf = _parse_xml(zf.read(opf_name))
    items = {el.get("id"): el.get("href") for el in opf.iter() if el.tag.endswith("}item")}
    base = posixpath.dirname(opf_name)
    return [(posixpath.join(base, items[el.get("idref")]),
             _parse_xml(zf.read(posixpath.join(base, items[el.get("idref")]))))
            for el in opf.iter() if el.tag.endswith("}itemref") and el.get("idref") in items]


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def epub_note_messages(path: Path) -> tuple[list[str], list[EpubNote]]:
    """Calls are superscript links with role doc-noteref to a note in the book; each note
    begins with its number, a link back with role doc-backlink; one numbering, 1 … N."""
    problems: list[str] = []
    notes: list[EpubNote] = []
    calls: list[int] = []
    with zipfile.ZipFile(path) as zf:
        documents = _spine_documents(zf)
    ids = {(name, el.get("id")): el for name, root in documents for el in root.iter()
           if el.get("id")}
    for name, root in documents:
        for link in root.iter(f"{XHTML}a"):
            href = link.get("href") or ""
            is_call = (link.get("role") == "doc-noteref"
                       or "noteref" in (link.get(EPUB_TYPE) or "").split())
            if not is_call:
                continue
            shown = _text(link)
            number = shown.translate(FROM_SUPERSCRIPT)
            where = f"{name}: note call {shown!r}"
            sups = list(link.iter(f"{XHTML}sup"))
            if shown == number and not (sups and _text(sups[0]) == number):
                problems.append(f"{where} is not superscript (neither superscript digits "
                                "nor <sup>): it reads as part of the word before it")
            if link.get("role") != "doc-noteref":
                problems.append(f"{where} has no role=\"doc-noteref\"")
            target_file, _, fragment = href.partition("#")
            target = ids.get((_resolve(name, target_file), fragment))
            if target is None:
                problems.append(f"{where} links to {href!r}, which is not a note of the book")
                continue
            calls.append(int(number) if number.isdigit() else -1)
            back = next((a for a in target.iter(f"{XHTML}a")
                         if a.get("role") == "doc-backlink"), None)
            if back is None:
                problems.append(f"{where}: its note has no number linking back "
                                "(role=\"doc-backlink\")")
                continue
            if _text(back).rstrip(".") != number:
                problems.append(f"{where}: its note is numbered {_text(back)!r}")
            back_file, _, back_id = (back.get("href") or "").partition("#")
            if (_resolve(_resolve(name, target_file), back_file), back_id) != (name,
                                                                              link.get("id")):
                problems.append(f"{where}: its note's number does not link back to it")
            words = _text(target).split()[1:7]
            notes.append(EpubNote(calls[-1], " ".join(words)))
    if calls != list(range(1, len(calls) + 1)):
        problems.append(f"note calls in reading order are numbered {_run(calls)}, not one "
                        "numbering 1, 2, 3 … for the whole book")
    return problems, notes


def _resolve(source: str, href_path: str) -> str:
    import posixpath

    if not href_path:
        return source
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), href_path))


def same_numbering_messages(epub_notes: list[EpubNote], pdf: Path) -> list[str]:
    """The PDF numbers the notes as the EPUB does: same count, and note N begins with the
    same words in both."""
    pdf_notes = read_pdf_notes(pdf)
    problems = []
    if len(pdf_notes.calls) != len(epub_notes):
        problems.append(f"{len(pdf_notes.calls)} notes in the PDF, {len(epub_notes)} in the "
                        "EPUB: print and EPUB must carry the same notes")
    for note in epub_notes:
        printed = pdf_notes.texts.get(note.number, "")
        words = min(len(printed.split()), len(note.text.split()), 3)
        if words and printed.split()[:words] != note.text.split()[:words]:
            problems.append(f"note {note.number} begins “{note.text}” in the EPUB but "
                            f"“{printed}” in the PDF")
    return problems
