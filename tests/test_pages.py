"""Paragraph numbers and the EPUB's page list from the print layout (issue 12).

Small pure cases for the text stream, the page map's alignment and the markers' placement;
then the real build: each EPUB marker against the words that begin its PDF page (read from the
PDF with pypdfium2), the numbers in the PDF margins against the EPUB's, every printed "¶ n",
calibre's reading of the page list, and breaking copies that the checks must catch.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from coursepack.annotate import add_ids
from coursepack.check.pages import (
    calibre_page_list_messages,
    page_list_messages,
    paragraph_label_messages,
    paragraph_number_messages,
    same_place,
)
from coursepack.errors import ReaderError
from coursepack.markdown import StageDoc
from coursepack.pagelist import _parse, fill_references, insert_markers, locate
from coursepack.paragraphs import anchor, label
from coursepack.textstream import AlignmentError, align, build_stream

from .conftest import copy_project, doit

XHTML = "http://www.w3.org/1999/xhtml"


def xhtml(body: str):
    return _parse(f'<html xmlns="{XHTML}" xmlns:epub="http://www.idpf.org/2007/ops">'
                  f"<body>{body}</body></html>".encode())


def body_of(root):
    return next(root.iter(f"{{{XHTML}}}body"))


def serialise(root) -> str:
    from lxml import etree

    text = etree.tostring(body_of(root), encoding="unicode")
    return re.sub(r' xmlns(:\w+)?="[^"]+"', "", text)


# --- paragraph numbers ---------------------------------------------------------------------


def test_anchor_and_label_show_the_number_only_when_numbered():
    assert anchor("greene", 4, True) == '[]{#greene-p4 .pnum n="4"}'
    assert anchor("greene", 4, False) == "[]{#greene-p4}"
    assert label("Greene", 4, True) == "Greene ¶ 4"
    assert label("Greene", 4, False) == "Greene"


def test_numbering_depends_only_on_the_readings_own_paragraphs():
    blocks = ["## A heading", "First.", "> Quoted.", "::: {.embedded-post}\n> x\n:::", "Last."]
    one, paragraphs = add_ids("greene", StageDoc({"title": "T"}, blocks))
    other, _ = add_ids("greene", StageDoc({"title": "Another title", "dek": "D"}, blocks))
    assert one.blocks == other.blocks  # metadata never renumbers
    assert [p.id for p in paragraphs] == ["greene-p1", "greene-p2", "greene-p3"]
    assert one.blocks[2] == '> []{#greene-p2 .pnum n="2"}Quoted.'  # block quotations count
    unnumbered, _ = add_ids("greene", StageDoc({}, blocks), numbered=False)
    assert unnumbered.blocks[1] == "[]{#greene-p1}First."


# --- the text stream and the page map's alignment ------------------------------------------


def test_stream_leaves_out_what_one_format_adds_and_keeps_ids():
    root = xhtml('<p><span id="g-p1" class="pnum" data-n="1"></span>In a <a href="#x" '
                 'role="doc-noteref">1</a>prominent<span class="footnote">note</span> '
                 'essay</p><p id="p2">Next</p>')
    stream = build_stream(body_of(root))
    assert stream.text.split() == ["In", "a", "prominent", "essay", "Next"]
    assert stream.anchor_of(stream.resolve("g-p1", 2)) == ("g-p1", 2)
    assert stream.words_at(stream.resolve("p2", 0)) == ["Next"]


def test_align_skips_the_hyphen_that_hyphenation_added_and_keeps_real_ones():
    text = "\nsecurity and regime-security\n\nnext page"
    pages = [["secu\u2010"], ["rity and regime-", "security"], [], ["next page"]]
    starts = align(pages, text)
    assert [text[s] if s is not None else None for s in starts] == ["s", "r", None, "n"]
    with pytest.raises(AlignmentError):
        align([["secu\u2010rity"]], text)  # a hyphen inside a piece is not hyphenation's


# --- markers in the EPUB's XHTML ----------------------------------------------------------


def page_map(*entries: dict) -> dict:
    return {"label": "A4", "anchors": {"g-p2": 7}, "pages": list(entries)}


def test_markers_stand_before_the_block_or_word_that_begins_the_page():
    root = xhtml('<section id="s"><h1>Title</h1><p><span id="g-p1"/>One two three</p>'
                 '<dl><dt>a</dt><dd>b</dd><dt><dfn><span id="gloss-x">term</span></dfn></dt>'
                 '</dl></section>')
    streams = {"ch.xhtml": build_stream(body_of(root))}
    markers = locate(page_map(
        {"page": 1, "blank": False},                       # print only: no marker
        {"page": 2, "blank": True},                        # blank: with the next page
        {"page": 3, "blank": False, "anchor": "s", "words": 0, "first": ["Title"]},
        {"page": 4, "blank": False, "anchor": "g-p1", "words": 2, "first": ["three"]},
        {"page": 5, "blank": False, "anchor": "gloss-x", "words": 0, "first": ["term"]},
    ), streams)
    assert [m.page for m in markers] == [2, 3, 4, 5]
    insert_markers(root, streams["ch.xhtml"], markers)
    out = serialise(root)
    assert re.sub(r'<span epub:type="pagebreak" role="doc-pagebreak" id="page-(\d+)" '
                  r'aria-label="\1"/>', r"[\1]", out) == (
        '<body><section id="s">[2][3]<h1>Title</h1><p><span id="g-p1"/>One two [4]three</p>'
        '<dl><dt>a</dt><dd>b</dd><dt>[5]<dfn><span id="gloss-x">term</span></dfn></dt></dl>'
        '</section></body>')


def test_a_page_whose_words_the_epub_lacks_stops_the_build():
    root = xhtml('<p id="p">One two three</p>')
    streams = {"ch.xhtml": build_stream(body_of(root))}
    with pytest.raises(ReaderError, match="page 4 of the print edition begins “four”"):
        locate(page_map({"page": 4, "blank": False, "anchor": "p", "words": 1,
                         "first": ["four"]}), streams)
    with pytest.raises(ReaderError, match="#missing, which the EPUB does not have"):
        locate(page_map({"page": 4, "blank": False, "anchor": "missing", "words": 0,
                         "first": ["One"]}), streams)


def test_edition_name_and_page_reference_are_filled_from_the_page_map():
    root = xhtml('<p><a class="page-ref" href="ch2.xhtml#g-p2"/> of the '
                 '<span class="edition-name"/> edition</p>')
    assert fill_references(root, {"edition": "A4"}, {"g-p2": 7})
    assert "".join(body_of(root).itertext()) == "7 of the A4 edition"


def test_same_place_allows_a_word_split_across_the_page_break():
    assert same_place(["security,", "the", "West", "x"], ["rity,", "the", "West"])
    assert same_place(["here.)", "Indeed,", "Charap"], ["here.1)", "Indeed,", "Charap"])
    assert not same_place(["the", "West", "must"], ["security,", "the", "West"])


# --- the real build ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def a4_page_map(outputs) -> dict:
    return json.loads((outputs["dir"] / "putin-security-a4.pages.json").read_text("utf-8"))


def pdf_page_words(pdf: Path, index: int, area: list[float]) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return document[index].get_textpage().get_text_bounded(*area).split()
    finally:
        document.close()


def marker_words(epub: Path, page: int) -> list[str]:
    """The words that follow page ``page``'s marker in the EPUB, read from its XHTML."""
    with zipfile.ZipFile(epub) as book:
        for name in book.namelist():
            text = book.read(name).decode("utf-8", "replace")
            at = text.find(f'id="page-{page}"')
            if name.endswith(".xhtml") and at >= 0:
                after = text[at:].split(">", 1)[1]
                after = re.sub(r'<span class="pnum"[^>]*>\d+</span>', "", after)
                after = re.sub(r'<a [^>]*role="doc-noteref"[^>]*>.*?</a>', "", after)
                after = re.sub(r"</?(p|h\d|div|section|dt|dd|li)\b[^>]*>", " ", after)
                return re.sub(r"<[^>]+>", "", after).split()[:3]
    raise AssertionError(f"no marker for page {page}")


