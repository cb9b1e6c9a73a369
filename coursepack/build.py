"""The I/O edge of every stage: the functions doit's tasks call.

Each reads its inputs, calls the stage's pure functions and writes its targets atomically.
User mistakes raise ReaderError; ``run_action`` turns them into one line and a failed task.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from doit.exceptions import TaskFailed

from .config import Reader, Reading, load_reader
from .errors import ReaderError, debugging, internal_error, working_on
from .forms import long_word, value_problem
from .fsutil import environment_error, read_text, write_atomic
from .report import REPORTER

PACKAGE = Path(__file__).resolve().parent
T = TypeVar("T")


def paths(reader: Reader) -> dict[str, Path]:
    """Where each stage writes; one place, so tasks and tests agree."""
    out = reader.out
    return {
        "clean": out / "clean",
        "annotated": out / "annotated",
        "assembled": out / "reader.md",
        "tree": out / "reader.json",  # its pandoc document tree, citations resolved, checked
        "epub": out / f"{reader.id}.epub",
        "epub_metadata": out / "epub-metadata.xml",
        "cover": out / "cover.png",
        "templates": reader.root / "templates",
    }


def clean_path(reader: Reader, reading_id: str) -> tuple[Path, Path]:
    base = paths(reader)["clean"]
    return base / f"{reading_id}.md", base / f"{reading_id}.audit.md"


def annotated_path(reader: Reader, reading_id: str) -> tuple[Path, Path]:
    base = paths(reader)["annotated"]
    return base / f"{reading_id}.md", base / f"{reading_id}.paragraphs.json"


def pdf_path(reader: Reader, edition_id: str) -> tuple[Path, Path]:
    out = reader.out
    return out / f"{reader.id}-{edition_id}.html", out / f"{reader.id}-{edition_id}.pdf"


def page_map_path(reader: Reader) -> Path:
    """The page map of the edition the EPUB's page list follows (coursepack.pagemap)."""
    return reader.out / f"{reader.id}-{reader.page_list_edition}.pages.json"


# What each stage is doing, for the one-line report of an unexpected fault.
STAGES = {"clean_reading": "cleaning", "annotate_reading": "annotating",
          "assemble_reader": "assembling the reader", "build_pdf": "typesetting the PDF",
          "build_epub": "making the EPUB", "check_artifacts": "checking the artifacts",
          "make_dist": "writing the release", "load_reader": "reading the configuration",
          "project_reader": "reading the configuration",
          "build_epoch": "finding the build date"}


def _doing(function: Callable[..., object], args: tuple[object, ...]) -> str:
    name = getattr(function, "__name__", "a stage")
    doing = STAGES.get(name, name.replace("_", " "))
    detail = next((a for a in args[1:] if isinstance(a, str)  # a reading or an edition
                   and not a.endswith((".yaml", ".yml"))), None)
    return f"{doing} '{detail}'" if detail else doing


def _subject(args: tuple[object, ...]) -> str:
    """The file a stage was given (its reader file) when no finer one is known."""
    named = [a for a in args if isinstance(a, str) and a.endswith((".yaml", ".yml"))]
    first = named[0] if named else args[0] if args else "coursepack"
    return str(getattr(first, "path", first))


def run_action(function: Callable[..., None], *args: object) -> TaskFailed | None:
    """Run a stage; a ReaderError becomes one line on stderr and a failed task (no traceback).

    So does any other exception (a fault no check anticipated): one line naming the file the
    stage was working on and the exception, asking for a report. ``COURSEPACK_DEBUG=1``
    lets it through with its traceback.
    """
    try:
        try:
            function(*args)
        except OSError as exc:  # a full disk, a read-only directory: the machine's, not a bug
            raise environment_error(exc) or exc from None
    except ReaderError as exc:
        return _failed(str(exc))
    except Exception as exc:
        if debugging():
            raise
        return _failed(internal_error(exc, _subject(args), _doing(function, args)))
    return None


def _failed(line: str) -> TaskFailed:
    """The failed task; its line is printed by the build's reporter (once, however many tasks
    met the same fault at once), or here when a stage runs without it."""
    if not os.environ.get(REPORTER):
        print(f"error: {line}", file=sys.stderr)
    return TaskFailed(line, report=False)  # not again by doit's own report


def or_exit(function: Callable[..., T], *args: object) -> T:
    """For doit's task list: a user's mistake ends the run with one line, not a traceback;
    so does an unexpected fault (see ``run_action``)."""
    try:
        return function(*args)
    except ReaderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as exc:
        if debugging():
            raise
        print(f"error: {internal_error(exc, _subject(args), _doing(function, args))}",
              file=sys.stderr)
        raise SystemExit(2) from None


# --- stages -------------------------------------------------------------------------------


