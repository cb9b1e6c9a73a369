"""The EPUB's pages from the print layout: page-break markers, the page list and its source.

The page map (coursepack.pagemap, written by the PDF task of the reader's page-list edition)
says where the text of each print page begins, as an element id and a number of words after it.
This module finds the same place in pandoc's XHTML (coursepack.textstream) and puts there

* a marker ``<span epub:type="pagebreak" role="doc-pagebreak" id="page-N" aria-label="N"/>``
  immediately before the page's first word: before the paragraph, heading or list that the
  word opens, else inside the text. A page that begins inside a word (hyphenated across the page
  break) gets its marker before that word, so that nothing of the page is skipped. A blank print
  page gets its marker with the next page's. Print-only pages (title page, imprint, contents)
  have none;
* a ``page-list`` navigation in ``nav.xhtml`` and a ``pageList`` in ``toc.ncx`` (calibre reads
  page lists from the NCX);
* the package metadata ``pageBreakSource`` naming the edition (and the reader's identifier);
  the ``pageBreakMarkers`` and ``pageNavigation`` accessibility features are declared with the
  others, from the built book (coursepack.render_epub).

It also fills what only the page map knows: each ``<span class="edition-name">`` with the
edition's label and each ``<a class="page-ref">`` with the page its target begins on.

Before a marker goes in, the words at its place are compared with the words that begin the
print page: a difference stops the build, so the EPUB never carries a page list that is wrong.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .errors import ReaderError
from .textstream import Stream, build_stream, local

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
# Where a <span> may stand between blocks (flow content), so a marker can precede a block.
FLOW_PARENTS = frozenset({"article", "aside", "blockquote", "body", "dd", "div", "figure",
                          "footer", "header", "li", "main", "nav", "section", "td", "th"})
# ... unless its ARIA role allows only certain children (citeproc's role="list" bibliography).
OWNING_ROLES = frozenset({"feed", "grid", "list", "listbox", "menu", "menubar", "radiogroup",
                          "row", "rowgroup", "table", "tablist", "tree", "treegrid"})


def page_id(page: int) -> str:
    return f"page-{page}"


@dataclass(frozen=True)
class Marker:
    """Where one page begins in one content document of the EPUB."""

    page: int
    document: str  # zip member name
    position: int  # in that document's stream


def _parse(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_blank_text=False)
    return etree.fromstring(data, parser)


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


def _serialise(root) -> bytes:
    """XHTML as pandoc writes it: an empty element keeps its end tag (``<span id="x"></span>``,
    never ``<span/>``, which a reading system that parses HTML would leave open)."""
    from lxml import etree

    for element in root.iter(etree.Element):
        if element.text is None and len(element) == 0 and local(element.tag) not in VOID:
            element.text = ""
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True,
                          doctype="<!DOCTYPE html>")


def spine_documents(book: zipfile.ZipFile) -> list[str]:
    """The zip names of the spine's XHTML documents, in reading order."""
    opf_name = next(n for n in book.namelist() if n.endswith(".opf"))
    opf = _parse(book.read(opf_name))
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    hrefs = {item.get("id"): item.get("href") for item in opf.iterfind(".//opf:item", ns)}
    base = posixpath.dirname(opf_name)
    return [posixpath.join(base, hrefs[ref.get("idref")])
            for ref in opf.iterfind(".//opf:itemref", ns) if ref.get("idref") in hrefs]


def _words_match(found: list[str], expected: list[str]) -> bool:
    return found[:len(expected)] == expected


