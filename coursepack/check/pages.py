"""Pages and paragraph numbers, checked across formats: what the EPUB says against what the PDF
of its page-list edition shows (text read from the PDF with pypdfium2, never from our layout).

* ``page-list`` -- every page-break marker of the EPUB stands immediately before the first words
  of its PDF page (a blank PDF page's marker directly before the next page's); markers run in
  order with none missing between the first and the last; the ``page-list`` nav, the NCX
  ``pageList`` and the markers agree; the package names its ``pageBreakSource``.
* ``paragraph-numbers`` -- the numbers printed in the PDF's margins are those of the EPUB, in
  the same order, each beside the same words; every number stands in its page's *outer* margin.
* ``paragraph-labels`` -- every "¶ n" that a link of the EPUB prints (glossary, bibliography,
  comparison, the citing aid) leads to a paragraph that shows the number n.
* ``calibre-pages`` -- calibre's own reader of page lists (the NCX ``pageList``; calibre 6
  reads none from the nav) finds every marker's page, each landing on an element.

The page map (coursepack.pagemap) gives only each PDF page's text area, so that running heads,
folios and margin numbers are told apart from the body text.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..textstream import Stream, build_stream, local
from .common import Finding, _guarded

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
PILCROW = re.compile(r"¶\s*(\d+)")
WORDS = 3  # words compared at each place


def _letters(word: str) -> str:
    return "".join(c for c in word if c.isalpha())


def _words(words: list[str], count: int = WORDS) -> list[str]:
    """Words as letters only (footnote calls, quotes and digits aside), the empty ones dropped."""
    return [w for w in map(_letters, words) if w][:count]


def same_place(epub_words: list[str], pdf_words: list[str]) -> bool:
    """Whether the EPUB's words after a marker are the PDF page's first words. The page may
    begin inside a word hyphenated across the page break: the EPUB has the whole word."""
    e, p = _words(epub_words), _words(pdf_words)
    return bool(e and p) and len(e) == len(p) and e[0].endswith(p[0]) and e[1:] == p[1:]


@dataclass
class _Book:
    documents: dict[str, object]  # spine name -> parsed XHTML root
    streams: dict[str, Stream]
    nav: object
    ncx: bytes | None
    opf: bytes


def _read_book(path: Path) -> _Book:
    from ..pagelist import _parse, spine_documents

    with zipfile.ZipFile(path) as zf:
        names = spine_documents(zf)
        documents = {n: _parse(zf.read(n)) for n in names}
        nav_name = next(n for n in zf.namelist() if n.endswith("nav.xhtml"))
        ncx_name = next((n for n in zf.namelist() if n.endswith(".ncx")), None)
        opf_name = next(n for n in zf.namelist() if n.endswith(".opf"))
        nav, ncx, opf = (_parse(zf.read(nav_name)), zf.read(ncx_name) if ncx_name else None,
                         zf.read(opf_name))
    streams = {n: build_stream(next(root.iter(f"{XHTML}body"))) for n, root in documents.items()}
    return _Book(documents, streams, nav, ncx, opf)


def _markers(book: _Book) -> list[tuple[int, str, int]]:
    """(page, document, position) of every page-break marker, in reading order."""
    found = []
    for name, root in book.documents.items():
        stream = book.streams[name]
        for element in root.iter(f"{XHTML}span"):
            if "pagebreak" in (element.get(EPUB_TYPE) or "").split():
                found.append((int(element.get("aria-label") or -1), name,
                              stream.ids[element.get("id")]))
    return found


def _pdf_pages(pdf: Path, page_map: dict) -> list[list[str]]:
    """The words of each PDF page's text area, in the PDF's own order."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for index, entry in enumerate(page_map["pages"]):
            textpage = document[index].get_textpage()
            pages.append(textpage.get_text_bounded(*entry["area"]).split())
        return pages
    finally:
        document.close()


def page_list_messages(epub: Path, pdf: Path, page_map: dict) -> list[str]:
    """See the module docstring, ``page-list``."""
    book = _read_book(epub)
    markers = _markers(book)
    pages = _pdf_pages(pdf, page_map)
    problems: list[str] = []
    if not markers:
        return ["the EPUB has no page-break markers"]
    numbers = [page for page, _, _ in markers]
    if numbers != sorted(set(numbers)):
        problems.append(f"page-break markers are out of order or repeated: {numbers}")
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if missing:
        problems.append(f"no page-break marker for page(s) {missing}")
    for i, (page, name, position) in enumerate(markers):
        if not 1 <= page <= len(pages):
            problems.append(f"marker for page {page}: the PDF has {len(pages)} pages")
            continue
        stream = book.streams[name]
        printed = pages[page - 1]
        if not _words(printed):
            follows = markers[i + 1] if i + 1 < len(markers) else None
            between = (stream.words_at(position, 1) if follows is None or follows[1] != name
                       else stream.text[position:follows[2]].split())
            if between:
                problems.append(f"page {page} is blank in the PDF, but its marker in {name} is "
                                f"followed by “{' '.join(between[:WORDS])}”")
            continue
        found = stream.words_at(position, WORDS + 2)
        if not same_place(found, printed[:WORDS + 2]):
            problems.append(f"page {page}: the PDF page begins “{' '.join(printed[:WORDS])}”, "
                            f"but the EPUB's marker (in {name}) stands before "
                            f"“{' '.join(found[:WORDS])}”")
    problems += _navigation_problems(book, numbers)
    return problems


