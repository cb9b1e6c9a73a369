"""Render stage (PDF): the assembled document -> print HTML (pandoc) -> tagged PDF (WeasyPrint).

WeasyPrint only logs most problems, so every warning it emits is collected and fails the
build. Its URL fetcher serves files inside the project and nothing else: no network, no
file elsewhere on the machine.

Two things pandoc and WeasyPrint do not do alone: notes become real footnotes (a Lua filter
makes each an inline span that print.css floats to the page foot), and since WeasyPrint has no
``hyphenate-limit-lines``, paragraphs with more than two hyphenated line ends in a row are laid
out again with automatic hyphenation off.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from html import escape as html_escape
from pathlib import Path

import jinja2

from .assets import PDF_NOTES_FILTER, PDF_STYLESHEETS
from .buildlock import scratch
from .citing import edition_name_css
from .config import Edition, Reader
from .dates import build_epoch, iso_timestamp
from .errors import ReaderError
from .fsutil import write_atomic
from .pagemap import page_map, place_paragraph_numbers
from .pandoc import common_args, render

PDF_VARIANT = "pdf/ua-1"
MAX_HYPHENATED_RUN = 2  # consecutive lines ending in a hyphen, at most
HYPHENATED_END = re.compile(r"\w[-\u2010\u00ad]$")


def print_html(reader: Reader, assembled: Path, edition: Edition, templates: Path) -> str:
    """The standalone HTML the PDF is typeset from (title page, contents, body)."""
    args = [
        *common_args(reader),
        f"--template={templates / 'print.html'}",
        "--section-divs",
        "--wrap=none",  # no line breaks inside attributes (they end up in the PDF metadata)
        f"--lua-filter={templates / PDF_NOTES_FILTER}",
        f"--variable=edition:{html_escape(edition.label)}",  # variables are not escaped
        f"--variable=created:{iso_timestamp(build_epoch(reader))}",
    ]
    return render(reader, assembled, "html5", args)


def edition_css(edition: Edition, templates: Path) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
                             undefined=jinja2.StrictUndefined)
    return env.get_template("edition.css.j2").render(edition=edition)


def project_fetcher(root: Path, refused: list[str]):  # -> weasyprint URLFetcher
    """A URL fetcher that serves only files inside ``root`` and records every refusal."""
    from weasyprint.urls import URLFetcher

    root = root.resolve()

    class ProjectFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None):
            if url.startswith("file:"):
                from urllib.request import url2pathname

                path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if path.is_relative_to(root) and path.is_file():
                    return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"refused to fetch {url}: only files inside the project are used")

    return ProjectFetcher(allowed_protocols=("file",))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _ends_in_hyphen(line) -> bool:
    texts = [box.text for box in line.descendants() if getattr(box, "text", "").strip()]
    return bool(texts) and HYPHENATED_END.search(texts[-1].rstrip()) is not None


def hyphen_ladders(document) -> list:  # -> [element]
    """The elements with more than MAX_HYPHENATED_RUN consecutive lines ending in a hyphen.

    WeasyPrint 70 has no ``hyphenate-limit-lines``; this reads its layout instead, so that
    the caller can turn automatic hyphenation off for just those paragraphs and lay out again.
    """
    lines: dict = {}  # element -> [line ends in a hyphen], in reading order, across pages

    def walk(box) -> None:
        for child in getattr(box, "children", ()):
            if type(child).__name__ == "LineBox":
                lines.setdefault(box.element, []).append(_ends_in_hyphen(child))
            else:
                walk(child)

    for page in document.pages:
        walk(page._page_box)
    found = []
    for element, ends in lines.items():
        run = longest = 0
        for hyphenated in ends:
            run = run + 1 if hyphenated else 0
            longest = max(longest, run)
        if element is not None and longest > MAX_HYPHENATED_RUN:
            found.append(element)
    return found


def overflowing_text(document) -> list[tuple[str, str]]:
    """(nearest id, text) of each piece of text that runs past the right edge of its block.

    ``overflow-wrap: anywhere`` breaks a word too wide for the line, but WeasyPrint 70 misses
    some break opportunities (a word glued to an inline box, its issue 1614); such text would
    be cut off at the page edge, so it is found here and the build stops instead.
    """
    found = []

    def walk(box, ident: str) -> None:
        element = getattr(box, "element", None)
        ident = (element.get("id") if element is not None else None) or ident
        for child in getattr(box, "children", ()):
            if type(child).__name__ != "LineBox":
                walk(child, ident)
                continue
            right = box.content_box_x() + box.width
            for text in child.descendants():
                if getattr(text, "text", "").strip() and \
                        text.position_x + text.width > right + OVERFLOW_TOLERANCE:
                    found.append((ident, text.text.strip()))

    for page in document.pages:
        walk(page._page_box, "")
    return found


OVERFLOW_TOLERANCE = 1  # CSS px: rounding, never a glyph
_FONT_FACE_URL = re.compile(r"@font-face\s*\{[^}]*?url\(\s*[\"']?([^\"')]+)", re.S)


def missing_fonts(stylesheets: list[Path]) -> list[tuple[Path, str]]:
    """(stylesheet, url) of each ``@font-face`` source file that does not exist."""
    return [(sheet, url) for sheet in stylesheets
            for url in _FONT_FACE_URL.findall(sheet.read_text(encoding="utf-8"))
            if not (sheet.parent / url).is_file()]


def html_to_pdf(html: str, root: Path, stylesheets: list[Path], extra_css: str,
                refused: list[str] | None = None,
                on_layout: Callable[[object], None] | None = None) -> bytes:
    """Typeset HTML with WeasyPrint into a tagged PDF/UA-1; any WeasyPrint warning is an error.

    Paragraph numbers go to the outer margins (coursepack.pagemap); ``on_layout`` is then given
    the laid-out document (to read the page map) before the PDF is drawn."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    if missing := missing_fonts(stylesheets):
        sheet, url = missing[0]
        raise ReaderError(sheet.relative_to(root) if sheet.is_relative_to(root) else sheet,
                          f"font file {url} not found; restore it from the repository "
                          "(fonts/) or fix the @font-face rule")
    refused = [] if refused is None else refused
    fetcher = project_fetcher(root, refused)
    fonts = FontConfiguration()
    with _weasyprint_warnings() as warnings:
        css = [CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts) for p in stylesheets]
        css.append(CSS(string=extra_css, font_config=fonts))
        source = HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher)
        document = source.render(stylesheets=css, font_config=fonts)
        for _ in range(3):  # each pass only unhyphenates paragraphs; lines elsewhere stay put
            ladders = hyphen_ladders(document)
            if not ladders:
                break
            for element in ladders:
                element.set("style", f"{element.get('style') or ''};hyphens:manual".lstrip(";"))
            document = source.render(stylesheets=css, font_config=fonts)
        place_paragraph_numbers(document)  # moves boxes; no second layout
        if on_layout is not None:
            on_layout(document)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    if warnings:
        raise ReaderError("WeasyPrint", f"{len(warnings)} warning(s), first: {warnings[0]}")
    if overflow := overflowing_text(document):
        where, text = overflow[0]
        place = f" in #{where}" if where else ""
        raise ReaderError("WeasyPrint", f"text runs off the page{place} "
                          f"(“{text[:30]}…”): a word too long for the line that could not be "
                          "broken; put a space before it in the source, or drop it with a rule")
    return pdf