def locate(page_map: dict, streams: dict[str, Stream]) -> list[Marker]:
    """Where each page's marker goes: the page map's (id, words) found in the EPUB's streams.

    Raises ReaderError if an id is missing or the words there are not the print page's."""
    owner = {anchor: name for name, stream in streams.items() for anchor in stream.ids}
    markers: list[Marker] = []
    waiting: list[int] = []  # blank pages, placed with the next page that has text
    for entry in page_map["pages"]:
        if entry.get("blank"):
            waiting.append(entry["page"])
            continue
        if "anchor" not in entry:
            waiting = []  # a print-only page (title page, contents): no marker
            continue
        anchor = entry["anchor"]
        if anchor not in owner:
            raise ReaderError("page list", f"page {entry['page']} begins after #{anchor}, "
                              "which the EPUB does not have; the print and EPUB texts differ")
        stream = streams[owner[anchor]]
        position = stream.resolve(anchor, entry["words"])
        found = stream.words_at(position, len(entry["first"]))
        if not _words_match(found, entry["first"]):
            raise ReaderError("page list", f"page {entry['page']} of the print edition begins "
                              f"“{' '.join(entry['first'])}”, but the EPUB has "
                              f"“{' '.join(found)}” there (#{anchor} + {entry['words']} "
                              "words); the print and EPUB texts differ")
        markers += [Marker(p, owner[anchor], position) for p in [*waiting, entry["page"]]]
        waiting = []
    return markers


def _marker_element(page: int):
    from lxml import etree

    span = etree.Element(f"{{{XHTML_NS}}}span", nsmap={"epub": EPUB_NS})
    span.set(f"{{{EPUB_NS}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", page_id(page))
    span.set("aria-label", str(page))
    return span


def _block_opened_at(stream: Stream, position: int):
    """The innermost block that ``position`` (a word start) opens and before which a span may
    stand, or None."""
    import bisect

    starts = stream.word_starts
    opened = [element for start, element in stream.blocks
              if (i := bisect.bisect_left(starts, start)) < len(starts) and starts[i] == position
              and element.getparent() is not None
              and local(element.getparent().tag) in FLOW_PARENTS
              and element.getparent().get("role") not in OWNING_ROLES]
    return opened[-1] if opened else None


def _hoisted(host, attr: str, offset: int) -> tuple[object, str, int]:
    """A text position at the very start of inline elements, moved out of them (a marker before
    a glossary term stands before its ``<dfn>``, not inside it)."""
    from .textstream import BLOCKS

    while (attr == "text" and offset == 0 and local(host.tag) not in BLOCKS
           and host.getparent() is not None):
        parent, previous = host.getparent(), host.getprevious()
        if previous is not None:
            if (previous.tail or "").strip():
                break
            host, attr, offset = previous, "tail", len(previous.tail or "")
            break
        if (parent.text or "").strip():
            break
        host, attr, offset = parent, "text", len(parent.text or "")
    return host, attr, offset


def insert_markers(root, stream: Stream, markers: list[Marker]) -> None:
    """Put the markers into one document's tree (``stream`` is that tree's, built before)."""
    at: dict[int, list[int]] = {}
    for marker in markers:
        at.setdefault(marker.position, []).append(marker.page)
    # From the end backwards: a split text node leaves every earlier position where it was.
    for position in sorted(at, reverse=True):
        elements = [_marker_element(page) for page in sorted(at[position])]
        block = _block_opened_at(stream, position)
        if block is not None:
            for element in elements:
                block.addprevious(element)
            continue
        segment, offset = stream.segment_at(position)
        host, attr, offset = _hoisted(segment.element, segment.attr, offset)
        text = getattr(host, attr) or ""
        setattr(host, attr, text[:offset])
        if attr == "text":
            host.insert(0, elements[0])
        else:
            host.addnext(elements[0])
        for before, element in itertools.pairwise(elements):
            before.addnext(element)
        elements[-1].tail = text[offset:]


def fill_references(root, labels: dict[str, str], anchors: dict[str, int]) -> bool:
    """Fill ``span.edition-name`` and ``a.page-ref`` (see module docstring); True if any."""
    changed = False
    for element in root.iter(f"{{{XHTML_NS}}}span", f"{{{XHTML_NS}}}a"):
        classes = (element.get("class") or "").split()
        if "edition-name" in classes:
            element.text = labels["edition"]
            changed = True
        elif "page-ref" in classes:
            target = (element.get("href") or "").rpartition("#")[2]
            if target not in anchors:
                raise ReaderError("page list", f"a page reference to #{target}, which is on no "
                                  "page of the print edition")
            element.text = str(anchors[target])
            changed = True
    return changed


