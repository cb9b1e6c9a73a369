"""Credits as a reader and a catalogue see them: the readings' authors and the reader's
editors by name in the EPUB's package (``dc:creator`` with MARC roles ``aut`` and ``edt``),
its navigation and its cover's description, and in each PDF's Author field, title page and
contents; and no editor credited under a placeholder."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

OPF_NS = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _opf(zf: zipfile.ZipFile):
    from .container import _parse_xml

    container = _parse_xml(zf.read("META-INF/container.xml"))
    name = next(el.get("full-path") for el in container.iter() if el.tag.endswith("rootfile"))
    return _parse_xml(zf.read(name))


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def epub_credit_messages(path: Path, authors: list[str], editors: list[str]) -> list[str]:
    """Authors as dc:creator role aut, editors as creator or contributor role edt; each
    author named in the navigation; authors and editors named in the cover's description."""
    from ..config import PLACEHOLDER_NAME
    from .container import _parse_xml

    problems = []
    with zipfile.ZipFile(path) as zf:
        opf = _opf(zf)
        nav_name = next(n for n in zf.namelist() if n.endswith("nav.xhtml"))
        nav = _parse_xml(zf.read(nav_name))
        cover = " ".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                         if n.endswith(".xhtml") and b'<body id="cover"' in zf.read(n))
    roles = {el.get("refines", "").lstrip("#"): (el.text or "").strip()
             for el in opf.iter(f"{OPF_NS}meta") if el.get("property") == "role"}
    credited = [(_text(el), roles.get(el.get("id", ""), ""), el.tag.removeprefix(DC))
                for el in opf.iter() if el.tag in (f"{DC}creator", f"{DC}contributor")]
    for name in authors:
        if not any(who == name and role == "aut" for who, role, _ in credited):
            problems.append(f"author {name!r} is not a dc:creator with role aut")
    for name in editors:
        if not any(who == name and role == "edt" for who, role, _ in credited):
            problems.append(f"editor {name!r} is not credited with role edt")
    for who, role, element in credited:
        if role == "aut" and who not in authors:
            problems.append(f"{who!r} is a dc:{element} with role aut but wrote no reading")
        if PLACEHOLDER_NAME.search(who):
            problems.append(f"{who!r} is credited, a placeholder rather than a name")
    toc = " ".join(_text(nav_el) for nav_el in nav.iter("{http://www.w3.org/1999/xhtml}nav")
                   if "toc" in (nav_el.get("{http://www.idpf.org/2007/ops}type") or ""))
    problems += [f"the contents (nav) do not name {name!r}" for name in authors
                 if name not in toc]
    problems += [f"the cover's description does not name {name!r}"
                 for name in [*authors, *editors] if name not in cover]
    return problems


def pdf_credit_messages(path: Path, authors: list[str], editors: list[str]) -> list[str]:
    """The Author field names every author and editor; so does the title page; the contents
    page names every author."""
    import pikepdf
    import pypdfium2

    from ..config import PLACEHOLDER_NAME

    problems = []
    with pikepdf.open(path) as pdf:
        field = str(pdf.docinfo.get("/Author", ""))
        pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        dests = pikepdf.NameTree(pdf.Root.Names.Dests) if "/Names" in pdf.Root else {}
        contents = dests.get("contents") if dests else None
        contents_page = pages.get(contents[0].objgen) if contents is not None else None
    problems += [f"the PDF's Author field ({field!r}) does not name {name!r}"
                 for name in [*authors, *editors] if name not in field]
    if PLACEHOLDER_NAME.search(field):
        problems.append(f"the PDF's Author field ({field!r}) credits a placeholder")
    document = pypdfium2.PdfDocument(path)
    try:
        title_page = " ".join(document[0].get_textpage().get_text_range().split())
        toc = (" ".join(" ".join(document[i].get_textpage().get_text_range().split())
                        for i in range(contents_page, min(contents_page + 2, len(document))))
               if contents_page is not None else "")
    finally:
        document.close()
    problems += [f"the title page does not name {name!r}" for name in [*authors, *editors]
                 if name not in title_page]
    if contents_page is not None:  # a reader may have no contents page
        problems += [f"the contents do not name {name!r}" for name in authors
                     if not re.search(re.escape(name).replace(r"\ ", r"\s+"), toc)]
    return problems
