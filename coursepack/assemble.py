"""Assemble stage: annotated readings + editorial parts -> one Markdown document (Jinja2).

The context is computed here (escaping, links, running heads, tool versions); the template
``templates/reader.md.j2`` only lays it out. The one document feeds both the PDF and the EPUB.
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
from .config import Reader, Reading
from .errors import ReaderError
from .markdown import StageDoc
from .textnorm import attribute_value, escape_markdown, normalise

# [visible text]{.passage reading="greene" quote="exact words"} in editorial Markdown.
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


def md(text: str) -> str:
    """Plain text to escaped Markdown (titles, notes, metadata values)."""
    return escape_markdown(normalise(text))


def resolve_passages(text: str, index: dict[str, list[Paragraph]], where: str) -> str:
    """Turn passage spans into links to the paragraph that contains the quoted words."""

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
        return f"[{label}](#{hits[0]}){{.passage-link}}"

    return _PASSAGE.sub(link, text)


# English month names, fixed (not the machine's locale), so every build prints the same.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def display_date(iso: str) -> str:
    """An ISO date as precise as it is known, for readers: 2022-07-29 -> 29 July 2022."""
    parts = [int(p) for p in iso.split("-")]
    month = MONTHS[parts[1] - 1] if len(parts) > 1 else ""
    return " ".join(str(p) for p in (parts[2] if len(parts) > 2 else "", month, parts[0]) if p)


def prefix_heading_ids(text: str, part: str) -> str:
    """Give editorial headings explicit ids prefixed by their part, unique in the document."""
    seen: dict[str, int] = {}

    def add_id(match: re.Match[str]) -> str:
        hashes, title = match.groups()
        slug = f"{part}-{slugify(title)}"
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
    heading = (f"# {md(title)} {{#{reading.id} .essay running=\"{_attr(running)}\"}}")
    byline = ", ".join(reading.authors)
    source = (f"First published as “{md(reading.title)}”, *{md(reading.venue)}*, "
              f"{md(reading.date_display)}, <{reading.url}>.")  # url: forms.web_url
    if reading.repost:
        r = reading.repost
        source += (f" The text here was taken from the repost on *{md(r.title)}*"
                   f"{', ' + display_date(r.date) if r.date else ''}, <{r.url}>.")
    return Essay(
        id=reading.id, heading=heading,
        permissions_heading=f"## {md(title)} {{#permissions-{reading.id}}}",
        dek=md(meta.get("dek") or reading.dek),
        byline=md(f"{byline} · {reading.date_display}"), source_note=source,
        author_note=" ".join(meta.get("source_note_md")  # annotated: citations, notes
                             or [md(n) for n in meta.get("source_note") or []]),
        permissions=md(reading.permissions), body="\n\n".join(doc.blocks),
    )


def tool_versions() -> dict[str, str]:
    """Versions of the tools that shape the output, for the colophon."""
    import pypandoc  # imported here: only assembly needs it

    versions = {"Python": platform.python_version(), "pandoc": pypandoc.get_pandoc_version()}
    for name in ("WeasyPrint", "Jinja2", "doit", "PyYAML"):
        versions[name] = pkg_metadata.version(name)
    return versions


def document_metadata(reader: Reader) -> str:
    """The YAML metadata block that pandoc reads (title page, EPUB package metadata)."""
    meta = {
        "title": md(reader.title),
        "subtitle": md(reader.subtitle),
        "author": [md(e) for e in reader.editors],
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
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)


def assemble(reader: Reader, docs: dict[str, StageDoc], index: dict[str, list[Paragraph]],
             editorial: dict[str, str], versions: dict[str, str], template_dir: Path,
             apparatus: dict[str, str] | None = None) -> str:
    """Render the whole reader as one Markdown document.

    ``apparatus``: the glossary and bibliography chapters' Markdown, by name (optional).
    """
    parts = {name: prefix_heading_ids(
                 resolve_passages(text, index, str(reader.editorial[name].name)), name)
             for name, text in editorial.items()}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, autoescape=False,
        # pandoc attributes ({#id .class}) would open Jinja comments: comments are {## ##}.
        comment_start_string="{##", comment_end_string="##}",
    )
    context = {
        "metadata": document_metadata(reader),
        "reader": reader,
        "essays": [essay_context(r, docs[r.id]) for r in reader.readings],
        "editorial": parts,
        "versions": versions,
        "apparatus": apparatus or {},
        "fonts": ["Charis SIL (SIL Open Font License 1.1)"],
    }
    try:
        return env.get_template("reader.md.j2").render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise ReaderError(f"{exc.filename or exc.name}:{exc.lineno}",
                          f"template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise ReaderError(_template_where(exc, template_dir),
                          f"{exc.message}; define it or fix the name in the template") from None


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
