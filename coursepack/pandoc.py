"""The pandoc adapter: every pandoc option lives here, shared by the print HTML and the EPUB.

pandoc is called through pypandoc with argument lists, never through a shell.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .config import Reader
from .errors import ReaderError

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
    """Options every output shares: input syntax, language, contents, citations, sandbox."""
    args = [
        "--standalone",
        f"--metadata=lang:{reader.language}",
        f"--resource-path={reader.root}",
    ]
    if reader.part("contents") is not None:
        # The contents page (print) and the EPUB's navigation in the reading order; without
        # it the EPUB still has its navigation document, outside the reading order.
        args += ["--toc", "--toc-depth=2"]
    if reader.bibliography is not None:
        # The back-link filter reads citeproc's output, so it must come after --citeproc.
        args += ["--citeproc", f"--bibliography={reader.bibliography}", f"--csl={reader.csl}",
                 f"--lua-filter={BACKLINKS}"]
    # After citeproc, so that notes a note-style CSL makes are numbered with the rest.
    return [*args, f"--lua-filter={FOREIGN}", f"--lua-filter={TYPOGRAPHY}",
            f"--lua-filter={NOTES}"]


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


def run_pandoc(source: Path, to: str, args: list[str], *, output: Path | None = None,
               source_date_epoch: int | None = None, sandbox: bool = True) -> str:
    """Convert ``source`` with pandoc; warnings are errors (an unknown citation, a bad link).

    ``sandbox``: pandoc reads no file but those named on its command line. The EPUB writer
    must read its stylesheet and cover, which the sandbox forbids, so it runs without one;
    the sources reach it escaped, so they cannot name a file to include.
    """
    import pypandoc  # imported here: a no-op doit never pays for it

    try:
        with _environment(source_date_epoch):
            result = pypandoc.convert_file(
                str(source), to, format=MARKDOWN,
                extra_args=[*args, "--fail-if-warnings"],
                outputfile=str(output) if output else None,
                sandbox=sandbox,
            )
    except RuntimeError as exc:
        message = " ".join(str(exc).split())
        raise ReaderError(source, f"pandoc failed: {message[:400]}") from None
    return result or ""