def clean_reading(reader_file: str, reading_id: str) -> None:
    from .clean import clean_text, size_warning

    reader = load_reader(reader_file)
    reading = reader.reading(reading_id)
    raw = read_text(reading.raw_path)
    with working_on(_rel(reader, reading.yaml_path)):
        cleaned = clean_text(reading, raw)
    check_words(cleaned.doc.text(), raw, _rel(reader, reading.raw_path))
    md_out, audit_out = clean_path(reader, reading_id)
    write_atomic(audit_out, "\n".join(cleaned.audit) + "\n")
    write_atomic(md_out, cleaned.doc.text())
    if warning := size_warning(cleaned.doc.blocks):  # it builds, slowly: one line, not fatal
        print(f"warning: {_rel(reader, reading.yaml_path)}: {warning}", file=sys.stderr)


def check_words(cleaned: str, raw: str, where: str) -> None:
    """A word too long for any line, kept by the rules, stops the build (forms.MAX_WORD)."""
    if (found := long_word(cleaned)) is None:
        return
    start = found.split("“", 1)[1][:12]
    number, line = next(((n, text) for n, text in enumerate(raw.split("\n"), start=1)
                         if start in text), (0, ""))
    raise ReaderError(f"{where}:{number}" if number else where,
                      f"{long_word(line) or found}; no page can hold it: drop the line with a "
                      "rule (action: drop), or paste the text with its spaces")


def _rel(reader: Reader, path: Path) -> str:
    try:
        return str(path.relative_to(reader.root))
    except ValueError:
        return str(path)


def load_apparatus(reader: Reader, reading: Reading | None = None):  # -> annotate.Apparatus
    """Read the bibliography, editor's notes and glossary the reader names (each optional)."""
    from .annotate import Apparatus
    from .citations import load_bibliography
    from .config import load_yaml
    from .glossary import load_glossary
    from .notes import load_notes

    bibliography, notes, terms = {}, (), ()
    if reader.bibliography:
        where = _rel(reader, reader.bibliography)
        try:
            data = json.loads(read_text(reader.bibliography))
        except json.JSONDecodeError as exc:
            raise ReaderError(f"{where}:{exc.lineno}", f"malformed JSON: {exc.msg}") from None
        if found := value_problem(data):
            raise ReaderError(where, f"{found[0]}: {found[1]}")
        with working_on(where):
            bibliography = load_bibliography(data, where)
    if reader.editor_notes:
        where = _rel(reader, reader.editor_notes)
        with working_on(where):
            notes = load_notes(load_yaml(reader.editor_notes), where)
    if reader.glossary:
        where = _rel(reader, reader.glossary)
        with working_on(where):
            terms = load_glossary(load_yaml(reader.glossary), where)
    return Apparatus(
        bibliography=bibliography, notes=notes, terms=terms,
        reading_where=_rel(reader, reading.yaml_path) if reading else reader.path.name,
        notes_where=_rel(reader, reader.editor_notes) if reader.editor_notes else "")


def annotate_reading(reader_file: str, reading_id: str) -> None:
    from .annotate import annotate
    from .markdown import read_stage

    reader = load_reader(reader_file)
    reading = reader.reading(reading_id)
    doc = read_stage(clean_path(reader, reading_id)[0])
    with working_on(_rel(reader, reading.yaml_path)):
        annotated, paragraphs = annotate(reading, doc, load_apparatus(reader, reading))
    md_out, index_out = annotated_path(reader, reading_id)
    write_atomic(index_out, json.dumps([asdict(p) for p in paragraphs], ensure_ascii=False,
                                       indent=1) + "\n")
    write_atomic(md_out, annotated.text())


