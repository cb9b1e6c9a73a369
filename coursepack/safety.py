"""What may reach pandoc: nothing that makes it read a file outside the project or fetch a URL.

pandoc reads more than its input: images named in Markdown or raw HTML (the EPUB writer embeds
them, from the disk or the network), files named in a YAML metadata block (``cover-image``,
``css``, ``bibliography`` ...), and a dependent CSL style's parent, which it downloads even
with ``--sandbox``. So every user file pandoc sees is vetted here first, with a one-line
error naming the file:

- the CSL style (``check_csl``): well-formed XML, an independent CSL style, no DOCTYPE;
- each editorial Markdown file (``check_markdown``): parsed by pandoc (sandboxed) into its
  document tree, in which an image must be a raster file inside the project, a link must go
  to the web, an e-mail address or a place in the book, attributes come from a closed list,
  and there is no raw HTML and no metadata block;
- the assembled document (``check_tree``) once more before the EPUB writer sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .errors import ReaderError

CSL_NS = "{http://purl.org/net/xbiblio/csl}"


def _where(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def check_csl(path: Path, root: Path) -> None:
    """A CSL file pandoc can use without fetching anything: independent, plain XML."""
    where = _where(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReaderError(where, f"cannot read ({exc.strerror})") from None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReaderError(where, "a CSL style has no DOCTYPE or entity declarations (they can "
                          "name files to read); remove them")
    try:
        style = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise ReaderError(where, f"not well-formed XML (line {line}, column {column + 1}: "
                          f"{str(exc).split(':')[0]}); use a CSL 1.0 style file") from None
    if style.tag != f"{CSL_NS}style":
        raise ReaderError(where, "not a CSL style (the root element must be <style> in the CSL "
                          "namespace); use a CSL 1.0 style file")
    for link in style.iter(f"{CSL_NS}link"):
        if link.get("rel") == "independent-parent":
            raise ReaderError(where, "a dependent style: pandoc would download its parent "
                              f"style ({link.get('href', '')[:80]}); use the parent style's "
                              "own file instead")
    if style.find(f"{CSL_NS}citation") is None:
        raise ReaderError(where, "the style has no <citation> element; use a complete "
                          "(independent) CSL style file")


# --- the document tree ----------------------------------------------------------------------

# Raw HTML in the assembled document: only the glossary's definition list, which
# coursepack.glossary writes. Editorial Markdown may hold none (pandoc passes it through).
GENERATED_HTML = frozenset({"<dl>", "</dl>", '<dt epub:type="glossterm">', "</dt>", "<dfn>",
                            "</dfn>", '<dd epub:type="glossdef">', "</dd>"})
# Attributes a document may carry (pandoc writes any other one as it stands, onclick too):
# ours (running heads, citation labels, paragraph numbers, EPUB semantics), the passage links
# of editorial Markdown and a language for a foreign phrase.
ATTRIBUTES = {"running": None, "bookmark": None, "label": None, "reading": None,
              "quote": None,
              "n": re.compile(r"\d{1,6}"),  # a paragraph's number (coursepack.paragraphs)
              "lang": re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}"),
              "epub:type": re.compile(r"glossary|bibliography|colophon"),
              "role": re.compile(r"doc-glossary|doc-bibliography|doc-colophon|note")}
# Metadata the assembled document has (assemble.document_metadata and the pandoc command
# line): a key added there is added here. Any other key could make a writer read a file
# (cover-image, css, header-includes ...).
METADATA = frozenset({"title", "subtitle", "author", "lang", "date", "identifier",
                      "description", "subject", "keywords", "rights", "version",
                      "link-citations", "toc-title", "bibliography", "csl",
                      # the credits on the title page, the cover and the PDF's metadata
                      "creator", "editors", "authors-line", "pdf-author", "kicker",
                      # read by the Lua filters (typography.lua, foreign.lua)
                      "never-hyphenate", "hyphenation-exceptions", "foreign-phrases"})
LINK = re.compile(r"#[^\s]*|https?://[^\s\"<>]+|mailto:[^\s\"<>]+")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")  # raster: an SVG can fetch
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def image_problem(src: str, root: Path) -> str | None:
    """Why an image source is refused, or None: it must be a raster image file inside the
    project, named by a plain relative path (no URL, no absolute path, no '..', no symlink
    that leaves the project)."""
    if _SCHEME.match(src) or src.startswith("//"):
        return "is a URL; only image files inside the project are used (nothing is fetched)"
    if src.startswith("/") or "\\" in src or "%" in src or ".." in Path(src).parts:
        return ("is not a plain path inside the project; name the image relative to the "
                "project folder, without '..'")
    path = (root / src).resolve()
    if not path.is_relative_to(root.resolve()):
        return "leads outside the project (a symbolic link?); copy the image into it"
    if not path.is_file():
        return "does not exist; give the image's path relative to the project folder"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return f"is not a raster image ({', '.join(IMAGE_SUFFIXES)})"
    return None


def _attr(node: Any) -> tuple[str, list[str], list[list[str]]] | None:
    """``node`` as a pandoc Attr (id, classes, key-value pairs), or None."""
    if isinstance(node, list) and len(node) == 3 and isinstance(node[0], str) and \
            isinstance(node[1], list) and isinstance(node[2], list) and \
            all(isinstance(c, str) for c in node[1]) and \
            all(isinstance(kv, list) and len(kv) == 2 and all(isinstance(s, str) for s in kv)
                for kv in node[2]):
        return node[0], node[1], node[2]
    return None


def tree_problems(tree: dict, root: Path, *, raw_html: frozenset[str] = GENERATED_HTML,
                  metadata: frozenset[str] = METADATA) -> Iterator[tuple[str, str]]:
    """(the offending text, what is wrong) for everything in a pandoc JSON document that
    could make a writer read a file or fetch a URL, or put live markup in the output."""
    for key in tree.get("meta", {}):
        if key not in metadata:
            yield key, (f"a metadata block sets '{key}' (a metadata block changes the whole "
                        "book and can name files pandoc reads); remove it")
    stack: list[Any] = [tree.get("meta", {}), tree.get("blocks", [])]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind, content = node.get("t"), node.get("c")
            if kind in ("RawInline", "RawBlock"):
                fmt, text = content
                if fmt != "html" or text not in raw_html:
                    yield text, (f"raw {fmt.upper()} ({_short(text)}) is passed through "
                                 "unchecked; write Markdown instead, or escape the '<' as '\\<'")
            elif kind == "Image":
                src = content[2][0]
                if problem := image_problem(src, root):
                    yield src, f"image '{_short(src)}' {problem}"
            elif kind == "Link":
                target = content[2][0]
                if not LINK.fullmatch(target):
                    yield target, (f"link to '{_short(target)}': link to a web page "
                                   "(https://...), an e-mail address (mailto:) or a place "
                                   "in the book (#id)")
            stack.extend(node.values())
        elif isinstance(node, list):
            if attr := _attr(node):
                for key, value in attr[2]:
                    form = ATTRIBUTES.get(key, False)
                    if form is False or (form is not None and not form.fullmatch(value)):
                        yield f"{key}=", (f"the attribute {key}=\"{_short(value)}\" is not "
                                          "allowed (pandoc would write it into the page as "
                                          "it stands); remove it")
            stack.extend(node)


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def check_tree(tree: dict, where: str, root: Path) -> None:
    """The gate before any writer: the first problem of ``tree_problems`` is an error."""
    for _, problem in tree_problems(tree, root):
        raise ReaderError(where, problem)


def check_markdown(text: str, path: Path, root: Path) -> None:
    """An editorial Markdown file, parsed by pandoc as the build will parse it: no image from
    outside the project, no URL but web and e-mail links, no raw HTML, no metadata block, no
    attribute outside the closed list, no word too long for a line. One line naming the file
    (and the line, where the offending text can be found)."""
    import pypandoc

    from .forms import long_word
    from .pandoc import MARKDOWN

    where = _where(path, root)
    try:
        # A warning (a fenced div left open …) is this file's problem, not the assembled one's.
        tree = json.loads(pypandoc.convert_text(text, "json", format=MARKDOWN, sandbox=True,
                                                extra_args=["--fail-if-warnings"]))
    except RuntimeError as exc:
        message = " ".join(str(exc).split())
        if warning := re.search(r"\[WARNING\] (.+?)\s*Failing because", message):
            line = re.search(r"at line (\d+)", warning[1])
            raise ReaderError(f"{where}:{line[1]}" if line else where,
                              f"{warning[1].rstrip('.')}; fix the Markdown there") from None
        raise ReaderError(where, f"pandoc cannot read it ({message[:200]})") from None
    for needle, problem in tree_problems(tree, root, raw_html=frozenset(),
                                         metadata=frozenset()):
        raise ReaderError(_line_of(text, needle, where), problem)
    if found := long_word(text):
        raise ReaderError(_line_of(text, found.split("“", 1)[1][:12], where),
                          f"{found}; no page can hold it: put spaces in it")


def _line_of(text: str, needle: str, where: str) -> str:
    """``file:line`` of the first line holding ``needle`` (``file`` when none does)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if needle and needle in line:
            return f"{where}:{number}"
    return where
