"""The apparatus: citations, editor's notes and the glossary, as functions and in the outputs.

Unit tests call the pure insertion functions; the end-to-end tests read the EPUB and the A4
PDF of a private build (``built_project`` in conftest.py, real pandoc and WeasyPrint).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from coursepack.check.runtimes import _java, epubcheck_jar
from coursepack.citations import (
    CITATION,
    check_all_cited,
    cited_keys,
    load_bibliography,
    place_citations,
)
from coursepack.config import Citation
from coursepack.errors import ReaderError
from coursepack.glossary import (
    Term,
    check_coverage,
    collect_uses,
    glossary_markdown,
    load_glossary,
    mark_editorial,
    mark_terms,
)
from coursepack.insert import Unit, find_in_text, markup_ranges
from coursepack.notes import Note, load_notes, place_notes

from .pdftext import pages_foot_text, pages_text

REPO = Path(__file__).resolve().parent.parent
BIB = {"charap": {"id": "charap", "author": [{"family": "Charap"}, {"family": "Shapiro"}]},
       "un": {"id": "un", "author": [{"literal": "United Nations"}]},
       "deyermond": {"id": "deyermond", "author": [{"family": "Deyermond"}]}}
TERMS = (Term("escalation", "escalation", "More war.", ("escalation",)),
         Term("de-escalation", "de-escalation", "Less war.", ("de-escalation",)),
         Term("security-guarantee", "security guarantee", "A promise.",
              ("security guarantee", "security guarantees")),
         Term("regime-security", "regime security", "The ruler's safety.", ("regime security",)))


def strip_apparatus(text: str) -> str:
    """Undo every insertion: citations, notes and glossary links (to compare with the input)."""
    text = re.sub(" " + CITATION.pattern, "", text)
    text = re.sub(r"\^\[\[\[Editor’s note:\]\{\.editor-note-label\} [^\]]*\]\{#note-[^}]*\}\]",
                  "", text)
    return re.sub(r"\[([^\]]*)\]\(#gloss-[a-z0-9-]+\)\{[^}]*\}", r"\1", text)


def units(*texts: str) -> list[Unit]:
    return [Unit(f"greene-p{i}", f"Greene ¶ {i}", t) for i, t in enumerate(texts, 1)]


# --------------------------------------------------------------------------- insertion

def test_markup_is_never_text():
    text = r"A [link](#x){.c} and [[@key]]{#cite-1} and ^[a note] and \[escaped\] text"
    kinds = [text[s:e] for s, e in markup_ranges(text)]
    assert kinds == ["[link](#x){.c}", "[[@key]]{#cite-1}", "^[a note]"]
    assert find_in_text(text, "link") == []
    assert find_in_text(text, "escaped") == [text.index("escaped")]


# --------------------------------------------------------------------------- citations

def test_author_named_in_the_phrase_gets_the_year_after_the_name():
    rules = (Citation("Sam Charap and Jeremy Shapiro argue", "charap"),)
    [out] = place_citations(units("Sam Charap and Jeremy Shapiro argue that talks help."),
                            rules, BIB, "greene.yaml")
    assert out.text.startswith("Sam Charap and Jeremy Shapiro [[-@charap]]"
                               "{#cite-charap-greene-p1 .citation-ref label=\"Greene ¶ 1\"} argue")


def test_unnamed_work_is_cited_right_after_the_words_naming_it_and_words_are_unchanged():
    text = "They were made in the Charter of the United Nations, and ignored. Next sentence."
    rules = (Citation("in the Charter of the United Nations", "un"),)
    [out] = place_citations(units(text), rules, BIB, "f.yaml")
    assert "the Charter of the United Nations [[@un]]{#cite-un-greene-p1" in out.text
    assert strip_apparatus(out.text) == text


def test_a_work_named_inside_someone_elses_quotation_is_cited_there_not_after_it():
    # The memorandum's words name the Charter: a citation after the quotation would credit
    # the memorandum's words to the Charter.
    text = ("It reads: “none of their weapons will ever be used except in accordance with the "
            "Charter of the United Nations.” And more.")
    [out] = place_citations(units(text), (Citation("the Charter of the United Nations", "un"),),
                            BIB, "f.yaml")
    assert "Charter of the United Nations [[@un]]{#cite-un-greene-p1" in out.text
    assert "Nations.” [[@un]]" not in out.text
    assert strip_apparatus(out.text) == text


def test_a_phrase_opening_a_quotation_cites_the_work_after_the_quotation():
    text = "It offers this guarantee: “if an Ally is attacked, all will help.” Others differ."
    [out] = place_citations(units(text), (Citation("“if an Ally is attacked", "un"),),
                            BIB, "f.yaml")
    assert "all will help.” [[@un]]{#cite-un-greene-p1" in out.text
    assert strip_apparatus(out.text) == text


def test_a_work_is_cited_once_per_paragraph_and_same_point_citations_merge():
    text = "Charap and Shapiro worry; Deyermond disagrees with Charap and Shapiro."
    rules = (Citation("Charap and Shapiro worry", "charap"),
             Citation("Deyermond disagrees with Charap and Shapiro", "charap"),
             Citation("Deyermond disagrees", "deyermond"))
    [out] = place_citations(units(text), rules, BIB, "g.yaml")
    assert cited_keys(out.text) == {"charap", "deyermond"}
    assert out.text.count("@charap") == 1
    assert strip_apparatus(out.text) == text


def test_a_citation_in_a_block_quotation_goes_at_its_end():
    quote = Unit("greene-p2", "Greene ¶ 2", "“Charap and Shapiro are wrong. Quite wrong.”",
                 quoted=True)
    [out] = place_citations([quote], (Citation("Quite wrong", "deyermond"),), BIB, "g.yaml")
    assert out.text.endswith("wrong.” [[@deyermond]]{#cite-deyermond-greene-p2 "
                             ".citation-ref label=\"Greene ¶ 2\"}")


@pytest.mark.parametrize(("rule", "message"), [
    (Citation("talks help", "nokey"), "citation key 'nokey' is not in the bibliography"),
    (Citation("words that are absent", "charap"), "is not in the text"),
    (Citation("help", "charap"), "occurs 2 times"),
])
def test_citation_errors_name_the_key_and_the_file(rule, message):
    with pytest.raises(ReaderError) as exc:
        place_citations(units("talks help.", "They help."), (rule,), BIB, "sources/g.yaml")
    assert message in str(exc.value)
    assert "sources/g.yaml" in str(exc.value)


def test_an_entry_cited_nowhere_is_an_error_naming_it():
    with pytest.raises(ReaderError, match=r"bibliography.json: entry 'un' is cited nowhere"):
        check_all_cited(BIB, {"charap", "deyermond"}, "bibliography.json")
    with pytest.raises(ReaderError, match="two items have the id 'x'"):
        load_bibliography([{"id": "x"}, {"id": "x"}], "bibliography.json")


# --------------------------------------------------------------------------- editor's notes

def test_a_note_follows_its_phrase_and_any_citation_placed_there():
    note = Note("n1", "greene", "the Budapest memorandum", "Signed on 5 December 1994.")
    text = "It is worth noting the Budapest memorandum. In it."
    [cited] = place_citations(units(text), (Citation("the Budapest memorandum", "un"),),
                              BIB, "f.yaml")
    [out] = place_notes([cited], (note,), "notes.yaml")
    assert re.search(r"\.citation-ref [^}]*\}\^\[\[\[Editor’s note:\]\{\.editor-note-label\} "
                     r"Signed on 5 December 1994\.\]\{#note-n1 \.editor-note\}\]\.", out.text)
    assert strip_apparatus(out.text) == text


def test_a_note_whose_phrase_is_missing_is_an_error():
    note = Note("n1", "greene", "absent words", "x")
    with pytest.raises(ReaderError, match=r"notes.yaml: note 'n1': phrase “absent words” is not"):
        place_notes(units("Some text."), (note,), "notes.yaml")


def test_the_notes_file_loads():
    data = yaml.safe_load((REPO / "sources" / "editor-notes.yaml").read_text(encoding="utf-8"))
    assert len(load_notes(data, "editor-notes.yaml")) == 12


# --------------------------------------------------------------------------- glossary

def test_longest_form_wins_and_only_the_first_use_is_linked():
    text = "We seek de-escalation, not escalation; escalation again. Security guarantees."
    [out] = mark_terms(units(text), TERMS)
    assert "[de-escalation](#gloss-de-escalation){#use-de-escalation-greene-p1 .glossref}" \
        in out.text
    assert "not [escalation](#gloss-escalation)" in out.text
    assert out.text.count("#gloss-escalation") == 1
    assert "[Security guarantees](#gloss-security-guarantee)" in out.text
    assert strip_apparatus(out.text) == text


def test_first_use_is_per_section_and_markup_is_skipped():
    first = "A citation [[@charap]]{#cite-x} on [regime security](#y) and escalation."
    outs = mark_terms(units(first, "escalation and regime security"), TERMS)
    assert "[regime security](#y)" in outs[0].text  # an existing link is left alone
    assert "{#use-escalation-greene-p1 .glossref}" in outs[0].text
    assert "{#use-regime-security-greene-p2 .glossref}" in outs[1].text
    assert "#gloss-escalation" not in outs[1].text
    assert [u[:2] for u in collect_uses(outs[0].text + outs[1].text)] == [
        ("escalation", "use-escalation-greene-p1"),
        ("regime-security", "use-regime-security-greene-p2")]


def test_editorial_headings_and_passage_spans_are_not_marked():
    text = ("## Regime security\n\nSee [regime security]{.passage reading=\"g\" quote=\"q\"}."
            "\n\nThen regime security.")
    out = mark_editorial(text, TERMS, "introduction", "Introduction")
    assert out.startswith("## Regime security\n\nSee [regime security]{.passage")
    assert "Then [regime security](#gloss-regime-security){#use-regime-security-introduction" \
        in out


@given(st.lists(st.sampled_from(["de-escalation", "escalation", "regime", "security",
                                 "guarantees", "the", "war,", "[[@k]]{#c}", "\\[x\\]", "—",
                                 "Security guarantee."]), max_size=30))
@settings(max_examples=200, deadline=None)
def test_marking_never_changes_the_words(tokens):
    text = " ".join(tokens)
    [out] = mark_terms(units(text), TERMS)
    assert strip_apparatus(out.text) == text


@pytest.mark.parametrize(("terms", "message"), [
    ([{"id": "a", "term": "A", "definition": "d", "forms": ["x"]},
      {"id": "b", "term": "a", "definition": "d", "forms": ["y"]}], "duplicate term 'a'"),
    ([{"id": "a", "term": "A", "definition": "d", "forms": ["x"]},
      {"id": "b", "term": "B", "definition": "d", "forms": ["X"]}], "duplicate form 'x'"),
    ([{"id": "a", "term": "A", "definition": "d", "forms": ["x"], "see_also": ["zz"]}],
     "see_also 'zz' is not a term id"),
])
def test_glossary_errors_name_the_term(terms, message):
    with pytest.raises(ReaderError, match=message):
        load_glossary({"terms": terms}, "sources/glossary.yaml")


def test_a_term_that_never_occurs_is_an_error_naming_it():
    with pytest.raises(ReaderError, match=r"glossary.yaml: term 'regime security' "
                                          r"\(regime-security\) never occurs"):
        check_coverage(TERMS, {"escalation", "de-escalation", "security-guarantee"},
                       "glossary.yaml")


def test_the_glossary_chapter_uses_epub_glossary_markup():
    md = glossary_markdown(TERMS[:1], {"escalation": [("Greene ¶ 2", "use-escalation-p2")]})
    assert '<dt epub:type="glossterm"><dfn>[escalation]{#gloss-escalation}</dfn></dt>' in md
    assert '<dd epub:type="glossdef">' in md
    assert "[Greene ¶ 2](#use-escalation-p2){.backlink}" in md


def test_the_project_glossary_has_enough_terms():
    data = yaml.safe_load((REPO / "sources" / "glossary.yaml").read_text(encoding="utf-8"))
    assert len(load_glossary(data, "glossary.yaml")) >= 20


# --------------------------------------------------------------------------- the EPUB

@pytest.fixture(scope="module")
def epub(built_project: Path) -> dict[str, str]:
    path = built_project / "build" / "putin-security" / "putin-security.epub"
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml")}


def _ids(epub: dict[str, str]) -> set[str]:
    return {f"{name.rsplit('/', 1)[-1]}#{i}" for name, text in epub.items()
            for i in re.findall(r'\sid="([^"]+)"', text)}


def _links(epub: dict[str, str], cls: str | None = None) -> list[tuple[str, str]]:
    """(file, target) for every internal link, resolved to 'file.xhtml#id'."""
    out = []
    for name, text in epub.items():
        for tag in re.findall(r"<a [^>]*>", text):
            href = re.search(r'href="([^"]+)"', tag)
            if not href or "://" in href.group(1) or (cls and f'class="{cls}"' not in tag):
                continue
            target = href.group(1)
            here = name.rsplit("/", 1)[-1]
            out.append((here, here + target if target.startswith("#")
                        else target.rsplit("/", 1)[-1]))
    return out


def test_every_internal_link_of_the_epub_resolves(epub):
    ids = _ids(epub)
    links = _links(epub)
    assert len(links) > 300
    assert [t for _, t in links if "#" in t and t not in ids] == []


def test_every_citation_links_to_its_entry_and_every_entry_links_back(epub):
    bib = json.loads((REPO / "sources" / "bibliography.json").read_text(encoding="utf-8"))
    text = "\n".join(epub.values())
    cites = set(re.findall(r'<a href="[^"]*#ref-([^"]+)"', text))
    assert cites == {e["id"] for e in bib}
    spans = dict(re.findall(r'<span id="(cite-[^"]+)" class="citation-ref"[^>]*>(.*?)</span>'
                            r"</span>", text))
    for entry in bib:  # each entry lists its citations, and each of them cites the entry
        key = entry["id"]
        block = re.search(rf'<div id="ref-{re.escape(key)}".*?</div>\s*</div>', text, re.S)
        assert block and "Cited at:" in block.group(), key
        targets = re.findall(r'href="[^"#]*#(cite-[^"]+)" class="backlink"', block.group())
        assert targets, key
        for target in targets:
            assert f"#ref-{key}" in spans[target], (key, target)


def test_the_epub_glossary_follows_the_dictionaries_and_glossaries_markup(epub):
    [page] = [t for name, t in epub.items()
              if name.startswith("EPUB/text/") and 'epub:type="glossary"' in t]
    section = re.search(r'<section id="glossary"[^>]*epub:type="glossary".*?</section>', page,
                        re.S).group()
    terms = yaml.safe_load((REPO / "sources" / "glossary.yaml").read_text(encoding="utf-8"))
    n = len(terms["terms"])
    # A term that begins a print page has the page-break marker before its <dfn>.
    assert len(re.findall(r'<dt epub:type="glossterm">\s*(?:<span epub:type="pagebreak"[^>]*>'
                          r'</span>)?<dfn><span id="gloss-', section)) == n
    assert section.count('<dd epub:type="glossdef">') == n
    assert section.count("Used in:") == n


def test_every_term_is_linked_from_its_first_use_in_each_section(epub):
    text = "\n".join(epub.values())
    uses = re.findall(r'<a href="[^"]*#gloss-([a-z0-9-]+)" id="use-\1-([a-z0-9-]+)"', text)
    by_section: dict[str, list[str]] = {}
    for term, where in uses:
        by_section.setdefault(re.sub(r"-p\d+$", "", where), []).append(term)
    assert set(by_section) == {"introduction", "greene", "freedman", "comparison", "questions"}
    for terms in by_section.values():
        assert len(terms) == len(set(terms))  # first use only


def test_epubcheck_reports_nothing(built_project: Path):
    epub_path = built_project / "build" / "putin-security" / "putin-security.epub"
    result = subprocess.run([_java(), "-jar", str(epubcheck_jar()), str(epub_path)],
                            capture_output=True, text=True, timeout=300)
    assert "0 fatals / 0 errors / 0 warnings" in result.stdout + result.stderr, result.stdout


# --------------------------------------------------------------------------- the PDF

LABEL = r"((?:Greene|Freedman)(?: ¶ \d+|, source note)|Introduction|Comparison|Questions)"


def test_pdf_back_references_print_the_page_of_their_target(built_project: Path):
    import pikepdf

    out = built_project / "build" / "putin-security"
    html = (out / "putin-security-a4.html").read_text(encoding="utf-8")
    # A label's names may sit in spans that keep them unhyphenated (filters/typography.lua).
    links = [(anchor, re.sub(r"<[^>]+>", "", label)) for anchor, label in
             re.findall(r'<a href="#([^"]+)" class="backlink">(.*?)</a>', html)]
    assert len(links) > 100
    pdf_path = out / "putin-security-a4.pdf"
    with pikepdf.open(pdf_path) as pdf:
        page_of = {p.objgen: i + 1 for i, p in enumerate(pdf.pages)}
        dests = {str(k): page_of[v[0].objgen]
                 for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
        n = len(pdf.pages)
    pages = pages_text(pdf_path)
    assert len(pages) == n
    # The folio, read from the foot of the page (margins hold paragraph numbers too).
    feet = pages_foot_text(pdf_path, 68)
    folio = {i + 1: next((int(line) for line in reversed(t.splitlines())
                          if line.strip().isdigit()), i + 1) for i, t in enumerate(feet)}
    printed = re.findall(LABEL + r" \(p\.\s?(\d+)\)", " ".join(" ".join(pages).split()))
    assert [label for label, _ in printed] == [label for _, label in links]
    for (anchor, label), (_, number) in zip(links, printed, strict=True):
        assert anchor in dests, anchor
        assert int(number) == folio[dests[anchor]], (label, anchor)
