"""Render stage (EPUB): the assembled document -> EPUB 3 (pandoc), with accessibility metadata.

The identifier is fixed by the reader's YAML and SOURCE_DATE_EPOCH is set for pandoc, so two
builds of the same inputs are byte-identical.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2

from .assets import EPUB_NUMBERS_FILTER, EPUB_STYLESHEETS
from .config import Reader
from .dates import build_epoch
from .errors import ReaderError
from .fsutil import write_atomic
from .pandoc import common_args, write

PANDOC_A11Y_META = re.compile(r'[ \t]*<meta property="schema:access[^"]*">[^<]*</meta>\n')


@dataclass(frozen=True)
class BookFacts:
    """What the built book has, read from it: the accessibility metadata says no more."""

    images: int  # images, the cover included
    described: int  # images with a text alternative
    notes: int
    glossary_terms: int
    bibliography_entries: int
    foreign_phrases: int  # passages marked with their own language
    page_breaks: int = 0  # markers of a print edition's page breaks (coursepack.pagelist)
    page_list: bool = False  # the navigation document lists those pages


def book_facts(epub: bytes) -> BookFacts:
    """Count, in the built EPUB's documents, what its accessibility metadata may claim."""
    book = zipfile.ZipFile(io.BytesIO(epub))
    text = "".join(book.read(n).decode("utf-8") for n in sorted(book.namelist())
                   if n.endswith(".xhtml") and not n.endswith("nav.xhtml"))
    nav = "".join(book.read(n).decode("utf-8") for n in book.namelist()
                  if n.endswith("nav.xhtml"))
    images = re.findall(r"<(?:img|image)\b[^>]*>", text)
    described = sum(1 for tag in re.findall(r"<img\b[^>]*>", text)
                    if re.search(r'\balt="[^"]*\w', tag))
    described += len(re.findall(r'<svg\b[^>]*role="img"[^>]*aria-label="[^"]*\w', text))
    return BookFacts(
        images=len(images), described=described,
        notes=len(re.findall(r'role="doc-noteref"', text)),
        glossary_terms=len(re.findall(r'epub:type="glossterm"', text)),
        bibliography_entries=len(re.findall(r'class="csl-entry"', text)),
        foreign_phrases=len(re.findall(r'<span lang="[^"]+"', text)),
        page_breaks=len(re.findall(r'epub:type="pagebreak"', text)),
        page_list='epub:type="page-list"' in nav)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def accessibility_features(facts: BookFacts) -> list[str]:
    """schema:accessibilityFeature values the book has (not one more)."""
    features = ["structuralNavigation", "tableOfContents", "readingOrder",
                "displayTransformability"]
    if facts.images and facts.described == facts.images:
        features.append("alternativeText")
    if facts.page_breaks:
        features.append("pageBreakMarkers")
    if facts.page_list:
        features.append("pageNavigation")
    return features


def accessibility_summary(facts: BookFacts) -> str:
    """The EPUB's accessibility summary, saying only what this book has."""
    if facts.images == 0:
        images = "It has no images."
    elif facts.described == facts.images:
        images = ("Its one image is a typographic cover, described in its alternative text."
                  if facts.images == 1 else
                  f"Each of its {facts.images} images is described in its alternative text.")
    else:
        images = (f"{facts.images - facts.described} of its {facts.images} images have no "
                  "text alternative.")
    parts = []
    if facts.notes:
        parts.append(f"{_count(facts.notes, 'note')} numbered once for the whole book, each "
                     "linked from its call and back")
    if facts.glossary_terms:
        parts.append(f"a glossary of {_count(facts.glossary_terms, 'term')}, linked from "
                     "their first uses and back")
    if facts.bibliography_entries:
        parts.append(f"a bibliography of {_count(facts.bibliography_entries, 'work')}, linked "
                     "from every citation and back")
    has = (f" It has {'; '.join(parts[:-1])}; and {parts[-1]}." if len(parts) > 1
           else f" It has {parts[0]}." if parts else "")
    foreign = (f" The language of {_count(facts.foreign_phrases, 'passage')} in other "
               "languages is marked." if facts.foreign_phrases else "")
    pages = (" It marks the page breaks of the print edition named as its page source"
             + (", with a page list to go to any page." if facts.page_list else ".")
             if facts.page_breaks else "")
    return ("This publication is text, with a navigable table of contents, landmarks and "
            f"headings in a logical order. {images}{has}{foreign}{pages} Text can be resized "
            "and restyled by the reading system; no font or colour is imposed.")


