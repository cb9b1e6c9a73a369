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

from . import weasyprint_rules
from .assets import PDF_STYLESHEETS
from .buildlock import scratch
from .citing import edition_name_css
from .config import Edition, Reader
from .dates import build_epoch, iso_timestamp
from .errors import ReaderError
from .fsutil import write_atomic
from .pagemap import page_map, place_paragraph_numbers
from .pandoc import common_args, write
from .weasyprint_rules import MAX_HYPHENATED_RUN, line_ends_in_hyphen

PDF_VARIANT = "pdf/ua-1"


def print_html(reader: Reader, tree: Path, edition: Edition, templates: Path) -> str:
    """The standalone HTML the PDF is typeset from (title page, contents, body), written from
    the checked document tree (pandoc.document_tree)."""
    args = [
        *common_args(reader),
        f"--template={templates / 'print.html'}",
        "--section-divs",
        "--wrap=none",  # no line breaks inside attributes (they end up in the PDF metadata)
        f"--variable=edition:{html_escape(edition.label)}",  # variables are not escaped
        f"--variable=created:{iso_timestamp(build_epoch(reader))}",
    ]
    return write(tree, "html5", args)


# The heights of the named page sizes (CSS Paged Media), for what must stand at a page's foot.
PAGE_HEIGHTS_MM = {"a3": 420, "a4": 297, "a5": 210, "b4": 353, "b5": 250, "letter": 279.4,
                   "legal": 355.6, "ledger": 431.8}
LARGE_PRINT_PT = 14  # an edition with a body this size or larger is a large-print edition


def is_large_print(edition: Edition) -> bool:
    """Large print (ranged left, unhyphenated, nothing below body size): edition.css.j2."""
    return edition.font_size_pt >= LARGE_PRINT_PT


def edition_css(edition: Edition, templates: Path) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
                             undefined=jinja2.StrictUndefined)
    height = PAGE_HEIGHTS_MM.get(edition.page_size.strip().lower())
    return env.get_template("edition.css.j2").render(edition=edition, page_height_mm=height,
                                                     large=is_large_print(edition))


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


def hyphen_ladders(document) -> list:  # -> [element]
    """The elements with more than MAX_HYPHENATED_RUN consecutive lines ending in a hyphen.

    WeasyPrint 70 has no ``hyphenate-limit-lines``; weasyprint_rules limits the run while the
    lines are made, and this reads the layout to make sure, so that the caller can turn
    automatic hyphenation off for a paragraph it missed and lay out again (not seen since).
    """
    lines: dict = {}  # element -> [line ends in a hyphen], in reading order, across pages

    def walk(box) -> None:
        for child in getattr(box, "children", ()):
            if type(child).__name__ == "LineBox":
                lines.setdefault(box.element, []).append(line_ends_in_hyphen(child))
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


# Ids the notes filter (filters/notes.lua) gives each note and its call; the check stage
# reads the same ids from the PDF's links.
NOTE_ID = "fn-{}"
NOTE_CALL_ID = "fnref-{}"
_NOTE_ANCHOR = re.compile(r"fn(ref)?-(\d+)")
_BLOCKS = frozenset({"p", "blockquote", "li", "dt", "dd", "table", "h1", "h2", "h3", "h4",
                     "div", "section", "figure"})
MAX_LAYOUT_PASSES = 12