def page_list_nav(hrefs: list[tuple[int, str]], label: str) -> str:
    """The ``page-list`` nav element (hidden: reading systems offer it as "go to page")."""
    items = "".join(f'      <li><a href={quoteattr(href)}>{page}</a></li>\n'
                    for page, href in hrefs)
    title = escape(f"Pages of the {label} edition")
    return (f'<nav epub:type="page-list" role="doc-pagelist" id="page-list" '
            f'aria-label={quoteattr(title)} hidden="hidden">\n'
            f"  <h2>{title}</h2>\n  <ol>\n{items}  </ol>\n</nav>\n")


def ncx_page_list(hrefs: list[tuple[int, str]], label: str, first_play_order: int) -> str:
    """The NCX ``pageList`` (EPUB 2 reading systems and calibre read page lists here)."""
    targets = "".join(
        f'    <pageTarget id="pageTarget-{page}" type="normal" value="{page}" '
        f'playOrder="{first_play_order + i}">\n'
        f"      <navLabel><text>{page}</text></navLabel>\n"
        f"      <content src={quoteattr(href)} />\n    </pageTarget>\n"
        for i, (page, href) in enumerate(hrefs))
    return (f"  <pageList>\n    <navLabel><text>{escape(f'Pages of the {label} edition')}"
            f"</text></navLabel>\n{targets}  </pageList>\n")


def package_meta(source: str) -> str:
    """The package document's page source. The features it brings (pageBreakMarkers,
    pageNavigation) are declared with the others, from the built book (render_epub)."""
    return f'    <meta property="pageBreakSource">{escape(source)}</meta>\n'


def page_source(title: str, label: str, version: str, identifier: str) -> str:
    """How ``pageBreakSource`` names the edition: "Why Putin Fights, A4 edition, version 1.0.0
    (urn:uuid:…)"."""
    return f"{title}, {label} edition, version {version} ({identifier})"


def with_page_list(epub: bytes, page_map: dict, source: str) -> bytes:
    """The EPUB with page-break markers, page lists and page metadata (module docstring)."""
    book = zipfile.ZipFile(io.BytesIO(epub))
    documents = spine_documents(book)
    trees = {name: _parse(book.read(name)) for name in documents}
    bodies = {name: next(root.iter(f"{{{XHTML_NS}}}body")) for name, root in trees.items()}
    streams = {name: build_stream(body) for name, body in bodies.items()}
    markers = locate(page_map, streams)
    label = page_map["label"]
    changed: dict[str, bytes] = {}
    for name, root in trees.items():
        own = [m for m in markers if m.document == name]
        insert_markers(root, streams[name], own)
        filled = fill_references(root, {"edition": label}, page_map["anchors"])
        if own or filled:
            changed[name] = _serialise(root)
    nav_name = next(n for n in book.namelist() if n.endswith("nav.xhtml"))
    ncx_name = next((n for n in book.namelist() if n.endswith(".ncx")), None)

    def href(marker: Marker, base: str) -> str:
        path = posixpath.relpath(marker.document, posixpath.dirname(base))
        return f"{path}#{page_id(marker.page)}"

    def edit(name: str, data: bytes) -> bytes:
        if name in changed:
            return changed[name]
        if name not in (nav_name, ncx_name) and not name.endswith(".opf"):
            return data
        text = data.decode("utf-8")
        if name == nav_name:
            nav = page_list_nav([(m.page, href(m, name)) for m in markers], label)
            return text.replace("</body>", nav + "</body>", 1).encode("utf-8")
        if name == ncx_name:
            play_orders = [int(v) for v in re.findall(r'playOrder="(\d+)"', text)]
            pages = ncx_page_list([(m.page, href(m, name)) for m in markers], label,
                                  max(play_orders, default=0) + 1)
            return text.replace("</ncx>", pages + "</ncx>", 1).encode("utf-8")
        return text.replace("  </metadata>", package_meta(source) + "  </metadata>",
                            1).encode("utf-8")

    from .render_epub import rewrite_members

    return rewrite_members(epub, edit)