def epub_metadata(reader: Reader, templates: Path, facts: BookFacts | None = None) -> str:
    """Package metadata pandoc cannot write from Markdown metadata (accessibility), from the
    facts of the built book (without them, only what pandoc reads: the publisher)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
                             undefined=jinja2.StrictUndefined, autoescape=False)
    return env.get_template("epub-metadata.xml.j2").render(
        publisher=escape(", ".join(reader.editors)), facts=facts,
        features=accessibility_features(facts) if facts else [],
        summary=escape(accessibility_summary(facts)) if facts else "")


def rewrite_members(epub: bytes, edit: Callable[[str, bytes], bytes]) -> bytes:
    """The EPUB with ``edit(name, data)`` applied to every member. Entries keep their order,
    dates and compression, so ``mimetype`` stays first and stored and builds reproducible."""
    source = zipfile.ZipFile(io.BytesIO(epub))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, edit(info.filename, source.read(info)))
    return out.getvalue()


def with_package_meta(epub: bytes, fragment: str) -> bytes:
    """The EPUB with the fragment's ``<meta>`` elements in its package document.

    pandoc keeps only the Dublin Core elements of ``--epub-metadata`` and writes default
    ``schema:`` accessibility properties of its own: those are replaced by the fragment's (with
    the summary and ``dcterms:conformsTo`` pandoc cannot write).
    """
    metas = [line.strip() for line in fragment.splitlines() if line.strip().startswith("<meta")]

    def edit(name: str, data: bytes) -> bytes:
        if not name.endswith(".opf"):
            return data
        opf = PANDOC_A11Y_META.sub("", data.decode("utf-8"))
        if "</metadata>" not in opf:
            raise ReaderError(name, "no </metadata> in pandoc's package document")
        injected = "".join(f"    {m}\n" for m in metas)
        return opf.replace("  </metadata>", f"{injected}  </metadata>", 1).encode("utf-8")

    return rewrite_members(epub, edit)


# Landmarks pandoc does not write: where reading starts, and the reference parts (glossary,
# bibliography) by the epub:type their sections carry (coursepack.assemble).
BODYMATTER_LABEL = "Start of content"
REFERENCE_LANDMARKS = ("glossary", "bibliography")


def landmark_labels(reader: Reader) -> dict[str, str]:
    """epub:type -> label of each extra landmark the reader can have: the reference parts are
    labelled with their titles in the reader file."""
    labels = {"bodymatter": BODYMATTER_LABEL}
    for kind in REFERENCE_LANDMARKS:
        if part := reader.part(kind):
            labels[kind] = part.title
    return labels


def landmark_targets(epub: bytes, labels: dict[str, str]) -> list[tuple[str, str, str]]:
    """(href from the nav document, epub:type, label) of each extra landmark found, in the
    order of ``labels`` (the first body-matter chapter, the glossary, the bibliography)."""
    book = zipfile.ZipFile(io.BytesIO(epub))
    opf_name = next(n for n in book.namelist() if n.endswith(".opf"))
    opf = book.read(opf_name).decode("utf-8")
    hrefs = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    spine = [hrefs[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf) if i in hrefs]
    base = posixpath.dirname(opf_name)
    found: dict[str, str] = {}
    for href in spine:
        text = book.read(posixpath.join(base, href)).decode("utf-8")
        for kind in labels:
            if kind in found:
                continue
            if kind == "bodymatter" and '<body epub:type="bodymatter">' in text:
                found[kind] = href
            elif match := re.search(rf'id="([^"]+)"[^>]*epub:type="{kind}"', text):
                found[kind] = f"{href}#{match.group(1)}"
    return [(found[k], k, label) for k, label in labels.items() if k in found]


def with_landmarks(epub: bytes, labels: dict[str, str]) -> bytes:
    """The EPUB with landmarks for the start of content and the reference parts (``labels``:
    epub:type -> label, see ``landmark_labels``)."""
    items = "".join(f'    <li>\n      <a href="{href}" epub:type="{kind}">{escape(label)}</a>\n'
                    "    </li>\n" for href, kind, label in landmark_targets(epub, labels))

    def edit(name: str, data: bytes) -> bytes:
        if not name.endswith("nav.xhtml"):
            return data
        nav = data.decode("utf-8")
        at = nav.find("</ol>", nav.find('epub:type="landmarks"'))
        if at < 0:
            raise ReaderError(name, "pandoc wrote no landmarks list to extend")
        at = nav.rfind("\n", 0, at) + 1  # before the line that closes the list
        return (nav[:at] + items + nav[at:]).encode("utf-8")

    return rewrite_members(epub, edit)


def cover_description(reader: Reader) -> str:
    """The cover's text alternative: what the typographic cover shows (coursepack.cover)."""
    from .assemble import AUTHORS_BY, reading_authors

    authors = reading_authors(reader)
    shown = [reader.title, reader.subtitle,
             AUTHORS_BY.format(" and ".join(authors)) if authors else "",
             f"Edited by {', '.join(reader.editors)}"]
    return "Cover: " + ". ".join(s.rstrip(".") for s in shown if s) + "."


