"""Render stage (EPUB): the assembled document -> EPUB 3 (pandoc), with accessibility metadata.

The identifier is fixed by the reader's YAML and SOURCE_DATE_EPOCH is set for pandoc, so two
builds of the same inputs are byte-identical.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2

from .config import Reader
from .dates import build_epoch
from .errors import ReaderError
from .fsutil import write_atomic
from .pandoc import common_args, run_pandoc

STYLESHEETS = ("epub.css", "apparatus.css")
PANDOC_A11Y_META = re.compile(r'[ \t]*<meta property="schema:access[^"]*">[^<]*</meta>\n')
ACCESSIBILITY_SUMMARY = (
    "This publication is text only, with no images apart from a typographic cover that "
    "repeats the title. It has a navigable table of contents, headings in a logical order "
    "and links between citations, notes, the glossary and the bibliography. It meets WCAG "
    "2.1 Level AA."
)


def epub_metadata(reader: Reader, templates: Path) -> str:
    """Package metadata pandoc cannot write from Markdown metadata (accessibility)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates),
                             undefined=jinja2.StrictUndefined, autoescape=False)
    return env.get_template("epub-metadata.xml.j2").render(
        publisher=escape(", ".join(reader.editors)), summary=escape(ACCESSIBILITY_SUMMARY))


def with_package_meta(epub: bytes, fragment: str) -> bytes:
    """The EPUB with the fragment's ``<meta>`` elements in its package document.

    pandoc keeps only the Dublin Core elements of ``--epub-metadata`` and writes default
    ``schema:`` accessibility properties of its own: those are replaced by the fragment's (with
    the summary and ``dcterms:conformsTo`` pandoc cannot write). Entries keep their order, dates
    and compression, so ``mimetype`` stays first and stored and the result stays reproducible.
    """
    metas = [line.strip() for line in fragment.splitlines() if line.strip().startswith("<meta")]
    source = zipfile.ZipFile(io.BytesIO(epub))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".opf"):
                opf = PANDOC_A11Y_META.sub("", data.decode("utf-8"))
                if "</metadata>" not in opf:
                    raise ReaderError(info.filename, "no </metadata> in pandoc's package document")
                injected = "".join(f"    {m}\n" for m in metas)
                data = opf.replace("  </metadata>", f"{injected}  </metadata>", 1).encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


def epub_args(reader: Reader, templates: Path, metadata_xml: Path,
              cover: Path | None = None) -> list[str]:
    args = [
        *common_args(reader),
        *(f"--css={templates / name}" for name in STYLESHEETS),
        f"--epub-metadata={metadata_xml}",
        "--split-level=1",
    ]
    if cover is not None:
        args.append(f"--epub-cover-image={cover}")
    return args


def render_epub(reader: Reader, assembled: Path, templates: Path, metadata_out: Path,
                epub_out: Path, cover_out: Path) -> None:
    """The EPUB task's action: write the package metadata and the typographic cover (drawn
    from the reader's metadata), then the EPUB, each atomically."""
    from .cover import reader_cover

    write_atomic(metadata_out, epub_metadata(reader, templates))
    write_atomic(cover_out, reader_cover(reader))
    tmp = epub_out.with_name(f".{epub_out.name}.part")
    try:
        run_pandoc(assembled, "epub3", epub_args(reader, templates, metadata_out, cover_out),
                   output=tmp, source_date_epoch=build_epoch(reader), sandbox=False)
        write_atomic(epub_out, with_package_meta(tmp.read_bytes(), metadata_out.read_text()))
    finally:
        tmp.unlink(missing_ok=True)