@pytest.mark.parametrize("page", [5, 8, 9, 12, 13, 16, 20, 27, 34])
def test_the_epub_marker_stands_before_the_first_word_of_the_pdf_page(outputs, a4_page_map,
                                                                      page):
    area = a4_page_map["pages"][page - 1]["area"]
    printed = pdf_page_words(outputs["a4"], page - 1, area)
    assert same_place(marker_words(outputs["epub"], page), printed), printed[:3]


def test_every_marker_matches_its_pdf_page_and_every_number_its_paragraph(outputs,
                                                                         a4_page_map):
    assert page_list_messages(outputs["epub"], outputs["a4"], a4_page_map) == []
    assert paragraph_number_messages(outputs["epub"], outputs["a4"], a4_page_map) == []
    assert paragraph_label_messages(outputs["epub"]) == []


def test_the_page_list_covers_the_body_and_names_its_source(outputs, a4_page_map):
    with zipfile.ZipFile(outputs["epub"]) as book:
        nav = book.read("EPUB/nav.xhtml").decode()
        opf = book.read("EPUB/content.opf").decode()
    pages = re.findall(r'<li><a href="text/ch\d+\.xhtml#page-(\d+)">\1</a></li>', nav)
    last = a4_page_map["pages"][-1]["page"]
    assert [int(p) for p in pages] == list(range(4, last + 1))  # after the contents
    assert re.search(r'<meta property="pageBreakSource">Why Putin Fights, A4 edition, '
                     r"version [\d.]+ \(urn:uuid:[0-9a-f-]+\)</meta>", opf)
    assert "pageBreakMarkers</meta>" in opf and "pageNavigation</meta>" in opf


