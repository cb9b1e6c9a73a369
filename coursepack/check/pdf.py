"""All checks on one PDF, with pikepdf: tagged structure, PDF/UA identification, language,
title, outline, embedded fonts, links and bookmarks that land on a page, each note on the
page of its call (coursepack.check.notes), every citation in brackets (.citations), no
near-empty page, and large print that follows large-print guidance (.layout)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from .citations import pdf_citation_messages
from .common import Finding, _guarded
from .layout import (
    body_lines,
    broken_word_messages,
    early_break_messages,
    large_print_messages,
    near_empty_messages,
)
from .notes import pdf_note_messages

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def _pdf_tagged(pdf) -> list[str]:
    problems = []
    mark_info = pdf.Root.get("/MarkInfo")
    if mark_info is None or not bool(mark_info.get("/Marked", False)):
        problems.append("not tagged: /MarkInfo /Marked true is missing")
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        problems.append("not tagged: no /StructTreeRoot")
    elif "/K" not in tree:
        problems.append("the /StructTreeRoot has no children (/K)")
    return problems


def _xmp(pdf) -> dict[str, str]:
    try:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return {key: str(meta.get(key) or "") for key in ("pdfuaid:part", "dc:title")}
    except Exception:  # an unreadable XMP packet counts as no XMP
        return {}


def _pdf_ua(pdf) -> list[str]:
    part = _xmp(pdf).get("pdfuaid:part", "")
    if part != "1":
        return [f"no PDF/UA identification: XMP pdfuaid:part is {part or 'missing'}, not 1"]
    return []


def _pdf_lang(pdf, expected: str | None) -> list[str]:
    lang = str(pdf.Root.get("/Lang", "")).strip()
    if not lang:
        return ["the document catalog has no (or an empty) /Lang"]
    if expected and lang.lower() != expected.lower():
        return [f"/Lang is {lang!r}, expected {expected!r}"]
    return []


def _pdf_title(pdf, expected: str | None) -> list[str]:
    titles = {
        "Info /Title": str(pdf.docinfo.get("/Title", "")).strip(),
        "XMP dc:title": _xmp(pdf).get("dc:title", "").strip(),
    }
    present = {where: title for where, title in titles.items() if title}
    problems = []
    if not present:
        problems.append("no document title (Info /Title and XMP dc:title are empty)")
    if expected is not None:
        problems += [f"{where} is {title!r}, expected {expected!r}"
                     for where, title in present.items() if title != expected]
    prefs = pdf.Root.get("/ViewerPreferences")
    if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
        problems.append("/ViewerPreferences /DisplayDocTitle is not true")
    return problems


def _pdf_outline(pdf) -> list[str]:
    outlines = pdf.Root.get("/Outlines")
    if outlines is None or "/First" not in outlines:
        return ["no outline (bookmarks)"]
    return []


def _resources_of(obj) -> Iterator:
    resources = obj.get("/Resources")
    if resources is not None:
        yield resources


def _page_resources(page_obj):
    node = page_obj
    while node is not None:
        if "/Resources" in node:
            return node.Resources
        node = node.get("/Parent")
    return None


def _appearance_streams(annot) -> Iterator:
    import pikepdf

    appearance = annot.get("/AP")
    if appearance is None:
        return
    for key in ("/N", "/R", "/D"):
        entry = appearance.get(key)
        if isinstance(entry, pikepdf.Stream):
            yield entry
        elif isinstance(entry, pikepdf.Dictionary):
            yield from (v for v in entry.values() if isinstance(v, pikepdf.Stream))


def _resource_roots(pdf) -> Iterator:
    for page in pdf.pages:
        resources = _page_resources(page.obj)
        if resources is not None:
            yield resources
        for annot in page.obj.get("/Annots", []):
            for stream in _appearance_streams(annot):
                yield from _resources_of(stream)


def _object_key(obj) -> tuple:
    return obj.objgen if obj.is_indirect else ("direct", id(obj))


def _iter_fonts(pdf) -> Iterator:
    """Every font dictionary reachable from pages, form XObjects, patterns, Type 3 fonts and
    annotation appearance streams (each once)."""
    todo = list(_resource_roots(pdf))
    seen: set[tuple] = set()
    while todo:
        resources = todo.pop()
        if _object_key(resources) in seen:
            continue
        seen.add(_object_key(resources))
        for font in (resources.get("/Font") or {}).values():
            yield font
            todo.extend(_resources_of(font))
        for category in ("/XObject", "/Pattern"):
            for obj in (resources.get(category) or {}).values():
                todo.extend(_resources_of(obj))


def _font_problem(font) -> str | None:
    subtype = str(font.get("/Subtype", "?"))
    name = str(font.get("/BaseFont", "?")).lstrip("/")
    if subtype == "/Type3":
        return None  # glyphs are content streams inside the PDF
    if subtype == "/Type0":
        for descendant in font.get("/DescendantFonts", []):
            problem = _font_problem(descendant)
            if problem:
                return problem
        return None
    descriptor = font.get("/FontDescriptor")
    if descriptor is None or not any(key in descriptor for key in FONT_FILES):
        return f"font {name} ({subtype.lstrip('/')}) is not embedded"
    return None


def _pdf_fonts(pdf) -> list[str]:
    problems: list[str] = []
    for font in _iter_fonts(pdf):
        problem = _font_problem(font)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def _named_destinations(pdf) -> dict[str, object]:
    import pikepdf

    names: dict[str, object] = {}
    legacy = pdf.Root.get("/Dests")
    if isinstance(legacy, pikepdf.Dictionary):
        names.update({key.lstrip("/"): value for key, value in legacy.items()})
    tree = pdf.Root.get("/Names", {}).get("/Dests")
    if tree is not None:
        names.update(dict(pikepdf.NameTree(tree).items()))
    return names


def _dest_problem(dest, names: dict[str, object], pages: set[tuple]) -> str | None:
    import pikepdf

    if isinstance(dest, pikepdf.String | pikepdf.Name):
        key = str(dest).lstrip("/") if isinstance(dest, pikepdf.Name) else str(dest)
        if key not in names:
            return f"named destination {key!r} does not exist"
        dest = names[key]
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.get("/D")
    if not isinstance(dest, pikepdf.Array) or len(dest) == 0:
        return f"destination {dest!r} is not an explicit destination"
    page = dest[0]
    if not (isinstance(page, pikepdf.Dictionary) and page.is_indirect
            and page.objgen in pages):
        return "destination points to no page of this document"
    return None


def _link_target(obj):
    """The destination of a link annotation or outline item, or None if it has none."""
    if "/Dest" in obj:
        return obj.Dest
    action = obj.get("/A")
    if action is not None and action.get("/S") == "/GoTo":
        return action.get("/D")
    return None


def _outline_items(pdf) -> Iterator:
    outlines = pdf.Root.get("/Outlines")
    todo = [outlines.get("/First")] if outlines is not None else []
    seen: set[tuple] = set()
    while todo:
        item = todo.pop()
        if item is None or _object_key(item) in seen:
            continue
        seen.add(_object_key(item))
        yield item
        todo.extend([item.get("/Next"), item.get("/First")])


def _pdf_links(pdf) -> list[str]:
    names = _named_destinations(pdf)
    pages = {page.obj.objgen for page in pdf.pages}
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            target = _link_target(annot)
            problem = None if target is None else _dest_problem(target, names, pages)
            if problem:
                problems.append(f"link on page {number}: {problem}")
    for item in _outline_items(pdf):
        target = _link_target(item)
        problem = None if target is None else _dest_problem(target, names, pages)
        if problem:
            problems.append(f"bookmark {str(item.get('/Title', '?'))!r}: {problem}")
    return problems


def check_pdf(path: Path, *, expected_lang: str | None = None,
              expected_title: str | None = None,
              large_print_pt: float | None = None) -> list[Finding]:
    """All PDF checks on one file; an empty list means it passed. ``large_print_pt``: the
    body size of a large-print edition, which must also follow large-print guidance."""
    import pikepdf
    import pypdfium2

    path = Path(path)
    artifact = str(path)
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as exc:
        return [Finding(artifact, "read", f"cannot open PDF: {exc}")]
    checks: dict[str, Callable[[pikepdf.Pdf], list[str]]] = {
        "tagged": _pdf_tagged,
        "pdfua": _pdf_ua,
        "lang": lambda p: _pdf_lang(p, expected_lang),
        "title": lambda p: _pdf_title(p, expected_title),
        "outline": _pdf_outline,
        "fonts": _pdf_fonts,
        "links": _pdf_links,
    }
    findings: list[Finding] = []
    with pdf:
        for check, func in checks.items():
            findings += _guarded(artifact, check, lambda f=func: f(pdf), (pikepdf.PdfError,))
    lines = cache(lambda: body_lines(path))  # read once, for every check of the lines
    layout: dict[str, Callable[[], list[str]]] = {
        "notes": lambda: pdf_note_messages(path),
        "citations": lambda: pdf_citation_messages(path),
        "pages": lambda: near_empty_messages(path, lines()),
        "broken-words": lambda: broken_word_messages(path, lines()),
        "early-breaks": lambda: early_break_messages(path, lines()),
    }
    if large_print_pt is not None:
        layout["large-print"] = lambda: large_print_messages(path, large_print_pt, lines())
    for check, func in layout.items():
        findings += _guarded(artifact, check, func, (pikepdf.PdfError, pypdfium2.PdfiumError))
    return findings
