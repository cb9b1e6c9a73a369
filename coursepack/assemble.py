"""Assemble stage: front matter, annotated readings, back matter -> one Markdown document.

The reader file declares its parts (``front_matter``, ``readings``, ``back_matter``); this
module turns them into a list of chapters in that order and computes everything a chapter
shows (headings with ids and classes, escaping, passage links, running heads, tool
versions). The template ``templates/reader.md.j2`` only loops over the chapters and lays
each kind out. The one document feeds both the PDF and the EPUB.
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass
from importlib import metadata as pkg_metadata
from pathlib import Path

import jinja2
import yaml

from .annotate import Paragraph, slugify
from .citing import cite_aid_markdown
from .config import Part, Reader, Reading, display_date
from .errors import ReaderError, working_on
from .markdown import StageDoc
from .textnorm import attribute_value, escape_markdown, normalise

# [visible text]{.passage reading="greene" quote="exact words"} in the editors' Markdown.
_EDITORIAL_HEADING = re.compile(r"^(#{1,6}) ([^{\n]+?)\s*$", re.M)
_PASSAGE = re.compile(r'\[([^\]]+)\]\{\.passage reading="([^"]+)" quote="([^"]+)"\}')


@dataclass(frozen=True)
class Essay:
    """What the template needs to lay out one reading."""

    id: str
    heading: str  # the Markdown heading line, with its id, classes and running-head text
    permissions_heading: str
    dek: str
    byline: str
    source_note: str
    author_note: str
    permissions: str
    body: str


@dataclass(frozen=True)
class Chapter:
    """One level-1 chapter of the document, as the template lays it out.

    ``kind``: "reading" (``essay``), "editorial" (the editors' Markdown, ``body``), or a
    generated part: "glossary", "bibliography", "permissions" (``essays``), "colophon"
    (``body`` from its file, then the tool versions).
    """

    kind: str
    id: str
    heading: str  # the Markdown heading line, with id and classes
    body: str = ""
    essay: Essay | None = None
    essays: tuple[Essay, ...] = ()


# What each generated part's heading carries besides its id (EPUB semantics and ARIA roles).
GENERATED_ATTRIBUTES = {
    "glossary": "epub:type=glossary role=doc-glossary",
    "bibliography": "epub:type=bibliography role=doc-bibliography",
    "colophon": "epub:type=colophon role=doc-colophon",
}


def part_heading(part: Part) -> str:
    """``# Title {#id .class ...}``: the editors' parts are .editorial, generated ones
    .generated (with the glossary's and bibliography's EPUB type and role)."""
    classes = ".generated" if part.generated else ".editorial"
    extra = GENERATED_ATTRIBUTES.get(part.generated, "")
    return f"# {md(part.title)} {{#{part.id} {classes}{' ' + extra if extra else ''}}}"


def md(text: str) -> str:
    """Plain text to escaped Markdown (titles, notes, metadata values), on one line: a line
    break in a YAML value never starts a paragraph (or a metadata block) of its own."""
    return escape_markdown(normalise(" ".join(text.split())))


def resolve_passages(text: str, index: dict[str, list[Paragraph]], where: str,
                     numbered: dict[str, bool] | None = None) -> str:
    """Turn passage spans into links to the paragraph that contains the quoted words; the link
    ends with the paragraph's number (", ¶ 8") when its reading shows numbers."""

    def link(match: re.Match[str]) -> str:
        label, reading_id, quote = match.groups()
        if reading_id not in index:
            raise ReaderError(where, f"passage link names unknown reading '{reading_id}'; "
                              f"use one of {', '.join(sorted(index))}")
        wanted = normalise(quote)
        hits = [p.id for p in index[reading_id] if wanted in p.text]
        if len(hits) != 1:
            found = "is not in" if not hits else f"occurs in {len(hits)} paragraphs of"
            raise ReaderError(where, f"passage quote “{quote[:60]}” {found} '{reading_id}'; "
                              "quote words that occur exactly once")
        shown = (numbered or {}).get(reading_id, True)
        number = f", ¶\u00a0{hits[0].rsplit('-p', 1)[1]}" if shown else ""
        return f"[{label}{number}](#{hits[0]}){{.passage-link}}"

    return _PASSAGE.sub(link, text)


def prefix_heading_ids(text: str, part: str) -> str:
    """Give editorial headings explicit ids prefixed by their part, unique in the document."""
    seen: dict[str, int] = {}

    def add_id(match: re.Match[str]) -> str:
        hashes, title = match.groups()
        slug = f"{part}-{slugify(title) or 'section'}"
        seen[slug] = seen.get(slug, 0) + 1
        suffix = f"-{seen[slug]}" if seen[slug] > 1 else ""
        return f"{hashes} {title} {{#{slug}{suffix}}}"

    return _EDITORIAL_HEADING.sub(add_id, text)


def _attr(value: str) -> str:
    return attribute_value(value)


def essay_context(reading: Reading, doc: StageDoc) -> Essay:
    meta = doc.metadata
    title = meta.get("title") or reading.title
    running = f"{reading.author_surnames} · {reading.short_title}"
    # The authors ride in the heading (hidden on the page, where the byline follows) so that
    # the contents, the EPUB's navigation and the PDF's bookmarks credit each essay.
    authors = md(" and ".join(reading.authors))
    bookmark = f"{title} — {' and '.join(reading.authors)}"
    heading = (f"# {md(title)} [— {authors}]{{.chapter-author}} "
               f"{{#{reading.id} .essay running=\"{_attr(running)}\" "
               f"bookmark=\"{_attr(bookmark)}\"}}")
    byline = [", ".join(reading.authors)]
    if reading.translators:
        byline.append("translated by " + " and ".join(reading.translators))
    if reading.date_display:
        byline.append(reading.date_display)
    source = source_note(reading)
    if reading.repost:
        r = reading.repost
        source += (f" The text here was taken from the repost on *{md(r.title)}*"
                   f"{', ' + md(display_date(r.date)) if r.date else ''}, <{r.url}>.")
    source += corrections_note(meta.get("corrections") or [])
    return Essay(
        id=reading.id, heading=heading,
        permissions_heading=f"## {md(title)} {{#permissions-{reading.id}}}",
        dek=md(meta.get("dek") or reading.dek),
        byline=md(" · ".join(byline)), source_note=source,
        author_note=" ".join(meta.get("source_note_md")  # annotated: citations, notes
                             or [md(n) for n in meta.get("source_note") or []]),
        permissions=md(reading.permissions), body="\n\n".join(doc.blocks),
    )


def source_note(reading: Reading) -> str:
    """Where the text comes from: an essay's first publication, or the book it is taken from."""
    if reading.work:
        parts = [f"From *{md(reading.work)}*"]
        if reading.translators:
            parts.append("translated by " + md(" and ".join(reading.translators)))
        parts += [md(p) for p in (reading.venue, reading.date_display) if p]
    else:
        parts = [f"First published as “{md(reading.title)}”"]
        if reading.venue:
            parts.append(f"*{md(reading.venue)}*")
        if reading.date_display:
            parts.append(md(reading.date_display))
    if reading.url:
        parts.append(f"<{reading.url}>")
    return ", ".join(parts) + "."


def corrections_note(corrections: list[dict]) -> str:
    """The editorial corrections (``replace`` rules) made to the raw text, counted and listed."""
    if not corrections:
        return ""
    count = "One editorial correction" if len(corrections) == 1 else \
        f"{len(corrections)} editorial corrections"
    listed = "; ".join(f"“{md(c['find'])}” to “{md(c['with'])}”" for c in corrections)
    return f" {count} to the text as copied: {listed}."


def tool_versions() -> dict[str, str]:
    """Versions of the tools that shape the output, for the colophon."""
    import pypandoc  # imported here: only assembly needs it

    versions = {"Python": platform.python_version(), "pandoc": pypandoc.get_pandoc_version()}
    for name in ("WeasyPrint", "Jinja2", "doit", "PyYAML"):
        versions[name] = pkg_metadata.version(name)
    return versions


KICKER = "A course reader"
# The line that credits the readings' authors (title page, cover and its description): a
# reader may gather essays, books or speeches, so it names none of them.
AUTHORS_BY = "Readings by {}"


def kicker(reader: Reader) -> str:
    """The line above the title (title page, cover), unless the subtitle already says it."""
    return "" if KICKER.casefold() in reader.subtitle.casefold() else KICKER


def reading_authors(reader: Reader) -> list[str]:
    """Every reading's authors, each once, in reading order."""
    return list(dict.fromkeys(a for reading in reader.readings for a in reading.authors))


def _and(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def document_metadata(reader: Reader) -> str:
    """The YAML metadata block that pandoc reads (title page, EPUB package metadata).

    Empty values are left out, so that no output gets an empty element (EPUBCheck rejects an
    empty ``dc:description`` or ``dc:rights``).
    """
    authors = reading_authors(reader)
    meta = {
        "title": md(reader.title),
        "subtitle": md(reader.subtitle),
        # The essays' authors are the book's authors (EPUB dc:creator, role aut); the editors
        # are credited as editors (role edt), on the title page, the cover and in the PDF.
        "author": [md(a) for a in authors],
        "creator": [{"role": "edt", "text": md(e)} for e in reader.editors],
        "editors": md(", ".join(reader.editors)),
        "authors-line": md(AUTHORS_BY.format(_and(authors))) if authors else "",
        "pdf-author": md(f"{', '.join(authors)}; edited by {', '.join(reader.editors)}"
                         if authors else ", ".join(reader.editors)),
        "kicker": kicker(reader),
        # Names are never hyphenated: the authors', the editors' and the reader's own list.
        "never-hyphenate": sorted(set(reader.never_hyphenate) | {
            word for name in [*authors, *reader.editors] for word in name.split()
            if len(word) > 3 and word[0].isupper() and word.isalpha()}),
        "hyphenation-exceptions": list(reader.hyphenation_exceptions),
        "foreign-phrases": [{"phrase": md(f.phrase), "lang": f.lang}
                            for f in dict.fromkeys(f for r in reader.readings for f in r.foreign)],
        "lang": reader.language,
        "date": reader.date,
        "identifier": [{"scheme": "URN", "text": reader.identifier}]
        if reader.identifier.startswith("urn:") else reader.identifier,
        "description": md(reader.description),
        "subject": [md(k) for k in reader.keywords],
        "keywords": [md(k) for k in reader.keywords],
        "rights": md(reader.rights),
        "version": reader.version,
        "link-citations": True,
    }
    if contents := reader.part("contents"):
        meta["toc-title"] = md(contents.title)  # the print contents page and the EPUB nav
    meta = {key: value for key, value in meta.items() if value not in ("", [])}
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)


def editorial_text(text: str, part: Part, index: dict[str, list[Paragraph]], where: str,
                   numbered: dict[str, bool] | None = None) -> str:
    """The editors' Markdown of a part: passage spans linked, headings given the part's ids."""
    return prefix_heading_ids(resolve_passages(text, index, where, numbered), part.id)


def chapters(reader: Reader, docs: dict[str, StageDoc], index: dict[str, list[Paragraph]],
             texts: dict[str, str], apparatus: dict[str, str]) -> list[Chapter]:
    """Every chapter in the reader's order: front matter, readings, back matter.

    ``texts``: the Markdown of each part's file, by part id (glossary terms already marked);
    ``apparatus``: the glossary and bibliography chapters' bodies. The contents are not a
    chapter: pandoc writes them (the print template and the EPUB navigation).
    """
    essays = [essay_context(r, docs[r.id]) for r in reader.readings]
    numbered = {r.id: r.paragraph_numbers for r in reader.readings}

    def part_chapter(part: Part) -> Chapter | None:
        if part.generated == "contents":
            return None
        body = ""
        if part.file:
            where = _rel(part.file, reader.root)
            with working_on(where):
                body = editorial_text(texts[part.id], part, index, where, numbered)
        kind = part.generated or "editorial"
        if kind in ("glossary", "bibliography"):
            body = apparatus[kind]
        return Chapter(kind, part.id, part_heading(part), body,
                       essays=tuple(essays) if kind == "permissions" else ())

    return [c for c in (
        *(part_chapter(p) for p in reader.front_matter),
        *(Chapter("reading", e.id, e.heading, essay=e) for e in essays),
        *(part_chapter(p) for p in reader.back_matter)) if c is not None]


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


_EXPLICIT_ID = re.compile(r"\{#([A-Za-z0-9_:.-]+)")


def check_unique_ids(text: str, where: str) -> None:
    """Two elements of the document with one id would break links in both outputs: name it.

    ``where``: the reader file; what gave the clash is usually a part's or a heading's id.
    """
    seen: set[str] = set()
    for match in _EXPLICIT_ID.finditer(text):
        if match.group(1) in seen:
            raise ReaderError(where, f"two places in the reader get the id "
                              f"'{match.group(1)}' (a part, a reading or a heading inside "
                              "one); give a part its own `id:` or rename a heading")
        seen.add(match.group(1))


def assemble(reader: Reader, docs: dict[str, StageDoc], index: dict[str, list[Paragraph]],
             texts: dict[str, str], versions: dict[str, str], template_dir: Path,
             apparatus: dict[str, str] | None = None) -> str:
    """Render the whole reader as one Markdown document.

    ``texts``: the Markdown of each part's file, by part id; ``apparatus``: the glossary and
    bibliography chapters' Markdown, by name (when the reader has those parts).
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        # pandoc attributes ({#id .class}) would open Jinja comments: comments are {## ##}.
        comment_start_string="{##", comment_end_string="##}",
    )
    context = {
        "metadata": document_metadata(reader),
        "chapters": chapters(reader, docs, index, texts, apparatus or {}),
        "versions": versions,
        "cite_aid": cite_aid_markdown(reader, index),  # the colophon's "Citing this reader"
        "fonts": ["Charis SIL (SIL Open Font License 1.1)"],
    }
    try:
        text = env.get_template("reader.md.j2").render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise ReaderError(f"{exc.filename or exc.name}:{exc.lineno}",
                          f"template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise ReaderError(_template_where(exc, template_dir),
                          f"{exc.message}; define it or fix the name in the template") from None
    check_unique_ids(text, _rel(reader.path, reader.root))
    return text


def _template_where(exc: Exception, template_dir: Path) -> str:
    """The template file and line an error was raised at, from the traceback."""
    tb = exc.__traceback__
    where = str(template_dir)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            where = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def load_index(path: Path) -> list[Paragraph]:
    return [Paragraph(**p) for p in json.loads(path.read_text(encoding="utf-8"))]
