"""The EPUB container, checked without external tools: the OCF ``mimetype`` rules EPUBCheck 5.3
does not enforce, and every internal link (file and fragment) inside the book."""

from __future__ import annotations

import posixpath
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

MIMETYPE = b"application/epub+zip"


LINKED_DOC_SUFFIXES = (".xhtml", ".html", ".htm", ".svg", ".ncx")


XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _local_header_extra_length(path: Path, info: zipfile.ZipInfo) -> int:
    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ValueError("first zip entry has no valid local file header")
    return struct.unpack("<H", header[28:30])[0]


def epub_zip_messages(path: Path) -> list[str]:
    """OCF rules for the ``mimetype`` entry."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if not infos:
            return ["the zip archive is empty"]
        first = infos[0]
        if first.filename != "mimetype":
            names = [i.filename for i in infos]
            where = f"entry {names.index('mimetype') + 1}" if "mimetype" in names else "absent"
            return [f"first zip entry is {first.filename!r}, not 'mimetype' (mimetype: {where})"]
        problems = []
        if first.compress_type != zipfile.ZIP_STORED:
            problems.append("'mimetype' is compressed; it must be stored (ZIP_STORED)")
        content = zf.read(first)
        if content != MIMETYPE:
            problems.append(f"'mimetype' contains {content[:40]!r}, not {MIMETYPE!r}")
    if first.extra or _local_header_extra_length(path, first):
        problems.append("'mimetype' has a zip extra field; it must have none")
    return problems


@dataclass(frozen=True)
class _LinkScan:
    problems: list[str]
    external: list[str]


def _parse_xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _element_links(root) -> Iterator[tuple[str, str, str]]:
    """(element name, attribute name, reference) for every link-like attribute."""
    from lxml import etree

    for el in root.iter(etree.Element):
        for attr in ("href", "src", XLINK_HREF):
            value = el.get(attr)
            if value is not None and value.strip():
                yield etree.QName(el).localname, etree.QName(attr).localname, value.strip()


def _ids(root) -> set[str]:
    from lxml import etree

    found: set[str] = set()
    for el in root.iter(etree.Element):
        for attr in ("id", XML_ID):
            if el.get(attr):
                found.add(el.get(attr))
    return found


def _link_problem(source: str, ref: str, names: set[str], ids: dict[str, set[str]]
                  ) -> str | None:
    parts = urlsplit(ref)
    path = unquote(parts.path)
    target = source
    if path:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if target == ".." or target.startswith("../"):
        return f"points outside the container ({target})"
    if target not in names:
        return f"file {target} does not exist"
    fragment = unquote(parts.fragment)
    if fragment and target in ids and not fragment.startswith("epubcfi(") and (
        fragment not in ids[target]
    ):
        return f"no id {fragment!r} in {target}"
    return None


def _scan_links(zf: zipfile.ZipFile) -> _LinkScan:
    names = set(zf.namelist())
    docs: dict[str, object] = {}
    problems: list[str] = []
    for name in sorted(names):
        if name.lower().endswith(LINKED_DOC_SUFFIXES):
            try:
                docs[name] = _parse_xml(zf.read(name))
            except Exception as exc:  # lxml raises XMLSyntaxError and friends
                problems.append(f"{name}: not well-formed XML ({exc})")
    ids = {name: _ids(root) for name, root in docs.items()}
    external: list[str] = []
    for name, root in docs.items():
        for tag, attr, ref in _element_links(root):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                if parts.scheme in ("http", "https"):
                    external.append(ref)
                continue
            problem = _link_problem(name, ref, names, ids)
            if problem:
                problems.append(f'{name}: <{tag} {attr}="{ref}"> {problem}')
    return _LinkScan(problems, sorted(set(external)))


def epub_link_messages(path: Path) -> list[str]:
    """Dangling internal links (missing file or missing fragment id) inside the book."""
    with zipfile.ZipFile(path) as zf:
        return _scan_links(zf).problems
