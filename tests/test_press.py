"""Press-grade output (issue 11): what a production editor and an accessibility reviewer check,
on the real build, and each gate of ``doit check`` failing on an artifact broken on purpose.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from weasyprint import CSS, HTML

from coursepack.check import check_pdf, format_report
from coursepack.check.notes import (
    epub_note_messages,
    pdf_note_messages,
    read_pdf_notes,
    same_numbering_messages,
)
from coursepack.config import load_reader

REPO = Path(__file__).resolve().parent.parent
READER = load_reader(REPO / "reader.yaml")
EDITIONS = [e.id for e in READER.editions]


@pytest.fixture(scope="module")
def out(built_project: Path) -> Path:
    return built_project / "build" / READER.id


def pdf_of(out: Path, edition: str) -> Path:
    return out / f"{READER.id}-{edition}.pdf"


def epub_of(out: Path) -> Path:
    return out / f"{READER.id}.epub"


def note_count(out: Path) -> int:
    return len(re.findall(r"\^\[", (out / "reader.md").read_text()))


def superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def plain_digits(text: str) -> str:
    return text.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))


def edit_epub(src: Path, dst: Path, edit) -> Path:
    """A copy of the EPUB with ``edit(name, text)`` applied to every XHTML document."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".xhtml"):
                data = edit(info.filename, data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return dst


# --- 1. footnotes on the page of their call, in order ---------------------------------------

NOTE_CSS = """
@page { size: A6; margin: 10mm; @footnote { border-top: 0.5pt solid black; } }
body { font-size: 9pt; } p { widows: 2; orphans: 2; }
.footnote { float: footnote; font-size: 7pt; }
.footnote::footnote-call, .footnote::footnote-marker { content: none; }
"""
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua. ") * 3


def call_and_note(n: int, words: int) -> str:
    """A note as filters/notes.lua writes it for print."""
    return (f'<a class="note-call" id="fnref-{n}" href="#fn-{n}">{n}</a><span class="footnote" '
            f'id="fn-{n}"><a class="note-back" href="#fnref-{n}">{n}.</a> '
            + "This is a long note. " * words + "</span>")


def tiny_pdf(path: Path, body: str, css: str = NOTE_CSS) -> Path:
    html = f'<html lang="en"><head><title>Notes</title></head><body>{body}</body></html>'
    HTML(string=html).write_pdf(path, stylesheets=[CSS(string=css)], pdf_variant="pdf/ua-1")
    return path


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_note_is_on_the_page_of_its_call_in_order(out, edition):
    pdf = pdf_of(out, edition)
    assert pdf_note_messages(pdf) == []
    notes = read_pdf_notes(pdf)
    assert [c.number for c in notes.calls] == list(range(1, note_count(out) + 1))
    assert all(notes.note_pages[c.number][0] == c.page for c in notes.calls)


def plain_weasyprint_pdf(path: Path, body: str, css: str = NOTE_CSS) -> Path:
    """``tiny_pdf`` by WeasyPrint alone, in a fresh process: this one may have been taught
    coursepack.weasyprint_rules by a build, which keep notes on their call's page."""
    html = f'<html lang="en"><head><title>Notes</title></head><body>{body}</body></html>'
    script = ("import sys; from weasyprint import CSS, HTML; HTML(string=sys.argv[1]).write_pdf("
              "sys.argv[3], stylesheets=[CSS(string=sys.argv[2])], pdf_variant='pdf/ua-1')")
    subprocess.run([sys.executable, "-c", script, html, css, str(path)], check=True)
    return path


def test_a_note_pushed_to_the_next_page_fails_the_check(tmp_path):
    # WeasyPrint alone defers note 2 (its call is near the foot of a page): exactly the defect.
    body = "".join(f"<p>{LOREM}{call_and_note(i // 3 + 1, 12) if i % 3 == 2 else ''}{LOREM}</p>"
                   for i in range(12))
    pdf = plain_weasyprint_pdf(tmp_path / "deferred.pdf", body)
    messages = pdf_note_messages(pdf)
    assert any(re.fullmatch(r"note 2 is called on page (\d+) but printed on page (\d+): a "
                            r"footnote belongs on the page of its call", m) for m in messages)
    findings = check_pdf(pdf)
    assert "notes" in {f.check for f in findings}
    assert "note 2 is called on page" in format_report(findings)


def test_notes_out_of_order_on_a_page_fail_the_check(tmp_path):
    # Notes set as ordinary blocks, the second above the first: what a reader sees.
    body = (f"<p>One{call_and_note(1, 1).split('<span')[0]} and two"
            f"{call_and_note(2, 1).split('<span')[0]}.</p>"
            '<p id="fn-2"><a href="#fnref-2">2.</a> The second note.</p>'
            '<p id="fn-1"><a href="#fnref-1">1.</a> The first note.</p>')
    messages = pdf_note_messages(tiny_pdf(tmp_path / "order.pdf", body))
    assert messages == ["page 1: notes printed in the order 2, 1, not in the order of their "
                        "calls"]


def test_a_call_that_shows_another_number_fails_the_check(tmp_path):
    body = ('<p>Text<a id="fnref-1" href="#fn-1">7</a>.</p>'
            '<p id="fn-1"><a href="#fnref-1">1.</a> The note.</p>')
    messages = pdf_note_messages(tiny_pdf(tmp_path / "number.pdf", body))
    assert messages == ["page 1: the call linking to note 1 reads '7'"]


# --- 4. EPUB notes: superscript linked calls, numbered notes linking back, one numbering ---


def test_epub_notes_are_linked_superscripts_numbered_once_for_the_book(out):
    problems, notes = epub_note_messages(epub_of(out))
    assert problems == []
    assert [n.number for n in notes] == list(range(1, note_count(out) + 1))
    with zipfile.ZipFile(epub_of(out)) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml"))
    assert 'role="doc-noteref"' in text and 'role="doc-backlink"' in text
    assert re.search(r"[a-z.)”]<a [^>]*role=\"doc-noteref\"[^>]*>[¹²³⁴⁵⁶⁷⁸⁹⁰]+</a>", text)


@pytest.mark.parametrize("edition", EDITIONS)
def test_print_and_epub_number_the_notes_alike(out, edition):
    notes = epub_note_messages(epub_of(out))[1]
    assert same_numbering_messages(notes, pdf_of(out, edition)) == []


def test_epub_notes_numbered_per_chapter_fail_the_check(out, tmp_path):
    # pandoc's own EPUB notes: the numbering restarts in each chapter.
    first = {}

    def restart(name, text):
        numbers = sorted({int(n) for n in re.findall(r'id="fnref-(\d+)"', text)})
        if numbers:
            first[name] = numbers[0]
            shift = numbers[0] - 1
            text = re.sub(r"(fn(?:ref)?-)(\d+)", lambda m: f"{m[1]}{int(m[2]) - shift}", text)
            text = re.sub(r'(role="doc-backlink"[^>]*>)(\d+)',
                          lambda m: f"{m[1]}{int(m[2]) - shift}", text)
            text = re.sub(r'(role="doc-noteref"[^>]*>)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)',
                          lambda m: m[1] + superscript(int(plain_digits(m[2])) - shift), text)
        return text

    broken = edit_epub(epub_of(out), tmp_path / "restart.epub", restart)
    problems = epub_note_messages(broken)[0]
    assert len([n for n in first.values() if n > 1]) >= 1
    assert any("not one numbering 1, 2, 3 … for the whole book" in p for p in problems)


def test_epub_calls_glued_to_words_and_notes_without_back_links_fail_the_check(out, tmp_path):
    def plain(name, text):
        text = re.sub(r'(role="doc-noteref"[^>]*>)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)',
                      lambda m: m[1] + plain_digits(m[2]), text)
        return text.replace(' role="doc-backlink"', "")

    problems = epub_note_messages(edit_epub(epub_of(out), tmp_path / "plain.epub", plain))[0]
    assert any("is not superscript" in p for p in problems)
    assert any("its note has no number linking back" in p for p in problems)


# --- 3. editorial citations visibly the editors' -------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_citation_is_in_square_brackets_in_print(out, edition):
    from coursepack.check.citations import pdf_citation_messages

    assert pdf_citation_messages(pdf_of(out, edition)) == []


def test_every_citation_is_in_square_brackets_in_the_epub(out):
    from coursepack.check.citations import epub_citation_messages

    assert epub_citation_messages(epub_of(out)) == []
    with zipfile.ZipFile(epub_of(out)) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml"))
    assert re.search(r'Here is <span class="nohyphen">Putin</span> <span[^>]*><span '
                     r'class="citation"[^>]*>\[<a [^>]*>2022</a>\]</span>', text)


def test_a_citation_in_parentheses_fails_the_check(out, tmp_path):
    from coursepack.check.citations import epub_citation_messages, pdf_citation_messages

    body = ('<p>Here is Putin (<a href="#ref-putin">2022</a>) in full flow, and Scholz '
            '[<a href="#ref-scholz">2022</a>] too.</p>'
            '<p id="ref-putin">Putin. 2022.</p><p id="ref-scholz">Scholz. 2022.</p>')
    messages = pdf_citation_messages(tiny_pdf(tmp_path / "parens.pdf", body))
    assert messages == ["page 1: citation “(2022)” is not in square brackets; readers cannot "
                        "tell it from the authors' words"]

    def parenthesise(name, text):
        return re.sub(r'(<span class="citation"[^>]*>)\[(.*?)\]</span>', r"\1(\2)</span>", text)

    broken = edit_epub(epub_of(out), tmp_path / "parens.epub", parenthesise)
    problems = epub_citation_messages(broken)
    assert problems and all("is not in square brackets" in p for p in problems)
    assert any("'(Charap and Shapiro 2022)'" in p or "'(2022)'" in p for p in problems)


# --- 10. large print, and no near-empty page ----------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_page_of_a_chapter_is_near_empty(out, edition):
    from coursepack.check.layout import near_empty_messages

    assert near_empty_messages(pdf_of(out, edition)) == []


def test_large_print_follows_large_print_guidance(out):
    from coursepack.check.layout import large_print_messages
    from coursepack.render_pdf import is_large_print

    [large] = [e for e in READER.editions if is_large_print(e)]
    assert large_print_messages(pdf_of(out, large.id), large.font_size_pt) == []


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_word_is_broken_without_a_hyphen(out, edition):
    # WeasyPrint broke names inside their no-hyphenation spans ("Fr" / "eedman", "La" /
    # "wrence" in the large-print contents) until print.css kept those spans whole.
    from coursepack.check.layout import broken_word_messages

    assert broken_word_messages(pdf_of(out, edition)) == []


def test_a_word_broken_without_a_hyphen_fails_the_check(tmp_path):
    from coursepack.check.layout import broken_word_messages

    css = "@page { size: A6; margin: 20mm 12mm; } html { font-size: 10pt; }"
    body = ("<p>Lawrence Freedman wrote it, and Freedman said so in a long sentence.</p>"
            "<p>Which report Fr<br>eedman meant is not known; in<br>to the text it goes.</p>")
    pdf = tiny_pdf(tmp_path / "broken.pdf", body, css)
    assert broken_word_messages(pdf) == [
        "page 1: “Fr” / “eedman” is “Freedman” broken without a hyphen"]
    assert "broken-words" in {f.check for f in check_pdf(pdf)}


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_line_of_a_justified_paragraph_ends_early(out, edition):
    # WeasyPrint alone set “remains” / “part” / “of his own analysis” (US Letter, question 5)
    # and “benefi-” / “ciar-” / “ies” (A4, Freedman ¶ 24) until coursepack.weasyprint_rules.
    from coursepack.check.layout import early_break_messages

    assert early_break_messages(pdf_of(out, edition)) == []


def test_a_line_ending_early_in_a_justified_paragraph_fails_the_check(tmp_path):
    from coursepack.check.layout import early_break_messages

    css = ("@page { size: A6; margin: 20mm 12mm; } html { font-size: 10pt; } "
           "p { margin: 0; text-align: justify; text-align-last: justify; }")
    # Every line ends at a forced break and is set flush, but a one-word line cannot be.
    lines = ["The security dilemma is at work", "in this account of the war; it remains",
             "part", "of his own analysis of the war", "as the essay makes it plain"]
    words = " ".join(lines)
    pdf = tiny_pdf(tmp_path / "early.pdf", f"<p>{'<br>'.join(lines)}</p>", css)
    assert early_break_messages(pdf) == [
        "page 1: the line “part” ends early, in the middle of a justified paragraph"]
    assert "early-breaks" in {f.check for f in check_pdf(pdf)}
    # A paragraph's last line, before an indented paragraph, is not ending early.
    ragged = tiny_pdf(tmp_path / "ends.pdf", f"<p>{words}</p><p style='text-indent: 1em; "
                      f"text-align-last: auto'>{words}</p>", css)
    assert early_break_messages(ragged) == []


JUSTIFIED_SMALL = """
@page { size: A5; margin: 22mm 20mm; @bottom-right { content: counter(page); font-size: 9pt; } }
html { font-size: 16pt; } p { text-align: justify; hyphens: auto; margin: 0; }
.small { font-size: 11pt; }
"""


def test_justified_hyphenated_small_large_print_fails_the_check(tmp_path):
    from coursepack.check.layout import large_print_messages

    text = ("Nevertheless the negotiations continued in spite of considerable disagreements "
            "about the terms of a settlement, and the representatives met again. ") * 12
    body = f'<p>{text}<span class="small">A small aside.</span></p>'
    pdf = tiny_pdf(tmp_path / "large.pdf", body, JUSTIFIED_SMALL)
    messages = large_print_messages(pdf, 16)
    assert any(m.startswith("text at 11 pt, below the 16 pt body size") for m in messages)
    assert any(m.startswith("text at 9 pt, below the 16 pt body size") for m in messages)
    assert any("end in a hyphenated word" in m for m in messages)
    assert any(m.startswith("text is justified:") for m in messages)
    findings = check_pdf(pdf, large_print_pt=16)
    assert "large-print" in {f.check for f in findings}


def test_a_page_with_two_lines_fails_the_check(tmp_path):
    from coursepack.check.layout import near_empty_messages

    css = "@page { size: A6; margin: 20mm 12mm; } html { font-size: 10pt; } p { margin: 0; }"
    body = ("<h1>Chapter</h1>" + "".join(f"<p>Line {i} of the chapter.</p>" for i in range(9))
            + '<p style="break-before: page">The last line but one.</p><p>The last line.</p>')
    pdf = tiny_pdf(tmp_path / "short.pdf", body, css)
    assert near_empty_messages(pdf) == ["page 2 carries only 2 lines (“The last line but "
                                        "one.”): a page of a chapter needs at least 4"]


# --- 7. credits ------------------------------------------------------------------------------


def test_the_covers_editors_line_stays_put_however_long_the_authors_line(tmp_path):
    """The "Readings by" lines are measured at the size they are set in, so a long list of
    authors grows upwards and never pushes the editors' line down towards the frame."""
    import io

    from PIL import Image

    from coursepack.cover import SIZE, cover_png

    def foot(authors: list[str]) -> bytes:
        png = cover_png("A Title", "A subtitle", ["Ann Editor"], REPO / "fonts",
                        authors=authors, by_line="Readings by {}")
        image = Image.open(io.BytesIO(png))
        return image.crop((0, SIZE[1] - 420, SIZE[0], SIZE[1])).tobytes()

    many = [f"Author Number{i} Withalongname" for i in range(14)]
    assert foot(["One Author"]) == foot(many)


def authors_and_editors() -> tuple[list[str], list[str]]:
    from coursepack.assemble import reading_authors

    return reading_authors(READER), list(READER.editors)


def test_authors_and_editors_are_credited_in_the_epub_and_every_pdf(out):
    from coursepack.check.credits import epub_credit_messages, pdf_credit_messages

    authors, editors = authors_and_editors()
    assert authors == ["Samuel A. Greene", "Lawrence Freedman"]
    assert epub_credit_messages(epub_of(out), authors, editors) == []
    for edition in EDITIONS:
        assert pdf_credit_messages(pdf_of(out, edition), authors, editors) == []


def test_editors_credited_as_authors_fail_the_check(out, tmp_path):
    from coursepack.check.credits import epub_credit_messages

    authors, editors = authors_and_editors()

    with zipfile.ZipFile(epub_of(out)) as zin, zipfile.ZipFile(tmp_path / "aut.epub", "w") as z:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".opf"):
                text = data.decode()
                text = re.sub(r"<dc:creator[^>]*>(Samuel A. Greene|Lawrence Freedman)</dc:creator>"
                              r"\s*<meta[^>]*>aut</meta>\s*", "", text)
                text = text.replace(">edt</meta>", ">aut</meta>")
                data = text.encode()
            z.writestr(info, data)
    problems = epub_credit_messages(tmp_path / "aut.epub", authors, editors)
    assert "author 'Samuel A. Greene' is not a dc:creator with role aut" in problems
    assert f"editor {editors[0]!r} is not credited with role edt" in problems
    assert f"{editors[0]!r} is a dc:creator with role aut but wrote no reading" in problems