def test_epub_numbers_are_hidden_from_screen_readers_and_links_land_beside_them(outputs):
    with zipfile.ZipFile(outputs["epub"]) as book:
        greene = book.read("EPUB/text/ch002.xhtml").decode()
    assert ('<span id="greene-p4"></span><span class="pnum" aria-hidden="true">4 </span>Rather'
            in greene)


def page_chars(pdf: Path) -> list[list[tuple[str, float, float]]]:
    """For each page, (character, x, baseline y) of every visible character, in PDF points,
    running heads and folios (the outer 19 mm) left out."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    band = 19 / 25.4 * 72
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    try:
        for page in document:
            textpage = page.get_textpage()
            x, y = ctypes.c_double(), ctypes.c_double()
            chars = []
            for i in range(textpage.count_chars()):
                char = textpage.get_text_range(i, 1)
                raw.FPDFText_GetCharOrigin(textpage.raw, i, ctypes.byref(x), ctypes.byref(y))
                if char.strip() and band < y.value < page.get_height() - band:
                    chars.append((char, x.value, round(y.value, 1)))
            pages.append(chars)
    finally:
        document.close()
    return pages


def _columns(pages) -> dict[int, tuple[float, float]]:
    """The text column of left-hand and of right-hand pages: where any letter reaches."""
    columns = {}
    for parity in (0, 1):
        xs = [x for chars in pages[parity::2] for c, x, _ in chars if not c.isdigit()]
        columns[parity] = (min(xs, default=0) - 1, max(xs, default=0) + 1)
    return columns


MARGIN_GAP = 11  # pt: a digit's origin this far outside the column is in the margin


def pdf_margin_numbers(pdf: Path) -> list[tuple[int, str, str]]:
    """(page index, side of the text column, number) for every number set outside the text
    column of its page (where its letters reach), in reading order."""
    found = []
    pages = page_chars(pdf)
    columns = _columns(pages)
    for index, chars in enumerate(pages):
        left, right = columns[index % 2]
        runs: dict[tuple[str, float], list] = {}
        for char, x, y in chars:
            # Paragraph numbers stand 5 mm off the column; list markers ("1.") touch it.
            if char.isdigit() and not left - MARGIN_GAP < x < right + MARGIN_GAP:
                runs.setdefault(("left" if x <= left else "right", y), []).append((x, char))
        for (side, _), digits in sorted(runs.items(), key=lambda item: -item[0][1]):
            found.append((index, side, "".join(c for _, c in sorted(digits))))
    return found


@pytest.mark.parametrize("edition", ["a4", "letter", "large-print"])
def test_numbers_stand_in_the_outer_margin_of_every_edition(outputs, edition):
    pdf = outputs["dir"] / f"putin-security-{edition}.pdf"
    numbers = pdf_margin_numbers(pdf)
    outer = {0: "right", 1: "left"}  # page 1 (index 0) is a right-hand page
    assert [side for index, side, _ in numbers] == [outer[i % 2] for i, _, _ in numbers]
    # Greene's 16 paragraphs, then Freedman's 38, each number once, in order.
    assert [int(n) for _, _, n in numbers] == [*range(1, 17), *range(1, 39)]


def baselines(pdf: Path) -> list[tuple[list[float], list[float]]]:
    """For each page, the baselines of the digits set outside the text column and of the
    letters (page_chars)."""
    found = []
    pages = page_chars(pdf)
    columns = _columns(pages)
    for index, chars in enumerate(pages):
        left, right = columns[index % 2]
        numbers = {y for char, x, y in chars
                   if char.isdigit() and not left - MARGIN_GAP < x < right + MARGIN_GAP}
        found.append((sorted(numbers), sorted({y for c, _, y in chars if not c.isdigit()})))
    return found


@pytest.mark.parametrize("edition", ["a4", "large-print"])
def test_each_number_stands_on_its_lines_baseline(outputs, edition):
    # Before: set at the top of its out-of-flow anchor, a number stood a third of a line
    # above the baseline of the line it numbers.
    pages = baselines(outputs["dir"] / f"putin-security-{edition}.pdf")
    off = [(index + 1, y) for index, (numbers, lines) in enumerate(pages) for y in numbers
           if not any(abs(y - line) < 0.3 for line in lines)]
    assert sum(len(numbers) for numbers, _ in pages) >= 54
    assert off == []


# --- breaking copies: the checks must fail --------------------------------------------------


def edited_epub(src: Path, dst: Path, member: str, edit) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return dst


def test_a_marker_one_word_off_is_caught(outputs, a4_page_map, tmp_path):
    marker = '<span epub:type="pagebreak" role="doc-pagebreak" id="page-12" aria-label="12"></span>'

    def move(text: str) -> str:
        at = text.index(marker)
        rest = text[at + len(marker):]
        word = rest.split(" ", 1)[0]
        return text[:at] + word + " " + marker + rest[len(word) + 1:]

    broken = edited_epub(outputs["epub"], tmp_path / "off.epub", "EPUB/text/ch003.xhtml", move)
    problems = page_list_messages(broken, outputs["a4"], a4_page_map)
    assert any(p.startswith("page 12: the PDF page begins “be reconciled to”") for p in problems)


def test_a_missing_marker_and_a_wrong_number_are_caught(outputs, a4_page_map, tmp_path):
    def edit(text: str) -> str:
        text = re.sub(r'<span epub:type="pagebreak"[^>]*id="page-8"[^>]*></span>', "", text)
        return text.replace('aria-hidden="true">4 </span>', 'aria-hidden="true">40 </span>')

    broken = edited_epub(outputs["epub"], tmp_path / "nums.epub", "EPUB/text/ch002.xhtml", edit)
    assert any("no page-break marker for page(s) [8]" in p
               for p in page_list_messages(broken, outputs["a4"], a4_page_map))
    assert paragraph_number_messages(broken, outputs["a4"], a4_page_map)
    labels = paragraph_label_messages(broken)
    assert any("Greene ¶ 4" in p and "shows ¶ 40" in p for p in labels)


def test_calibre_reads_the_page_list_and_misses_a_removed_one(outputs, tmp_path):
    if shutil.which("calibre-debug") is None:
        pytest.fail("calibre is missing: install it (.ci/run does)")
    assert calibre_page_list_messages(outputs["epub"]) == []
    broken = edited_epub(outputs["epub"], tmp_path / "ncx.epub", "EPUB/toc.ncx",
                         lambda t: re.sub(r"<pageList>.*</pageList>", "", t, flags=re.S))
    assert calibre_page_list_messages(broken)


# --- doit: the EPUB follows the layout, not the PDF task ------------------------------------


def test_the_epub_is_rebuilt_only_when_the_pages_move(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("pages") / "project")
    doit(project, "epub")
    doit(project, "forget", "pdf:a4")
    again = doit(project, "epub").stdout
    assert ".  pdf:a4" in again and "-- epub" in again  # same page map: EPUB up to date
    introduction = project / "sources" / "editorial" / "introduction.md"
    introduction.write_text(introduction.read_text(encoding="utf-8").replace(
        "The two essays collected here", "Four more lines of text push every later page "
        "start onwards: this sentence is long enough to fill them, and it says nothing at all "
        "that the introduction needs, which is why it is only in this test. The two essays "
        "collected here"), "utf-8")
    moved = doit(project, "epub").stdout
    assert ".  epub" in moved


def test_an_unknown_page_list_edition_is_named(tmp_path):
    from coursepack.config import load_reader

    project = copy_project(tmp_path / "project")
    reader = project / "reader.yaml"
    reader.write_text(reader.read_text(encoding="utf-8") + "page_list_edition: a5\n", "utf-8")
    with pytest.raises(ReaderError, match="page_list_edition: 'a5' is not an edition; use one "
                                          "of a4, letter, large-print"):
        load_reader(reader)


def test_unnumbered_reading_is_cited_without_numbers():
    from coursepack.build import _use_label

    labels = {"greene": ("Greene", False), "freedman": ("Freedman", True)}
    assert _use_label("greene-p3", labels, {}) == "Greene"
    assert _use_label("freedman-p3", labels, {}) == "Freedman ¶ 3"


def test_the_edition_label_is_escaped_into_print_css():
    from coursepack.citing import edition_name_css

    css = edition_name_css('A4 "large" \\ <x>')
    assert css == '.edition-name::before { content: "A4 \\22 large\\22  \\5c  \\3c x\\3e "; }\n'
