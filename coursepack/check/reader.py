"""The reader's gate (the ``check`` task): every validator on every artifact of one reader,
with a phrase from each chapter's body that a reading system must show."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .common import _guarded
from .epub import check_epub
from .notes import epub_note_messages, same_numbering_messages
from .pdf import check_pdf
from .report import format_report

_SHOWN = re.compile(r"\[([^\]]*)\](?:\([^)]*\))?\{[^}]*\}|\[([^\]]*)\]\([^)]*\)")


_HIDDEN = re.compile(r"\[-?@[^\]]*\]|\^\[[^\]]*\]|\\.")


def plain_words(markdown: str, count: int = 6) -> str:
    """The first run of ``count`` plain words of a paragraph: text calibre must find."""
    text = _HIDDEN.sub(" | ", _SHOWN.sub(lambda m: m.group(1) or m.group(2) or "", markdown))
    for run in re.findall(r"[A-Za-z’]+(?: [A-Za-z’]+)+", text):
        words = run.split()
        if len(words) >= count:
            return " ".join(words[:count])
    raise ValueError(f"no run of {count} plain words in: {markdown[:80]}")


def _first_paragraph(blocks: Iterable[str]) -> str:
    return next(b for b in blocks if b.strip() and not b.lstrip().startswith(
        ("#", "|", ":::", ">")))


def expected_texts(reader) -> list[str]:
    """A phrase from the body of every chapter, so calibre proves each one is really there."""
    from ..build import annotated_path
    from ..fsutil import read_text
    from ..markdown import read_stage

    texts = [plain_words(_first_paragraph(read_stage(annotated_path(reader, r.id)[0]).blocks))
             for r in reader.readings]
    texts += [plain_words(_first_paragraph(read_text(path).split("\n\n")))
              for path in reader.editorial.values()]
    return texts


def check_reader(reader_file: str) -> None:
    """The ``check`` task: every validator on every artifact; any finding fails the build."""
    from ..build import paths, pdf_path
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
    for edition, pdf in zip(reader.editions, pdfs, strict=True):
        findings += check_pdf(pdf, expected_lang=reader.language, large_print_pt=(
            edition.font_size_pt if is_large_print(edition) else None))
        findings += _guarded(str(pdf), "numbering", lambda p=pdf: same_numbering_messages(
            notes, p))
    report = format_report(findings, [str(p) for p in (epub, *pdfs)])
    print(report)
    if findings:
        raise ReaderError("check", report.splitlines()[-1].removeprefix("check: ") +
                          "; see the report above")