def test_a_pdf_without_the_authors_fails_the_check(tmp_path):
    from coursepack.check.credits import pdf_credit_messages

    html = ('<html lang="en"><head><title>R</title><meta name="author" content="The Editors">'
            '</head><body><h1>R</h1><p>Edited by The Editors</p>'
            '<h1 id="contents" style="break-before: page">Contents</h1><p>Why Putin fights</p>'
            '</body></html>')
    pdf = tmp_path / "credits.pdf"
    HTML(string=html).write_pdf(pdf, pdf_variant="pdf/ua-1")
    problems = pdf_credit_messages(pdf, ["Samuel A. Greene"], ["The Editors"])
    assert "the PDF's Author field ('The Editors') does not name 'Samuel A. Greene'" in problems
    assert "the title page does not name 'Samuel A. Greene'" in problems
    assert "the contents do not name 'Samuel A. Greene'" in problems
    assert "the PDF's Author field ('The Editors') credits a placeholder" in problems


@pytest.mark.parametrize("name", ["The Course Reader Editors", "TBD", "A. Editor", "Your Name"])
def test_a_placeholder_editor_is_refused(tmp_path, name):
    from coursepack.config import load_reader as load
    from coursepack.errors import ReaderError
    from tests.conftest import copy_project

    project = copy_project(tmp_path / "project")
    reader = project / "reader.yaml"
    text = reader.read_text().replace("editors: [The coursepack project]", f"editors: [{name}]")
    assert name in text
    reader.write_text(text)
    with pytest.raises(ReaderError, match=r"reader.yaml: editors: .* is a placeholder, not a "
                       r"name"):
        load(reader)


