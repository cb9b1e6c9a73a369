"""What the EPUB's accessibility metadata claims, held against the book: every image has a
text alternative, every chapter's ``<title>`` is its heading (not a file name), the reader's
back matter is ``backmatter``, every declared foreign phrase carries its language, and the
summary and features are the ones the book's own contents give (coursepack.render_epub)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FILE_NAME = re.compile(r"[\w.-]+\.x?html?")


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _documents(zf: zipfile.ZipFile) -> list[tuple[str, object]]:
    from .container import _parse_xml

    return [(n, _parse_xml(zf.read(n))) for n in sorted(zf.namelist())
            if n.endswith(".xhtml") and not n.endswith("nav.xhtml")]


def _meta(zf: zipfile.ZipFile, prop: str) -> list[str]:
    opf = next(n for n in zf.namelist() if n.endswith(".opf"))
    return re.findall(rf'<meta property="{re.escape(prop)}">([^<]*)</meta>',
                      zf.read(opf).decode("utf-8"))


def _visible_heading(h1) -> str:
    parts = [h1.text or ""]
    for child in h1:
        if "chapter-author" not in (child.get("class") or ""):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def epub_accessibility_messages(path: Path, back_matter_ids: set[str] = frozenset(),
                                foreign: list[tuple[str, str]] = ()) -> list[str]:
    """Findings on images, titles, back matter, language of parts and the metadata."""
    from html import unescape

    from ..render_epub import accessibility_features, accessibility_summary, book_facts

    problems = []
    data = Path(path).read_bytes()
    with zipfile.ZipFile(path) as zf:
        documents = _documents(zf)
        features = _meta(zf, "schema:accessibilityFeature")
        summary = [unescape(s) for s in _meta(zf, "schema:accessibilitySummary")]
    for name, root in documents:
        for img in root.iter(f"{XHTML}img"):
            if not (img.get("alt") or "").strip() or FILE_NAME.fullmatch(img.get("alt", "")):
                problems.append(f"{name}: image {img.get('src')!r} has no text alternative")
        for svg in root.iter(f"{SVG}svg"):
            titled = any(_text(t) for t in svg.iter(f"{SVG}title"))
            if list(svg.iter(f"{SVG}image")) and not (
                    titled or (svg.get("role") == "img" and (svg.get("aria-label") or "").strip())):
                problems.append(f"{name}: the image in an <svg> has no text alternative "
                                "(role=\"img\" with aria-label, or <title>)")
        title = next((_text(t) for t in root.iter(f"{XHTML}title")), "")
        h1 = next(root.iter(f"{XHTML}h1"), None)
        if FILE_NAME.fullmatch(title):
            problems.append(f"{name}: its <title> is the file name {title!r}, not the "
                            "chapter's title")
        elif h1 is not None and title != _visible_heading(h1):
            problems.append(f"{name}: its <title> {title!r} is not its heading "
                            f"{_visible_heading(h1)!r}")
        body = next(root.iter(f"{XHTML}body"), None)
        section = next(root.iter(f"{XHTML}section"), None)
        if body is not None and section is not None and section.get("id") in back_matter_ids \
                and "backmatter" not in (body.get(EPUB_TYPE) or ""):
            problems.append(f"{name}: the back matter part {section.get('id')!r} is "
                            f"epub:type {body.get(EPUB_TYPE)!r}, not backmatter")
        problems += _unmarked(name, root, foreign)
    facts = book_facts(data)
    if "alternativeText" in features and facts.described < facts.images:
        problems.append("alternativeText is declared, but not every image has a text "
                        "alternative")
    if sorted(features) != sorted(accessibility_features(facts)):
        problems.append(f"accessibility features {sorted(features)} are not what the book "
                        f"has: {sorted(accessibility_features(facts))}")
    if summary != [accessibility_summary(facts)]:
        problems.append("the accessibility summary does not describe this book: "
                        f"{(summary or ['none'])[0][:120]!r}")
    return problems


def _unmarked(name: str, root, foreign) -> list[str]:
    """Each occurrence of a declared foreign phrase lies inside an element of its language."""
    problems = []
    for phrase, lang in foreign:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for text, holder in ((element.text, element), (element.tail, element.getparent())):
                if not text or phrase not in " ".join(text.split()):
                    continue
                langs = []
                while holder is not None:
                    langs.append(holder.get("lang") or holder.get(XML_LANG) or "")
                    holder = holder.getparent()
                if next((tag for tag in langs if tag), "") != lang:
                    problems.append(f"{name}: “{phrase}” is not marked as {lang} "
                                    "(lang attribute; WCAG 3.1.2)")
    return problems