# The text a WeasyPrint problem quotes: a character no font has ("日" (U+65E5)), or the start
# of a line that runs off the page (“…”).
_QUOTED = re.compile(r'"([^"]+)" \(U\+|“([^“”…]{4,})…?”')


def source_of(message: str, reader: Reader) -> str:
    """The input file (and line) holding the text a typesetting problem quotes, so the message
    names where to fix it; the reader file when it is found nowhere (or nothing is quoted)."""
    from .fsutil import read_text

    match = _QUOTED.search(message)
    needle = match and (match.group(1) or match.group(2))
    files = [*(p for r in reader.readings for p in (r.raw_path, r.yaml_path)),
             *reader.part_files, *(p for p in (reader.glossary, reader.editor_notes,
                                                reader.bibliography) if p), reader.path]
    for path in files if needle else ():
        try:
            text = read_text(path)
        except ReaderError:
            continue
        if (at := text.find(needle)) >= 0:
            return f"{_relative(path, reader.root)}:{text.count(chr(10), 0, at) + 1}"
    return _relative(reader.path, reader.root)


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def render_pdf(reader: Reader, edition: Edition, assembled: Path, templates: Path,
               html_out: Path, pdf_out: Path, page_map_out: Path | None = None) -> None:
    """The PDF task's action: write the print HTML (for inspection) and the PDF, atomically;
    with ``page_map_out``, also the page map the EPUB's page list is made from."""
    html = print_html(reader, assembled, edition, templates)
    write_atomic(html_out, html)
    maps: list[dict] = []
    try:
        with scratch(reader.root):  # WeasyPrint's font folder: inside build/, swept if killed
            pdf = html_to_pdf(html, reader.root, [templates / f for f in PDF_STYLESHEETS],
                              edition_css(edition, templates) + edition_name_css(edition.label),
                              on_layout=(lambda document: maps.append(
                                  page_map(document, edition.id, edition.label)))
                              if page_map_out else None)
    except ReaderError as exc:
        if exc.where != "WeasyPrint":
            raise
        raise ReaderError(source_of(exc.message, reader),
                          f"the {edition.label} edition: WeasyPrint: {exc.message}") from None
    if page_map_out is not None:
        write_atomic(page_map_out, json.dumps(maps[0], ensure_ascii=False, indent=1) + "\n")
    write_atomic(pdf_out, pdf)
