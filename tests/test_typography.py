"""The print and EPUB typography, checked on a real build (pandoc, WeasyPrint, pikepdf): no mocks.

The project is copied into a temporary directory and built there once per session (the
``built_project`` fixture of conftest.py), so the tests never touch the build/ people work in.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections import Counter
from math import sqrt
from pathlib import Path

import pikepdf
import pytest

from coursepack.config import load_reader
from coursepack.cover import reader_cover
from coursepack.render_pdf import MAX_HYPHENATED_RUN, is_large_print

from .pdftext import page_text

REPO = Path(__file__).resolve().parent.parent
READER = load_reader(REPO / "reader.yaml")
EDITIONS = {e.id: e for e in READER.editions}
CHAPTER = re.compile(r'<section id="([^"]+)" class="level1[^"]*"[^>]*>\s*<h1[^>]*>(.*?)</h1>',
                     re.S)


@pytest.fixture(scope="module")
def built(built_project: Path) -> Path:
    """The reader built once per session from a copy of the project (tests/conftest.py)."""
    return built_project / "build" / READER.id


def pdf_file(out: Path, edition: str) -> Path:
    return out / f"{READER.id}-{edition}.pdf"


def chapters(out: Path, edition: str) -> list[tuple[str, str]]:
    """(id, title) of every chapter, from the print HTML the PDF was typeset from."""
    text = (out / f"{READER.id}-{edition}.html").read_text()
    found = [(i, " ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).split()))
             for i, t in CHAPTER.findall(text)]
    assert len(found) >= 6
    return found


def anchor_pages(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Each named destination (an element id) -> its 1-based page number."""
    pages = {p.objgen: n for n, p in enumerate(pdf.pages, 1)}
    tree = pikepdf.NameTree(pdf.Root.Names.Dests)
    return {name: pages[dest[0].objgen] for name, dest in tree.items()}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_fonts_are_the_committed_charis_sil_and_all_embedded(built, edition):
    styles = set()
    with pikepdf.open(pdf_file(built, edition)) as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                name = str(font.BaseFont)
                assert "Charis-SIL" in name, name
                descriptor = (font.DescendantFonts[0] if "/DescendantFonts" in font
                              else font).FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                styles.add(name.split("+")[-1])
    assert {"Charis-SIL", "Charis-SIL-Bold", "Charis-SIL-Italic"} <= styles


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_pdf_is_tagged_pdf_ua_with_metadata(built, edition):
    with pikepdf.open(pdf_file(built, edition)) as pdf:
        assert str(pdf.Root.Lang) == READER.language == "en-GB"
        assert pdf.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf.Root
        info = pdf.docinfo
        assert str(info.Title) == READER.title
        # The essays' authors, then the editors as editors (issue 11: credits).
        authors = list(dict.fromkeys(a for r in READER.readings for a in r.authors))
        assert str(info.Author) == f"{', '.join(authors)}; edited by {', '.join(READER.editors)}"
        assert str(info.Subject) == READER.description  # one line: no wrapped attribute
        assert str(info.Keywords) == ", ".join(READER.keywords)
        assert str(info.CreationDate).startswith("D:20") and "/ModDate" in info
        assert "/viewport" not in info
        meta = pdf.open_metadata()
        assert meta["pdfuaid:part"] == "1"
        assert meta["dc:title"] == READER.title
        assert meta["xmp:CreateDate"].startswith("20")


def test_outline_has_every_chapter_and_its_sections(built):
    with pikepdf.open(pdf_file(built, "a4")) as pdf, pdf.open_outline() as outline:
        top = [item.title for item in outline.root]
        children = {item.title: [c.title for c in item.children] for item in outline.root}
    assert top[:2] == ["Title page", "Contents"]
    assert top[2:] == [title for _, title in chapters(built, "a4")]
    assert "Security Guarantees and Alliances" in children[top[4]]


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_contents_page_numbers_are_the_chapters_pages_and_essays_open_on_the_right(built,
                                                                                 edition):
    pdf_path = pdf_file(built, edition)
    with pikepdf.open(pdf_path) as pdf:
        pages = anchor_pages(pdf)
        contents = pages["contents"]
        text = "".join(page_text(pdf_path, n) for n in (contents, contents + 1))
    listed = {}
    for line in text.splitlines():
        m = re.match(r"^(\S.*?)\s*(?:\.\s*){3,}(\d+)$", line.strip())
        if m:
            listed.setdefault(" ".join(m[1].split()), int(m[2]))
    essays = {r.id for r in READER.readings}
    for ident, title in chapters(built, edition):
        # The essays open on a right-hand page (not in large print: no blank pages there);
        # every other chapter on the next page (issue 11: A4 had 6 blank pages of 39).
        if ident in essays and not is_large_print(EDITIONS[edition]):
            assert pages[ident] % 2 == 1, f"{title} opens on page {pages[ident]}, a left page"
        if title in listed:  # a title that wraps in the contents is checked by its page alone
            assert listed[title] == pages[ident], title
    assert sum(title in listed for _, title in chapters(built, edition)) >= 6