def _navigation_problems(book: _Book, numbers: list[int]) -> list[str]:
    problems = []
    lists = [nav for nav in book.nav.iter(f"{XHTML}nav")
             if "page-list" in (nav.get(EPUB_TYPE) or "").split()]
    if len(lists) != 1:
        return [f"nav.xhtml has {len(lists)} page-list navs, not 1"]
    listed = [(a.text or "").strip() for a in lists[0].iter(f"{XHTML}a")]
    hrefs = [a.get("href") or "" for a in lists[0].iter(f"{XHTML}a")]
    if listed != [str(n) for n in numbers]:
        problems.append(f"the page-list nav lists pages {listed}, the markers are {numbers}")
    if any(h.rpartition("#")[2] != f"page-{t}" for h, t in zip(hrefs, listed, strict=True)):
        problems.append("a page-list entry does not link to its page's marker")
    if book.ncx is not None:
        ncx_pages = re.findall(rb'<pageTarget [^>]*value="(\d+)"', book.ncx)
        if [int(v) for v in ncx_pages] != numbers:
            problems.append("the NCX pageList and the markers differ")
    if not re.search(rb'<meta property="pageBreakSource">[^<]+</meta>', book.opf):
        problems.append("the package has a page list but no pageBreakSource")
    return problems


def _epub_numbers(book: _Book) -> list[tuple[str, list[str]]]:
    """(number, first words of its paragraph) for every visible paragraph number."""
    found = []
    for name, root in book.documents.items():
        stream = book.streams[name]
        for element in root.iter(f"{XHTML}span"):
            if "pnum" in (element.get("class") or "").split():
                anchor = element.getprevious()
                if anchor is None or anchor.get("id") not in stream.ids:
                    found.append(((element.text or "").strip(), ["(no", "link", "target)"]))
                    continue
                position = stream.resolve(anchor.get("id"), 0)
                found.append(((element.text or "").strip(), stream.words_at(position, WORDS)))
    return found


def _pdf_numbers(pdf: Path, page_map: dict) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(number, words of the body line beside it) for every number in the PDF's margins, and
    the problems of numbers on the inner side."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    found, problems = [], []
    try:
        for index, entry in enumerate(page_map["pages"]):
            x0, y0, x1, y1 = entry["area"]
            textpage = document[index].get_textpage()
            margin = []
            for r in range(textpage.count_rects()):
                left, bottom, right, top = textpage.get_rect(r)
                if y0 - 1 <= bottom and top <= y1 + 1 and (right < x0 or left > x1):
                    text = textpage.get_text_bounded(left, bottom, right, top).strip()
                    if text.isdigit():
                        margin.append((top, left, right, bottom, text))
            for top, left, right, bottom, text in sorted(margin, key=lambda m: -m[0]):
                outer = right < x0 if entry["side"] == "left" else left > x1
                if not outer:
                    problems.append(f"page {entry['page']}: ¶ {text} is in the inner margin")
                line = textpage.get_text_bounded(x0, bottom, x1, top).split()
                found.append((text, line[:WORDS + 2]))
    finally:
        document.close()
    return found, problems


def paragraph_number_messages(epub: Path, pdf: Path, page_map: dict) -> list[str]:
    """See the module docstring, ``paragraph-numbers``."""
    book = _read_book(epub)
    in_epub = _epub_numbers(book)
    in_pdf, problems = _pdf_numbers(pdf, page_map)
    if [n for n, _ in in_pdf] != [n for n, _ in in_epub]:
        problems.append(f"the PDF's margins number {len(in_pdf)} paragraphs, the EPUB "
                        f"{len(in_epub)}: {_first_difference(in_pdf, in_epub)}")
        return problems
    for (n, printed), (_, shown) in zip(in_pdf, in_epub, strict=True):
        # pdfium may drop the space after a comma the number's box does not reach, so the
        # line's letters must begin with the paragraph's first word.
        if not _words(printed) or not _words(shown) or \
                not "".join(_words(printed)).startswith(_words(shown)[0]):
            problems.append(f"¶ {n} stands beside “{' '.join(printed[:WORDS])}” in the PDF, "
                            f"but opens “{' '.join(shown)}” in the EPUB")
    return problems