# --- 9. EPUB accessibility claims ------------------------------------------------------------


def a11y_args():
    back = {part.id for part in READER.back_matter}
    foreign = [(f.phrase, f.lang) for r in READER.readings for f in r.foreign]
    return back, foreign


def test_the_epub_has_what_its_accessibility_metadata_claims(out):
    from coursepack.check.accessibility import epub_accessibility_messages

    back, foreign = a11y_args()
    assert foreign and back
    assert epub_accessibility_messages(epub_of(out), back, foreign) == []
    with zipfile.ZipFile(epub_of(out)) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml"))
    assert '<span lang="la">status quo ante bellum</span>' in text
    assert "<title>Why Putin fights</title>" in text


def test_file_name_titles_unmarked_phrases_and_a_bare_cover_fail_the_check(out, tmp_path):
    from coursepack.check.accessibility import epub_accessibility_messages

    def strip(name, text):
        text = re.sub(r"<title>[^<]*</title>", f"<title>{name.rsplit('/', 1)[-1]}</title>",
                      text)
        text = re.sub(r'<span lang="la">([^<]*)</span>', r"\1", text)
        text = re.sub(r' role="img" aria-label="[^"]*"', "", text)
        return text.replace('<body epub:type="backmatter">', '<body epub:type="bodymatter">')

    broken = edit_epub(epub_of(out), tmp_path / "a11y.epub", strip)
    problems = epub_accessibility_messages(broken, *a11y_args())
    assert any("its <title> is the file name 'ch002.xhtml'" in p for p in problems)
    assert any("“status quo ante bellum” is not marked as la" in p for p in problems)
    assert any("the image in an <svg> has no text alternative" in p for p in problems)
    assert any("the back matter part 'glossary' is epub:type 'bodymatter'" in p
               for p in problems)
    assert "alternativeText is declared, but not every image has a text alternative" in problems
    assert any(p.startswith("the accessibility summary does not describe this book")
               for p in problems)