def note_pages(document) -> dict[int, tuple[int, int | None]]:
    """Note number -> (page of its call, page of its text), pages counted from 1."""
    calls: dict[int, int] = {}
    texts: dict[int, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if match := _NOTE_ANCHOR.fullmatch(anchor):
                (calls if match.group(1) else texts)[int(match.group(2))] = number
    return {n: (page, texts.get(n)) for n, page in sorted(calls.items())}


def misplaced_notes(document) -> list[int]:
    """The notes whose text is not on the page of their call."""
    return [n for n, (call, text) in note_pages(document).items() if call != text]


class _Tree:
    """Parents and document order of the source's elements, for the layout fixes."""

    def __init__(self, root) -> None:
        self.order = {el: i for i, el in enumerate(root.iter())}
        self.parent = {child: el for el in root.iter() for child in el}
        self.by_id = {el.get("id"): el for el in root.iter() if el.get("id")}

    def block_of(self, element):
        while element is not None and element.tag not in _BLOCKS:
            element = self.parent.get(element)
        return element

    def outermost_block(self, element):
        """The largest block that begins with ``element`` (a list item for its first
        paragraph): where a page break before ``element`` takes effect."""
        parent = self.parent.get(element)
        while (parent is not None and parent.tag in _BLOCKS - {"section"}
               and len(parent) and parent[0] is element and not (parent.text or "").strip()):
            element, parent = parent, self.parent.get(parent)
        return element

    def next_block(self, element):
        """The first block element after ``element`` and all it contains."""
        last = max((self.order[d] for d in element.iter()), default=self.order[element])
        return next((el for el, i in self.order.items() if i > last and el.tag in _BLOCKS
                     and el.tag != "section"), None)


def _elements_on(document, page_number: int) -> set:
    return {box.element for box in document.pages[page_number - 1]._page_box.descendants()
            if getattr(box, "element", None) is not None}


def _set_style(element, style: str | None) -> None:
    if style:
        element.set("style", style)
    else:
        element.attrib.pop("style", None)


def _add_style(element, declaration: str) -> None:
    element.set("style", f"{element.get('style') or ''};{declaration}".lstrip(";"))


def _note_fixes(document, tree: _Tree, n: int, call_page: int) -> list[tuple[object, str]]:
    """The changes to try, in turn, for note ``n``: (element, CSS declarations)."""
    call = tree.by_id[NOTE_CALL_ID.format(n)]
    paragraph = tree.block_of(call)
    fixes = []
    if paragraph not in _elements_on(document, call_page + 1):
        # The call's paragraph ends on the page: the block after it took the note's room.
        following = tree.next_block(paragraph)
        if following is not None:
            fixes += [(following, "widows:1;orphans:1"), (following, "break-before:page")]
    else:
        fixes.append((paragraph, "widows:1;orphans:1"))
    fixes += [(tree.by_id[NOTE_ID.format(n)], "footnote-policy:line"),
              (paragraph, "break-before:page")]
    return fixes


def place_notes(document, tree: _Tree, tried: dict[int, tuple[int, object, str | None]]
                ) -> bool:
    """Change the layout so that misplaced notes can land on their call's page.

    WeasyPrint defers a footnote to the next page when the lines after its call need the
    room (to keep widows and orphans), and deferred notes can come out of order. For the
    first misplaced note of each chapter (later ones move when it is fixed), one change is
    tried on each pass, the previous one undone, from the smallest to the largest: the block
    after the call's paragraph (or the paragraph, if it goes on over the page) may leave a
    single line behind (``widows``/``orphans`` 1); that block starts a new page; the note's
    line goes over with it (``footnote-policy: line``); the call's paragraph starts a new
    page. ``tried`` keeps, for each note, the next change and the last one made (to undo).
    Returns whether anything was changed."""
    pages = note_pages(document)
    changed = False
    done_chapters: set = set()
    for n in misplaced_notes(document):
        call = tree.by_id.get(NOTE_CALL_ID.format(n))
        if call is None:
            continue
        chapter = next((a for a in _ancestors(tree, call) if a.tag == "section"
                        and "level1" in (a.get("class") or "")), None)
        if chapter in done_chapters:
            continue
        done_chapters.add(chapter)
        step, last, before = tried.get(n, (0, None, None))
        fixes = _note_fixes(document, tree, n, pages[n][0])
        if step >= len(fixes):
            continue
        if last is not None:
            _set_style(last, before)
        element, declaration = fixes[step]
        tried[n] = (step + 1, element, element.get("style"))
        _add_style(element, declaration)
        changed = True
    return changed


MIN_PAGE_LINES = 4  # a page of a chapter carries at least this many lines (check.layout)


def _main_text_lines(box, found: dict) -> None:
    if type(box).__name__ in ("MarginBox", "FootnoteAreaBox"):
        return
    for child in getattr(box, "children", ()):
        if type(child).__name__ == "LineBox":
            if any(getattr(d, "text", "").strip() for d in child.descendants()):
                # One line per height on the page: a list item's marker is a line of its own.
                found.setdefault(round(child.position_y), box.element)
        else:
            _main_text_lines(child, found)


def page_lines(document) -> list[list]:
    """For each page, the block element of each line of its main text (not the running
    heads, folios or footnotes), top to bottom."""
    pages = []
    for page in document.pages:
        found: dict = {}
        _main_text_lines(page._page_box, found)
        pages.append([element for _, element in sorted(found.items())])
    return pages


def fill_near_empty_pages(document, tree: _Tree, moved: dict) -> bool:
    """Give a page that carries only a line or three of a chapter more of it.

    A page that opens a chapter (it has an ``h1``) may be short. Otherwise, when the first
    line on the page ends a paragraph begun on the page before, that paragraph leaves more
    lines over (``widows``); when a block begins the page, the last block of the page before
    moves over with it (it starts a new page), or the one before that if it already did.
    ``moved`` keeps each block changed so far, with its style before; a block moved before
    is put back when an earlier one moves instead. Returns whether anything was changed."""
    changed = False
    lines = page_lines(document)
    for number, elements in enumerate(lines[1:], start=1):
        if not 0 < len(elements) < MIN_PAGE_LINES:
            continue
        on_page = _elements_on(document, number + 1)
        if any(getattr(el, "tag", None) == "h1" or "imprint" in (el.get("class") or "")
               for el in on_page if el is not None):
            continue
        first, before = elements[0], [el for el in lines[number - 1] if el is not None]
        if not before or first is None:
            continue
        if first is before[-1] and first not in moved:
            moved[first] = first.get("style")
            _add_style(first, f"widows:{MIN_PAGE_LINES}")
            changed = True
            continue
        for element in reversed(dict.fromkeys(before)):
            target = tree.outermost_block(element)
            if target not in moved:
                for later in [el for el in moved if el in on_page]:  # moving more instead
                    _set_style(later, moved[later])  # still counted as tried
                moved[target] = target.get("style")
                _add_style(target, "break-before:page")
                changed = True
                break
    return changed


def _ancestors(tree: _Tree, element):
    while (element := tree.parent.get(element)) is not None:
        yield element


def html_to_pdf(html: str, root: Path, stylesheets: list[Path], extra_css: str,
                refused: list[str] | None = None,
                on_layout: Callable[[object], None] | None = None) -> bytes:
    """Typeset HTML with WeasyPrint into a tagged PDF/UA-1; any WeasyPrint warning is an error.

    WeasyPrint lays the document out once, taught the press's rules (weasyprint_rules: notes
    on their call's page, no hyphen ladders, no line ended early) and print.css's (no chapter
    ending on a page of a line or three). The layout is repeated only while a fault remains
    that those could not prevent: a hyphenation ladder (that paragraph is set again without
    automatic hyphenation), a note that is not on the page of its call (``place_notes``) or
    a page that carries only a line or three of a chapter (``fill_near_empty_pages``); every
    edition of both example readers needs none. A note still misplaced is an error.
    Paragraph numbers then go to the outer margins (coursepack.pagemap); ``on_layout`` is
    given the laid-out document (to read the page map) before the PDF is drawn."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    if missing := missing_fonts(stylesheets):
        sheet, url = missing[0]
        raise ReaderError(sheet.relative_to(root) if sheet.is_relative_to(root) else sheet,
                          f"font file {url} not found; restore it from the repository "
                          "(fonts/) or fix the @font-face rule")
    refused = [] if refused is None else refused
    fetcher = project_fetcher(root, refused)
    weasyprint_rules.apply()
    fonts = FontConfiguration()
    with _weasyprint_warnings() as warnings:
        css = [CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts) for p in stylesheets]
        css.append(CSS(string=extra_css, font_config=fonts))
        source = HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher)
        tree = _Tree(source.etree_element)
        document = source.render(stylesheets=css, font_config=fonts)
        tried: dict = {}
        moved: dict = {}
        for _ in range(MAX_LAYOUT_PASSES):
            ladders = hyphen_ladders(document)
            for element in ladders:  # only unhyphenates paragraphs; lines elsewhere stay put
                _add_style(element, "hyphens:manual")
            if not (place_notes(document, tree, tried) or ladders
                    or fill_near_empty_pages(document, tree, moved)):
                break
            document = source.render(stylesheets=css, font_config=fonts)
        if misplaced := misplaced_notes(document):
            pages = note_pages(document)
            raise ReaderError("notes", "; ".join(
                f"note {n} is called on page {pages[n][0]} but printed on page {pages[n][1]}"
                for n in misplaced) + ": shorten the note or rephrase around its call")
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
def link_descriptions(html: str) -> dict[str, str]:
    """For each element id a link can point to, what a reader is taken to: "Note 3",
    "Glossary: security dilemma", "Bibliography: Charap, Samuel …", "Greene ¶ 3"."""
    import lxml.html

    root = lxml.html.fromstring(html)
    found: dict[str, str] = {}
    for element in root.iter():
        ident = element.get("id") if isinstance(element.tag, str) else None
        if not ident:
            continue
        words = " ".join(element.text_content().replace("\u00ad", "").split()).split()
        text = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
        if match := _NOTE_ANCHOR.fullmatch(ident):
            text = (f"Back to the call of note {match.group(2)}" if match.group(1)
                    else f"Note {match.group(2)}")
        elif ident.startswith("gloss-"):
            text = f"Glossary: {text}"
        elif ident.startswith("ref-"):
            text = f"Bibliography: {text}"
        elif ident.startswith("use-"):
            text = f"Where the glossary term is used: {text}"
        elif element.get("data-label"):
            text = f"Citation in {element.get('data-label')}"
        elif not text:  # an empty anchor at a paragraph's start: the paragraph
            parent = element.getparent()
            words = " ".join(parent.text_content().split()).split() if parent is not None \
                else []
            text = "Passage: " + " ".join(words[:10]) + (" …" if len(words) > 10 else "")
        found[ident] = text
    return found


def describe_links(pdf: bytes, descriptions: dict[str, str]) -> bytes:
    """The PDF with each internal link's ``/Contents`` (its description for assistive
    technology, PDF/UA 7.18.5) saying where it leads instead of WeasyPrint's bare element
    id. Saved deterministically, so builds stay byte-identical."""
    import io

    import pikepdf

    source = pikepdf.open(io.BytesIO(pdf))
    with source:
        for page in source.pages:
            for annot in page.obj.get("/Annots", []):
                dest = annot.get("/Dest")
                if annot.get("/Subtype") == "/Link" and isinstance(dest, pikepdf.String) \
                        and str(dest) in descriptions:
                    annot.Contents = pikepdf.String(descriptions[str(dest)])
        out = io.BytesIO()
        source.save(out, deterministic_id=True)
    return out.getvalue()


def render_pdf(reader: Reader, edition: Edition, tree: Path, templates: Path,
               html_out: Path, pdf_out: Path, page_map_out: Path | None = None) -> None:
    """The PDF task's action: write the print HTML (for inspection) and the PDF, atomically;
    with ``page_map_out``, also the page map the EPUB's page list is made from."""
    html = print_html(reader, tree, edition, templates)
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
    write_atomic(pdf_out, describe_links(pdf, link_descriptions(html)))