def _first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x[0] != y[0]:
            return f"number {i + 1} is ¶ {x[0]} in the PDF, ¶ {y[0]} in the EPUB"
    return "one has more than the other"


def paragraph_label_messages(epub: Path) -> list[str]:
    """See the module docstring, ``paragraph-labels``."""
    book = _read_book(epub)
    problems = []
    for name, root in book.documents.items():
        for link in root.iter(f"{XHTML}a"):
            text = "".join(link.itertext())
            match = PILCROW.search(text)
            if not match:
                continue
            path, _, fragment = (link.get("href") or "").partition("#")
            target_name = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) \
                if path else name
            target = next((e for e in book.documents.get(target_name, root).iter()
                           if e.get("id") == fragment), None)
            shown = _shown_number(target)
            if shown != match.group(1):
                problems.append(f"{name}: “{' '.join(text.split())}” leads to #{fragment}, "
                                f"whose paragraph shows {'¶ ' + shown if shown else 'no number'}")
    return problems


def _shown_number(element) -> str | None:
    """The number shown at the start of the paragraph holding ``element``."""
    while element is not None and local(element.tag) != "p":
        element = element.getparent()
    if element is None:
        return None
    number = next((s for s in element.iter(f"{XHTML}span")
                   if "pnum" in (s.get("class") or "").split()), None)
    return (number.text or "").strip() if number is not None else None


def check_pages(epub: Path, pdf: Path, page_map_path: Path, calibre: bool = True
                ) -> list[Finding]:
    """The cross-format checks (module docstring) on one EPUB and its page-list PDF."""
    artifact = str(epub)
    try:
        page_map = json.loads(Path(page_map_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Finding(artifact, "page-list", f"cannot read the page map: {exc}")]
    findings = _guarded(artifact, "page-list", lambda: page_list_messages(epub, pdf, page_map))
    findings += _guarded(artifact, "paragraph-numbers",
                         lambda: paragraph_number_messages(epub, pdf, page_map))
    findings += _guarded(artifact, "paragraph-labels", lambda: paragraph_label_messages(epub))
    if calibre:
        findings += _guarded(artifact, "calibre-pages", lambda: calibre_page_list_messages(epub))
    return findings



# Run by calibre's own Python (calibre-debug): calibre's reading of the book's page list.
_CALIBRE_READS_PAGES = """
import json, sys
from calibre.ebooks.oeb.polish.container import get_container
from calibre.ebooks.oeb.polish.toc import find_existing_ncx_toc, parse_ncx
container = get_container(sys.argv[-1], tweak_mode=True)
found = []
for entry in parse_ncx(container, find_existing_ncx_toc(container)).page_list:
    root = container.parsed(entry["dest"])
    found.append([entry["pagenum"], bool(root.xpath("//*[@id=$i]", i=entry["frag"] or ""))])
print("PAGES " + json.dumps(found))
"""


def calibre_page_list_messages(epub: Path) -> list[str]:
    """calibre reads the pages of the print edition from the NCX ``pageList`` (calibre 6's
    viewer has no page list, and its EPUB 3 conversion rebuilds the NCX from the nav's
    contents, dropping pages): calibre's own NCX reader must find every marker's page, each
    landing on an element of the book."""
    import os
    import shutil
    import tempfile

    from .common import ToolMissing, _run, _tail
    from .validators import CALIBRE_TIMEOUT

    debug = shutil.which("calibre-debug")
    if debug is None:
        raise ToolMissing("calibre's calibre-debug (Debian: calibre)")
    book = _read_book(epub)
    want = [page for page, _, _ in _markers(book)]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    with tempfile.TemporaryDirectory(prefix="coursepack-calibre-pages-") as tmp:
        script = Path(tmp) / "pages.py"
        script.write_text(_CALIBRE_READS_PAGES, encoding="utf-8")
        proc = _run([debug, str(script), str(Path(epub).resolve())], timeout=CALIBRE_TIMEOUT,
                    env=env, cwd=Path(tmp))
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PAGES ")), None)
    if proc.returncode != 0 or line is None:
        return [f"calibre could not read the page list (exit {proc.returncode}): "
                f"{_tail(proc.stderr + proc.stdout)}"]
    read = json.loads(line.removeprefix("PAGES "))
    problems = []
    if [int(page) for page, _ in read] != want:
        problems.append(f"calibre reads pages {[p for p, _ in read][:8]}…, the markers are "
                        f"{want[:8]}…")
    lost = [page for page, lands in read if not lands]
    if lost:
        problems.append(f"in calibre, page(s) {lost} lead nowhere")
    return problems
