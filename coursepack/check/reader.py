"""The reader's gate (the ``check`` task): every validator on every artifact of one reader,
with a phrase from each chapter's body that a reading system must show."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import working_on
from ..textnorm import normalise
from .accessibility import epub_accessibility_messages
from .common import _guarded
from .credits import epub_credit_messages, pdf_credit_messages
from .epub import check_epub
from .notes import epub_note_messages, same_numbering_messages
from .pages import check_pages
from .pdf import check_pdf
from .report import format_report

_SHOWN = re.compile(r"\[([^\]]*)\](?:\([^)]*\))?\{[^}]*\}|\[([^\]]*)\]\([^)]*\)")


_HIDDEN = re.compile(r"\[-?@[^\]]*\]|\^\[[^\]]*\]|\\.")
# A word: letters of any script, with typographic apostrophes inside (don’t, Freedman’s).
# Anything else (digits, punctuation, a straight quote pandoc will curl) ends a run.
_WORD = r"[^\W\d_]+(?:’[^\W\d_]+)*"
_RUN = re.compile(rf"{_WORD}(?: {_WORD})*")
# Blocks whose text a reading system shows differently (headings, tables, fences).
_NOT_PROSE = ("#", "|", ":::")


def plain_words(markdown: str, count: int = 6) -> str | None:
    """The first run of ``count`` plain words of a paragraph (text calibre must find), or
    None when the paragraph has no such run (a drop cap, a short line, a number)."""
    text = _HIDDEN.sub(" | ", _SHOWN.sub(lambda m: m.group(1) or m.group(2) or "", markdown))
    for run in _RUN.findall(text):
        words = run.split()
        if len(words) >= count:
            return " ".join(words[:count])
    return None


def chapter_phrase(blocks: Iterable[str], title: str, count: int = 6) -> str:
    """A phrase of a chapter's body that calibre must find: the first run of ``count`` plain
    words in any of its paragraphs, else its longest run of two words or more (a chapter of
    short lines), else its title (a chapter without prose is found by its heading)."""
    prose = [b for b in blocks if b.strip() and not b.lstrip().startswith(_NOT_PROSE)]
    for block in prose:
        if phrase := plain_words(block, count):
            return phrase
    for shorter in range(count - 1, 1, -1):
        for block in prose:
            if phrase := plain_words(block, shorter):
                return phrase
    return " ".join(normalise(title).split())


def expected_texts(reader) -> list[str]:
    """A phrase from the body of every chapter with text of its own (each reading, each
    Markdown file of the front and back matter), so calibre proves each one is really there."""
    from ..build import annotated_path
    from ..fsutil import read_text
    from ..markdown import read_stage

    texts = []
    for r in reader.readings:
        path = annotated_path(reader, r.id)[0]
        with working_on(_rel(path, reader.root)):
            doc = read_stage(path)
            texts.append(chapter_phrase(doc.blocks, doc.metadata.get("title") or r.title))
    for part in reader.parts:
        if part.file is not None:
            with working_on(_rel(part.file, reader.root)):
                texts.append(chapter_phrase(re.split(r"\n\s*\n", read_text(part.file)),
                                            part.title))
    return texts


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def check_reader(reader_file: str) -> None:
    """The ``check`` task: every validator on every artifact; any finding fails the build."""
    from ..assemble import reading_authors
    from ..build import page_map_path, paths, pdf_path
    from ..config import load_reader
    from ..errors import ReaderError
    from ..render_pdf import is_large_print

    reader = load_reader(reader_file)
    epub = paths(reader)["epub"]
    pdfs = [pdf_path(reader, edition.id)[1] for edition in reader.editions]
    findings = check_epub(epub, expected_sections=expected_texts(reader))
    try:
        notes = epub_note_messages(epub)[1]
    except Exception:  # an unreadable EPUB is already a finding of check_epub
        notes = []
    authors, editors = reading_authors(reader), list(reader.editors)
    foreign = list(dict.fromkeys((f.phrase, f.lang) for r in reader.readings for f in r.foreign))
    findings += _guarded(str(epub), "credits",
                         lambda: epub_credit_messages(epub, authors, editors))
    findings += _guarded(str(epub), "accessibility", lambda: epub_accessibility_messages(
        epub, {part.id for part in reader.back_matter}, foreign))
    for edition, pdf in zip(reader.editions, pdfs, strict=True):
        findings += check_pdf(pdf, expected_lang=reader.language, large_print_pt=(
            edition.font_size_pt if is_large_print(edition) else None))
        findings += _guarded(str(pdf), "numbering", lambda p=pdf: same_numbering_messages(
            notes, p))
        findings += _guarded(str(pdf), "credits",
                             lambda p=pdf: pdf_credit_messages(p, authors, editors))
    # The EPUB's pages and paragraph numbers against the PDF of its page-list edition.
    findings += check_pages(epub, pdf_path(reader, reader.page_list_edition)[1],
                            page_map_path(reader))
    report = format_report(findings, [str(p) for p in (epub, *pdfs)])
    print(report)
    if findings:
        raise ReaderError("check", report.splitlines()[-1].removeprefix("check: ") +
                          "; see the report above")
