"""End to end: real pandoc and WeasyPrint build both outputs; doit rebuilds only what changed."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest

from .conftest import copy_project, doit
from .pdftext import pages_text
from .test_clean import BOILERPLATE

ESSAY_SENTENCES = [
    # Greene: first and last paragraphs, the tweet and its attribution.
    "Western supporters of Ukraine cannot simultaneously seek victory and de-escalation",
    "Steady Western policy can help foreclose on that imagination",
    "Neither of these claims is right, it seems to me.",
    "Ruth Deyermond (@ruth_deyermond) on Twitter, 27 July 2022",
    "the red lines that matter aren’t in Ukraine: they’re in Russia.",
    # Freedman: title, headings, block quotations, last sentence.
    "What would it take to make Vladimir Putin feel secure?",
    "Security Guarantees and Alliances",
    "Nato and Russia do not consider each other as adversaries.",
    "The immutable condition of success is the resolution of the Ukraine problem.",
    "the biggest threats to Russian security do not lie outside its borders but inside its "
    "capital.",
]
CHAPTERS = ["Introduction", "Why Putin fights", "Comparing the two positions",
            "Questions for discussion", "Sources and permissions", "Colophon"]


def squash(text: str) -> str:
    """One line of text with single spaces, soft hyphens and line-end hyphens undone."""
    text = text.replace("\u00ad", "")
    return re.sub(r"\s+", " ", text)


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        parts = [book.read(n).decode("utf-8") for n in sorted(book.namelist())
                 if n.endswith(".xhtml")]
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts))))


def pdf_text(path: Path) -> str:
    out = "\n".join(pages_text(path))
    # Undo hyphenation at line ends so that sentences can be found whole.
    return squash(re.sub(r"(\w)[-\u2010]\n(\w)", r"\1\2", out))


@pytest.fixture(scope="module")
def texts(outputs):
    return {"epub": epub_text(outputs["epub"]), "a4": pdf_text(outputs["a4"]),
            "large-print": pdf_text(outputs["large-print"])}


@pytest.mark.parametrize("kind", ["epub", "a4", "large-print"])
def test_essay_sentences_are_in_the_output(texts, kind):
    missing = [s for s in ESSAY_SENTENCES if s not in texts[kind]]
    assert not missing, f"{kind} lacks: {missing}"


@pytest.mark.parametrize("kind", ["epub", "a4", "large-print"])
def test_boilerplate_is_not_in_the_output(texts, kind):
    found = [p for p in BOILERPLATE if p in texts[kind]]
    assert not found, f"{kind} still has: {found}"


@pytest.mark.parametrize("kind", ["epub", "a4"])
def test_every_chapter_is_in_the_output(texts, kind):
    assert all(c in texts[kind] for c in CHAPTERS)


def test_the_build_writes_audits_beside_the_cleaned_text(outputs):
    audit = (outputs["dir"] / "clean" / "greene.audit.md").read_text(encoding="utf-8")
    assert "- comment-form (drop, rule set wordpress): lines 67–85" in audit


# --- doit rebuilds exactly what changed --------------------------------------------------


def ran(result) -> set[str]:
    """Tasks doit executed (lines '.  name'), as opposed to skipped ('-- name')."""
    return {line[3:].strip() for line in result.stdout.splitlines() if line.startswith(".  ")}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("uptodate") / "project")
    first = doit(project)
    assert {"clean_text:greene", "pdf:a4", "epub"} <= ran(first)
    return project


def test_a_second_build_runs_nothing(project):
    assert ran(doit(project)) == set()


def test_editing_one_readings_yaml_recleans_only_that_reading(project):
    yaml_file = project / "sources" / "why-putin-fights.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace(
        "reason: The essay's title, first line", "reason: The title, the first line"),
        encoding="utf-8")
    executed = ran(doit(project))
    assert "clean_text:greene" in executed
    assert "clean_text:freedman" not in executed
    assert ran(doit(project)) == set()


def test_editing_a_template_rerenders_without_recleaning(project):
    template = project / "templates" / "reader.md.j2"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "**Source.**", "**Source:**"), encoding="utf-8")
    executed = ran(doit(project))
    assert {"assemble", "pdf:a4", "pdf:letter", "pdf:large-print", "epub"} <= executed
    assert not any(name.startswith(("clean_text:", "annotate:")) for name in executed)


def test_retitling_a_part_in_the_reader_file_reaches_every_output(project):
    reader = project / "reader.yaml"
    reader.write_text(reader.read_text(encoding="utf-8").replace(
        "title: Questions for discussion", "title: Questions for seminar discussion"),
        encoding="utf-8")
    executed = ran(doit(project))
    assert {"assemble", "pdf:a4", "pdf:letter", "pdf:large-print", "epub"} <= executed
    out = project / "build" / "putin-security"
    for text in (pdf_text(out / "putin-security-a4.pdf"),
                 epub_text(out / "putin-security.epub")):
        assert "Questions for seminar discussion" in text


def test_editing_a_parts_markdown_reassembles_without_recleaning(project):
    part = project / "sources" / "editorial" / "questions.md"
    part.write_text(part.read_text(encoding="utf-8").replace(
        "These questions are meant for", "These questions are written for"), encoding="utf-8")
    executed = ran(doit(project))
    assert {"assemble", "pdf:a4", "epub"} <= executed
    assert not any(name.startswith(("clean_text:", "annotate:")) for name in executed)
    assert "These questions are written for" in epub_text(
        project / "build" / "putin-security" / "putin-security.epub")


def test_editing_a_readings_venue_reaches_the_pdfs_and_the_epub(project):
    """Stale builds (issue 14): the venue is only in the source notes, which assemble writes
    from the reading's YAML; no `doit forget` is needed for the change to show."""
    yaml_file = project / "sources" / "why-putin-fights.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace(
        "venue: TL;DRussia (Sam Greene’s Substack newsletter)",
        "venue: TL;DRussia (a newsletter renamed for this test)"), encoding="utf-8")
    executed = ran(doit(project))
    assert {"assemble", "pdf:a4", "pdf:letter", "pdf:large-print", "epub"} <= executed
    out = project / "build" / "putin-security"
    for name in ("putin-security-a4.pdf", "putin-security-letter.pdf",
                 "putin-security-large-print.pdf", "putin-security.epub"):
        text = (pdf_text if name.endswith(".pdf") else epub_text)(out / name)
        assert "TL;DRussia (a newsletter renamed for this test)" in text, name
        assert "Sam Greene’s Substack newsletter" not in text, name
    assert ran(doit(project)) == set()


def test_the_epub_has_landmarks_for_reading_and_reference(outputs):
    with zipfile.ZipFile(outputs["epub"]) as book:
        nav = book.read("EPUB/nav.xhtml").decode("utf-8")
    landmarks = nav[nav.index('epub:type="landmarks"'):]
    for kind in ("cover", "titlepage", "toc", "bodymatter", "glossary", "bibliography"):
        assert f'epub:type="{kind}"' in landmarks, kind
    assert 'href="text/ch001.xhtml" epub:type="bodymatter"' in landmarks


def test_source_notes_give_dates_as_people_write_them(texts):
    assert re.search(r"taken from the repost on Ukraine Today ?, 29 July 2022", texts["epub"])
