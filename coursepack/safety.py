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

from pathlib import Path
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
