"""The pandoc adapter: every pandoc option lives here, shared by the print HTML and the EPUB.

pandoc is called through pypandoc with argument lists, never through a shell.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from .config import Reader
from .errors import ReaderError
from .safety import check_csl

FILTERS = Path(__file__).resolve().parent.parent / "filters"
# The Lua filters (kept with the code): bibliography entries linked back to their citations,
# and one numbering for every note, identical in print and in the EPUB.
BACKLINKS = FILTERS / "backlinks.lua"
NOTES = FILTERS / "notes.lua"
FOREIGN = FILTERS / "foreign.lua"  # language tags on the readings' foreign phrases
TYPOGRAPHY = FILTERS / "typography.lua"  # names never hyphenated, "13 December" unbroken
# pandoc Markdown, minus what would let a source smuggle in raw TeX or read files.
MARKDOWN = "markdown-raw_tex-raw_attribute-tex_math_dollars-tex_math_single_backslash"


def common_args(reader: Reader) -> list[str]:
    """Writer options every output shares: standalone, language, contents, resources."""
    args = [
        "--standalone",
        f"--metadata=lang:{reader.language}",
        f"--resource-path={reader.root}",
    ]
    if reader.part("contents") is not None:
        # The contents page (print) and the EPUB's navigation in the reading order; without
        # it the EPUB still has its navigation document, outside the reading order.
        args += ["--toc", "--toc-depth=2"]
    # The filters write per format (FORMAT), so they run at the writer step, on the tree the
    # gate passed; citeproc ran before them (tree_args), so the back links see its output
    # and the notes a note-style CSL makes are numbered with the rest.
    if reader.bibliography is not None:
        args.append(f"--lua-filter={BACKLINKS}")
    return [*args, f"--lua-filter={FOREIGN}", f"--lua-filter={TYPOGRAPHY}",
            f"--lua-filter={NOTES}"]


def tree_args(reader: Reader) -> list[str]:
    """Options that make the document tree: language (citeproc's locale) and citations."""
    args = [f"--metadata=lang:{reader.language}"]
    if reader.bibliography is not None:
        check_csl(reader.csl, reader.root)  # pandoc would read anything it names, or fetch it
        args += ["--citeproc", f"--bibliography={reader.bibliography}", f"--csl={reader.csl}"]
    return args


@contextlib.contextmanager
def _environment(source_date_epoch: int | None) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the pandoc process (fixes dates and zip times in EPUBs)."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if source_date_epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def document_tree(reader: Reader, source: Path) -> str:
    """The assembled Markdown as pandoc's document tree (JSON), with its citations, checked.

    1. Markdown -> document tree, sandboxed, with citations (``tree_args``);
    2. ``safety.check_tree``: nothing in the tree may make a writer read a file outside the
       project or fetch a URL (images, raw HTML, metadata keys, link schemes, attributes).

    Made once per build (the ``tree`` task, build/<reader>/reader.json) and written out by
    every edition and the EPUB (``write``): citeproc runs once, not once per output."""
    from .safety import check_tree

    tree = run_pandoc(source, "json", tree_args(reader))
    check_tree(json.loads(tree), _label(source, reader.root), reader.root)
    return tree


def write(tree: Path, to: str, args: list[str], *, output: Path | None = None,
          source_date_epoch: int | None = None, sandbox: bool = True) -> str:
    """3. A checked document tree (``document_tree``) -> ``to`` with the writer's ``args``.
    ``sandbox``: pandoc reads no file but those named on its command line; the EPUB writer
    must read its stylesheets and cover, which the sandbox forbids, so it runs without one,
    on a tree that has passed the gate."""
    return run_pandoc(tree, to, args, text=tree.read_text(encoding="utf-8"), output=output,
                      source_date_epoch=source_date_epoch, sandbox=sandbox)


def _label(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def run_pandoc(source: Path, to: str, args: list[str], *, text: str | None = None,
               output: Path | None = None, source_date_epoch: int | None = None,
               sandbox: bool = True) -> str:
    """Convert ``source`` (Markdown; or ``text``, its document tree as JSON) with pandoc;
    warnings are errors (an unknown citation, a bad link, a resource it cannot fetch)."""
    import pypandoc  # imported here: a no-op doit never pays for it

    extra_args = [*args, "--fail-if-warnings"]
    try:
        with _environment(source_date_epoch):
            if text is None:
                result = pypandoc.convert_file(
                    str(source), to, format=MARKDOWN, extra_args=extra_args,
                    outputfile=str(output) if output else None, sandbox=sandbox)
            else:
                result = pypandoc.convert_text(
                    text, to, format="json", extra_args=extra_args,
                    outputfile=str(output) if output else None, sandbox=sandbox)
    except RuntimeError as exc:
        message = " ".join(str(exc).split())
        raise ReaderError(source, f"pandoc failed: {message[:400]}") from None
    return result or ""
