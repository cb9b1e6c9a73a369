"""Command line: ``python -m coursepack.check [options] FILE...`` checks .epub and .pdf files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from .common import Finding
from .epub import check_epub
from .pdf import check_pdf
from .report import external_links, format_report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coursepack.check",
        description="Validate course-pack artifacts (.epub and .pdf); exit 1 on any finding.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--no-ace", action="store_true", help="skip Ace by DAISY (EPUB)")
    parser.add_argument("--no-calibre", action="store_true", help="skip calibre (EPUB)")
    parser.add_argument("--expect-section", action="append", default=[], metavar="TEXT",
                        help="text that calibre must find in the EPUB (repeatable)")
    parser.add_argument("--lang", help="expected PDF /Lang")
    parser.add_argument("--title", help="expected PDF document title")
    parser.add_argument("--large-print", type=float, metavar="PT",
                        help="the PDF is a large-print edition with this body size (pt)")
    return parser


def check_file(path: Path, args: argparse.Namespace) -> list[Finding]:
    """Dispatch one file to the EPUB or PDF checks by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".epub":
        return check_epub(path, expected_sections=args.expect_section, ace=not args.no_ace,
                          calibre=not args.no_calibre)
    if suffix == ".pdf":
        return check_pdf(path, expected_lang=args.lang, expected_title=args.title,
                         large_print_pt=args.large_print)
    return [Finding(str(path), "type", "not an .epub or .pdf file; nothing can check it")]


def main(argv: Sequence[str] | None = None) -> int:
    """Check every file, print the report; return 1 on any finding, else 0."""
    args = _parser().parse_args(argv)
    findings: list[Finding] = []
    for path in args.files:
        findings += check_file(path, args)
        if path.is_file() and path.suffix.lower() in (".epub", ".pdf"):
            try:
                links = external_links(path)
            except Exception:  # unreadable files are already findings
                links = []
            if links:
                print(f"{path}: {len(links)} external link(s), listed, not followed:")
                print("\n".join(f"    {link}" for link in links))
    print(format_report(findings, [str(p) for p in args.files]))
    return 1 if findings else 0