def apparatus_chapters(reader: Reader, docs: dict, texts: dict[str, str]
                       ) -> tuple[dict[str, str], dict[str, str]]:
    """Mark glossary terms in the editors' parts; check coverage; write the chapters.

    ``texts``: the Markdown of each part's file, by part id. Terms are marked in the parts
    that are the editors' own chapters (``{title, file}``), not in a generated part's file
    (the colophon's). Returns the marked texts and the glossary and bibliography chapters.
    """
    from .citations import (
        anchor_editorial_citations,
        bibliography_markdown,
        check_all_cited,
        cited_keys,
    )
    from .glossary import check_coverage, collect_uses, glossary_markdown, mark_editorial
    from .glossary import check_readings as check_term_readings
    from .notes import check_readings

    app = load_apparatus(reader)
    check_readings(app.notes, {r.id for r in reader.readings}, app.notes_where)
    if reader.glossary:
        check_term_readings(app.terms, {r.id for r in reader.readings},
                            _rel(reader, reader.glossary))
    editorial = {p.id: p for p in reader.parts if p.file is not None and not p.generated}
    texts = {name: mark_editorial(text, app.terms, name, editorial[name].title)
             if name in editorial else text for name, text in texts.items()}
    if app.bibliography:  # the editors' own citations get back-links, like the readings'
        texts = {name: anchor_editorial_citations(
                     text, name, editorial[name].short_title or editorial[name].title,
                     app.bibliography,
                     _rel(reader, editorial[name].file)) if name in editorial else text
                 for name, text in texts.items()}
    readings = {r.id: "\n\n".join([*docs[r.id].blocks,
                                    *(docs[r.id].metadata.get("source_note_md") or [])])
                for r in reader.readings}
    # Document order: the front matter, the readings, the back matter.
    ordered = [*(texts[p.id] for p in reader.front_matter if p.id in texts),
               *readings.values(),
               *(texts[p.id] for p in reader.back_matter if p.id in texts)]
    chapters = {}
    if reader.glossary:
        labels = {r.id: (r.author_surnames, r.paragraph_numbers) for r in reader.readings}
        parts = {p.id: p.short_title for p in editorial.values()}
        uses: dict[str, list[tuple[str, str]]] = {}
        for text in ordered:
            for term, anchor, where in collect_uses(text):
                uses.setdefault(term, []).append((_use_label(where, labels, parts), anchor))
        check_coverage(app.terms, set(uses), _rel(reader, reader.glossary))
        chapters["glossary"] = glossary_markdown(app.terms, uses)
    if reader.bibliography:
        check_all_cited(app.bibliography, set().union(*(cited_keys(t) for t in ordered)),
                        _rel(reader, reader.bibliography))
        chapters["bibliography"] = bibliography_markdown()
    return texts, chapters


def _use_label(where: str, readings: dict[str, tuple[str, bool]], parts: dict[str, str]) -> str:
    """Where a glossary term is used, for its back-link: "greene-p3" -> "Greene ¶ 3" (or
    "Greene" for a reading without paragraph numbers); a part's id -> its short title
    ("comparison" -> "Comparison")."""
    from .paragraphs import label

    if where in parts:
        return parts[where]
    for reading_id, (name, numbered) in readings.items():
        number = where.removeprefix(f"{reading_id}-p")
        if number != where and number.isdigit():
            return label(name, number, numbered)
    return where


def assemble_reader(reader_file: str) -> None:
    from .assemble import assemble, load_index, tool_versions
    from .markdown import read_stage
    from .safety import check_markdown

    reader = load_reader(reader_file)
    docs, index = {}, {}
    for reading in reader.readings:
        md_path, index_path = annotated_path(reader, reading.id)
        docs[reading.id] = read_stage(md_path)
        index[reading.id] = load_index(index_path)
    texts = {part.id: read_text(part.file) for part in reader.parts if part.file is not None}
    for part in reader.parts:  # the editors' Markdown: no image from outside, no raw HTML ...
        if part.file is not None:
            check_markdown(texts[part.id], part.file, reader.root)
        if part.file is not None and not part.generated and not texts[part.id].strip():
            raise ReaderError(_rel(reader, part.file), f"empty, but it is the text of the part "
                              f"'{part.title}' ({part.key}); write the part, or remove it from "
                              "the reader file")
    texts, chapters = apparatus_chapters(reader, docs, texts)
    text = assemble(reader, docs, index, texts, tool_versions(), paths(reader)["templates"],
                    chapters)
    write_atomic(paths(reader)["assembled"], text)


def build_tree(reader_file: str) -> None:
    from .pandoc import document_tree

    reader = load_reader(reader_file)
    p = paths(reader)
    write_atomic(p["tree"], document_tree(reader, p["assembled"]))


def build_pdf(reader_file: str, edition_id: str) -> None:
    from .render_pdf import render_pdf
    from .syslibs import require_weasyprint

    require_weasyprint()

    reader = load_reader(reader_file)
    edition = next(e for e in reader.editions if e.id == edition_id)
    html_out, pdf_out = pdf_path(reader, edition_id)
    p = paths(reader)
    render_pdf(reader, edition, p["tree"], p["templates"], html_out, pdf_out,
               page_map_path(reader) if edition_id == reader.page_list_edition else None)


def build_epub(reader_file: str) -> None:
    from .render_epub import render_epub

    reader = load_reader(reader_file)
    p = paths(reader)
    try:
        render_epub(reader, p["tree"], p["templates"], p["epub_metadata"], p["epub"],
                    p["cover"], page_map_path(reader))
    except ReaderError as exc:
        if exc.where != "page list":  # print and EPUB out of step: name the reader built
            raise
        raise ReaderError(_rel(reader, reader.path), f"page list: {exc.message}") from None


def check_artifacts(reader_file: str) -> None:
    from .check import check_reader

    check_reader(reader_file)