def test_running_heads_name_each_essay_on_its_right_pages(built):
    text = (built / f"{READER.id}-a4.html").read_text()
    essays = re.findall(r'<section id="([^"]+)" class="level1 essay"\s+data-running="([^"]+)"',
                        text)
    assert len(essays) == len(READER.readings)
    pdf_path = pdf_file(built, "a4")
    with pikepdf.open(pdf_path) as pdf:
        pages = anchor_pages(pdf)
    for ident, running in essays:
        opening = page_text(pdf_path, pages[ident]).strip().splitlines()
        assert html.unescape(running) not in opening[0]  # none on the opening page
        right = page_text(pdf_path, pages[ident] + 2).strip().splitlines()
        assert right[0].strip() == html.unescape(running)
        left = page_text(pdf_path, pages[ident] + 1).strip().splitlines()
        assert left[0].strip() == READER.title


def body_size_pt(pdf_path: Path) -> float:
    """The size (pt) most glyphs are set in: font size times the text and graphics scale."""
    glyphs: Counter[float] = Counter()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            scale, stack, size, text_scale = 1.0, [], 0.0, 1.0
            for operands, op in pikepdf.parse_content_stream(page):
                name = str(op)
                if name == "q":
                    stack.append(scale)
                elif name == "Q":
                    scale = stack.pop()
                elif name == "cm":
                    a, b, c, d = (float(x) for x in operands[:4])
                    scale *= sqrt(abs(a * d - b * c))
                elif name == "Tm":
                    a, b, c, d = (float(x) for x in operands[:4])
                    text_scale = sqrt(abs(a * d - b * c))
                elif name == "Tf":
                    size = float(operands[1])
                elif name in ("Tj", "TJ"):
                    parts = operands[0] if name == "TJ" else [operands[0]]
                    count = sum(len(bytes(p)) // 2 for p in parts if isinstance(p, pikepdf.String))
                    glyphs[round(size * scale * text_scale, 1)] += count
    return glyphs.most_common(1)[0][0]


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_body_text_is_set_at_the_editions_size(built, edition):
    size = body_size_pt(pdf_file(built, edition))
    assert size == pytest.approx(EDITIONS[edition].font_size_pt, abs=0.05)
    if edition == "large-print":
        assert size >= 16


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_no_more_than_two_consecutive_hyphenated_lines(built, edition):
    hyphenated = automatic = 0
    for number, page in enumerate(page_text(pdf_file(built, edition)).split("\f"), 1):
        run = 0
        for line in page.splitlines():
            ends = re.search(r"\w[-\u2010\u00ad]$", line.rstrip()) is not None
            run = run + 1 if ends else 0 if line.strip() else run
            hyphenated += ends
            automatic += line.rstrip().endswith("\u2010")  # WeasyPrint's own hyphen
            assert run <= MAX_HYPHENATED_RUN, f"page {number}: {line.strip()[-30:]!r}"
    if is_large_print(EDITIONS[edition]):
        assert automatic == 0  # large print is never hyphenated (issue 11)
    else:
        assert hyphenated > 0  # hyphenation is on


def test_notes_are_footnotes_in_print(built):
    text = (built / f"{READER.id}-a4.html").read_text()
    assert 'class="footnotes' not in text and "doc-endnotes" not in text
    notes = re.findall(r'<span id="fn-\d+" class="footnote">(.*?)</span>', text)
    if not notes:
        pytest.skip("the reader has no notes")
    pdf_text = " ".join(page_text(pdf_file(built, "a4")).split())
    assert "Editor’s note" in pdf_text or "Editor's note" in pdf_text


def test_cover_is_deterministic_and_in_the_epub(built):
    cover = (built / "cover.png").read_bytes()
    assert cover.startswith(b"\x89PNG") and cover == reader_cover(READER)
    with zipfile.ZipFile(built / f"{READER.id}.epub") as epub:
        first = epub.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        opf = epub.read("EPUB/content.opf").decode()
        images = [epub.read(n) for n in epub.namelist() if n.endswith(".png")]
    assert images == [cover]
    assert 'properties="cover-image"' in opf


def test_epub_package_has_the_accessibility_metadata_once(built):
    with zipfile.ZipFile(built / f"{READER.id}.epub") as epub:
        opf = epub.read("EPUB/content.opf").decode()
        nav = epub.read("EPUB/nav.xhtml").decode()
    for prop in ("schema:accessibilitySummary", "dcterms:conformsTo",
                 "schema:accessibilityHazard"):
        assert opf.count(f'property="{prop}"') == 1, prop
    assert "EPUB Accessibility 1.1 - WCAG 2.1 Level AA" in opf
    assert opf.count('<meta property="schema:accessModeSufficient">textual</meta>') == 1
    assert "<dc:language>en-GB</dc:language>" in opf
    assert 'epub:type="landmarks"' in nav and 'epub:type="toc"' in nav
