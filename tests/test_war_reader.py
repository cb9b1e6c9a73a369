"""The second example reader, War and the State, as a reader sees it: built from a copy of the
project with the real pandoc and WeasyPrint, then read back from the PDF and the EPUB.

A book, not a list of lines: real paragraphs, notes on the page of their anchor and labelled
as the translator's or author's (not the editors'), italics, Giles's commentary set apart in
smaller type, numbered sections kept, the Project Gutenberg name and licence gone.
"""

from __future__ import annotations

import re
import zipfile
from math import sqrt
from pathlib import Path

import pikepdf
import pytest

from coursepack.citations import anchor_editorial_citations
from coursepack.errors import ReaderError
from coursepack.glossary import check_readings, load_glossary

from .conftest import copy_project, doit
from .pdftext import pages_text

READER = "readers/war-and-the-state.yaml"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("war") / "project")
    doit(project, f"reader={READER}", "pdf:a4", "epub")
    return project / "build" / "war-and-the-state"


def pages(pdf: Path) -> list[str]:
    return [" ".join(page.split()) for page in pages_text(pdf)]


def test_the_pdf_has_real_paragraphs_not_lines(out):
    html = (out / "war-and-the-state-a4.html").read_text(encoding="utf-8")
    body = html[html.index('id="sun-tzu"'):html.index('id="questions-for-discussion"')]
    paragraphs = re.findall(r"<p[ >]", body)
    # Chapters I–III and Book I: about 220 paragraphs of the two files (1,086 lines).
    assert 180 < len(paragraphs) < 260
    assert "art of war is of vital importance to the State." in body


def test_notes_are_on_the_page_of_their_anchor_and_labelled_as_the_sources(out):
    text = pages(out / "war-and-the-state-a4.pdf")
    wellington = next(i for i, p in enumerate(text) if "how can you expect me to tell" in p)
    assert "Translator’s note: “Words on Wellington,” by Sir. W. Fraser." in \
        text[wellington] + text[wellington + 1]
    rousseau = next(i for i, p in enumerate(text) if "Under bad governments" in p)
    assert "Author’s note: Under bad governments" in text[rousseau]
    assert "become every one equal by convention and legal right" in text[rousseau]
    editors = next(p for p in text if "Editor’s note: So in the text as copied; read" in p)
    assert "scale fixed by they Sovereign" in editors


def test_source_notes_and_editors_notes_look_different(out):
    html = (out / "war-and-the-state-a4.html").read_text(encoding="utf-8")
    assert html.count('class="author-note-label">Author’s note:</span>') == 5
    assert html.count('class="author-note-label">Translator’s note:</span>') == 1
    # Two notes on the text, and the bibliography's two hedges (the data's notes).
    assert html.count('class="editor-note-label">Editor’s note:</span>') == 4


def font_sizes(pdf: Path, page_number: int) -> set[float]:
    """The sizes (pt) text is set in on one page: font size times the text matrices' scale."""
    with pikepdf.open(pdf) as doc:
        sizes, scale, stack, size, text_scale = set(), 1.0, [], 0.0, 1.0
        for operands, op in pikepdf.parse_content_stream(doc.pages[page_number]):
            name = str(op)
            if name == "q":
                stack.append(scale)
            elif name == "Q":
                scale = stack.pop()
            elif name in ("cm", "Tm"):
                a, b, c, d = (float(x) for x in operands[:4])
                if name == "cm":
                    scale *= sqrt(abs(a * d - b * c))
                else:
                    text_scale = sqrt(abs(a * d - b * c))
            elif name == "Tf":
                size = float(operands[1])
            elif name in ("Tj", "TJ"):
                sizes.add(round(size * scale * text_scale, 1))
        return sizes


def test_commentary_is_set_apart_in_smaller_type(out):
    pdf = out / "war-and-the-state-a4.pdf"
    text = pages(pdf)
    page = next(i for i, p in enumerate(text) if "Ts’ao Kung, in defining the meaning" in p)
    html = (out / "war-and-the-state-a4.html").read_text(encoding="utf-8")
    assert html.count('<div class="commentary" role="note">') == 59
    # Body text and commentary on one page: two sizes of the text face (10.5 and 0.88 of it).
    sizes = font_sizes(pdf, page)
    assert any(abs(s - 10.5) < 0.1 for s in sizes), sizes
    assert any(abs(s - 9.2) < 0.1 for s in sizes), sizes


def test_italics_numbered_sections_and_two_line_headings(out):
    html = (out / "war-and-the-state-a4.html").read_text(encoding="utf-8")
    assert "5, 6. <em>The Moral Law</em> causes the people" in html
    assert "<em>“Each of us puts his person and all his power in common" in html
    assert "<li>" not in html[html.index('id="sun-tzu"'):html.index('id="rousseau"')]
    assert ('<span class="heading-line">CHAPTER VI</span> '
            '<span class="heading-line">THE SOCIAL COMPACT</span>') in html


def test_the_project_gutenberg_name_and_licence_do_not_travel_with_the_texts(out):
    with zipfile.ZipFile(out / "war-and-the-state.epub") as book:
        chapters = {n: book.read(n).decode() for n in book.namelist() if n.endswith(".xhtml")}
    readings = [t for t in chapters.values() if 'id="sun-tzu"' in t or 'id="rousseau"' in t]
    assert len(readings) == 2
    for text in readings:
        assert "Gutenberg" not in text and "gutenberg.org" not in text
        assert "START OF THE PROJECT" not in text and "License" not in text
    # The permissions part says where the public-domain statement comes from.
    permissions = next(t for t in chapters.values() if 'id="permissions"' in t)
    assert "Public domain in the United States, as Project Gutenberg states" in permissions
    assert "has not been investigated" in permissions


# --- the apparatus features this reader needs --------------------------------------------------


def test_a_glossary_term_can_be_kept_to_its_reading():
    terms = load_glossary({"terms": [
        {"id": "general-will", "term": "general will", "definition": "d",
         "forms": ["general will"], "readings": ["rousseau"]},
        {"id": "leviathan", "term": "Leviathan", "definition": "d", "forms": ["Leviathan"],
         "readings": ["hobbes"]}]}, "g.yaml")
    assert terms[0].marks("rousseau") and not terms[0].marks("sun-tzu")
    with pytest.raises(ReaderError, match="readings names 'hobbes', which is not a reading"):
        check_readings(terms, {"rousseau", "sun-tzu"}, "g.yaml")


def test_the_editors_citations_get_back_link_anchors():
    text = "As Giles wrote [@giles; see @cole, p. 3], but not \\[@escaped\\]."
    marked = anchor_editorial_citations(text, "introduction", "Introduction",
                                        {"giles": {}, "cole": {}}, "intro.md")
    assert marked == ("As Giles wrote [[@giles; see @cole, p. 3]]{#cite-giles-introduction-1 "
                      ".citation-ref label=\"Introduction\"}, but not \\[@escaped\\].")
    with pytest.raises(ReaderError, match="citation key 'nobody' is not in the bibliography"):
        anchor_editorial_citations("[@nobody]", "introduction", "Introduction", {}, "intro.md")