# --- 11. names and dates never broken badly -------------------------------------------------


def test_names_dates_and_exceptions_are_protected_from_bad_breaks(tmp_path):
    import pypandoc

    from coursepack.pandoc import TYPOGRAPHY

    md = ("---\nnever-hyphenate: [Putin]\nhyphenation-exceptions: [nu-clear]\n---\n\n"
          "On 13 December Putin’s nuclear threat (Putin) was repeated.\n")
    out = pypandoc.convert_text(md, "html5", format="markdown",
                                extra_args=[f"--lua-filter={TYPOGRAPHY}", "--wrap=none"])
    assert "13\u00a0December" in out
    assert '<span class="nohyphen">Putin’s</span>' in out
    assert '(<span class="nohyphen">Putin)</span>' in out
    assert '<span class="nohyphen">nu\u00adclear</span>' in out


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_name_is_hyphenated_in_print(out, edition):
    import itertools
    import subprocess

    never = set(READER.never_hyphenate) | {w for a in authors_and_editors()[0] for w in a.split()}
    allowed = {e.replace("-", ""): {e[:i + 1].replace("-", "") for i, c in enumerate(e)
                                    if c == "-"} for e in READER.hyphenation_exceptions}
    lines = subprocess.run(["pdftotext", str(pdf_of(out, edition)), "-"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    bad = []
    for line, following in itertools.pairwise(lines):
        if line.endswith("\u2010") and line.split() and following.split():
            head = re.sub(r"\W", "", line.split()[-1])
            word = head + re.sub(r"\W.*", "", following.split()[0])
            if word in never or (word.lower() in allowed
                                 and head.lower() not in allowed[word.lower()]):
                bad.append(f"{line.split()[-1]}{following.split()[0]}")
    assert bad == []


@pytest.mark.parametrize(("value", "message"), [
    ("{never: [Putin 2]}", "hyphenation.never[0]: one word, letters only"),
    ("{exceptions: [nuclear]}", "hyphenation.exceptions[0]: a word with hyphens"),
])
def test_a_bad_hyphenation_entry_is_refused(tmp_path, value, message):
    from coursepack.config import load_reader as load
    from coursepack.errors import ReaderError
    from tests.conftest import copy_project

    project = copy_project(tmp_path / "project")
    reader = project / "reader.yaml"
    text = re.sub(r"hyphenation:\n(  .*\n|    .*\n)+", f"hyphenation: {value}\n",
                  reader.read_text())
    reader.write_text(text)
    with pytest.raises(ReaderError, match=re.escape(message)):
        load(reader)


# --- 5, 6. the bibliography as the citations name it, with the editors' doubts ---------------


def bibliography_entries(out: Path) -> dict[str, str]:
    import html as html_lib

    with zipfile.ZipFile(epub_of(out)) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml"))
    entries = {}
    for key, body in re.findall(r'<div id="ref-([^"]+)" class="csl-entry"[^>]*>(.*?)'
                                r'<div class="cited-at"', text, re.S):
        entries[key] = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", body)).split())
    return entries


def test_each_entry_begins_with_the_words_its_citations_use(out):
    import html as html_lib

    entries = bibliography_entries(out)
    with zipfile.ZipFile(epub_of(out)) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml"))
    cited = {(key, " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", shown)).split()))
             for key, shown in re.findall(r'<a href="[^"]*#ref-([^"]+)">(.*?)</a>', text)}
    assert len(cited) >= 20
    for key, shown in cited:
        words = re.sub(r",? (n\.d\.|\d{4}[a-z]?)$", "", shown)  # "UN Charter 1945" -> "UN Charter"
        if re.fullmatch(r"\d{4}[a-z]?", shown):
            continue  # "Putin [2022]": the essay names the author
        assert entries[key].startswith(words), (shown, entries[key][:60])
    # treaties carry their year after the heading
    assert entries["un1945charter"].startswith("UN Charter. 1945. Charter of the United Nations")
    assert entries["budapest1994memorandum"].startswith("Budapest Memorandum. 1994.")


def test_the_bibliography_prints_every_note_of_the_data_as_an_editors_note(out):
    import json

    entries = bibliography_entries(out)
    data = json.loads((REPO / "sources" / "bibliography.json").read_text())
    hedged = [item for item in data if item.get("note")]
    assert any("not known" in item["note"] for item in hedged)
    for item in hedged:
        note = " ".join(re.sub(r"<[^>]+>", "", item["note"]).split())
        assert f"[Editor’s note: {note}]" in entries[item["id"]], item["id"]
    trenin = entries["trenin2022noway"]
    assert trenin.startswith("Trenin, Dmitri. 2022. ‘[Article on the “rupture” in Russian")
    assert "MEMRI’s own headline" in trenin