_TITLE = re.compile(r"<title>[^<]*</title>")
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
_SECTION_ID = re.compile(r'<section id="([^"]+)"')


def _plain(markup: str) -> str:
    """The visible text of an h1 (the hidden author span of an essay's heading left out)."""
    import lxml.html

    heading = lxml.html.fragment_fromstring(markup, create_parent="h1")
    for span in heading.xpath('.//span[contains(concat(" ", @class, " "), " chapter-author ")]'):
        span.drop_tree()
    return " ".join(heading.text_content().split())


def with_accessible_documents(epub: bytes, reader: Reader) -> bytes:
    """Each chapter's ``<title>`` is its heading, not its file name; the cover image has a
    text alternative; the chapters of the reader's back matter are ``backmatter``."""
    back = {part.id for part in reader.back_matter}
    cover = escape(cover_description(reader), {'"': "&quot;"})

    def edit(name: str, data: bytes) -> bytes:
        if not name.endswith(".xhtml") or name.endswith("nav.xhtml"):
            return data
        text = data.decode("utf-8")
        if '<body id="cover">' in text:
            text = text.replace("<svg ", f'<svg role="img" aria-label="{cover}" ', 1)
        elif heading := _H1.search(text):
            text = _TITLE.sub(f"<title>{escape(_plain(heading.group(1)))}</title>", text, 1)
        section = _SECTION_ID.search(text)
        if section and section.group(1) in back:
            text = text.replace('<body epub:type="bodymatter">',
                                '<body epub:type="backmatter">', 1)
        return text.encode("utf-8")

    return rewrite_members(epub, edit)


def epub_args(reader: Reader, templates: Path, metadata_xml: Path,
              cover: Path | None = None) -> list[str]:
    args = [
        *common_args(reader),
        *(f"--css={templates / name}" for name in EPUB_STYLESHEETS),
        f"--lua-filter={templates / EPUB_NUMBERS_FILTER}",
        f"--epub-metadata={metadata_xml}",
        "--split-level=1",
    ]
    if cover is not None:
        args.append(f"--epub-cover-image={cover}")
    return args


def render_epub(reader: Reader, tree: Path, templates: Path, metadata_out: Path,
                epub_out: Path, cover_out: Path, page_map: Path) -> None:
    """The EPUB task's action: write the package metadata and the typographic cover (drawn
    from the reader's metadata), then the EPUB with the page list of the print edition the
    page map describes (coursepack.pagelist), each atomically."""
    import json

    from .cover import reader_cover
    from .pagelist import page_source, with_page_list

    write_atomic(metadata_out, epub_metadata(reader, templates))  # what pandoc reads
    write_atomic(cover_out, reader_cover(reader))
    fd, name = tempfile.mkstemp(dir=epub_out.parent, prefix=f".{epub_out.name}.", suffix=".part")
    os.close(fd)  # a name of its own: two builds never share it
    tmp = Path(name)
    try:
        write(tree, "epub3", epub_args(reader, templates, metadata_out, cover_out),
              output=tmp, source_date_epoch=build_epoch(reader), sandbox=False)
        epub = with_accessible_documents(tmp.read_bytes(), reader)
        edition = reader.page_source
        source = page_source(reader.title, edition.label, reader.version, reader.identifier)
        pages = json.loads(page_map.read_text(encoding="utf-8"))
        epub = with_page_list(with_landmarks(epub, landmark_labels(reader)), pages, source)
        # The accessibility metadata describes the book as built, so it is written last.
        write_atomic(metadata_out, epub_metadata(reader, templates, book_facts(epub)))
        write_atomic(epub_out, with_package_meta(epub, metadata_out.read_text()))
    finally:
        tmp.unlink(missing_ok=True)
