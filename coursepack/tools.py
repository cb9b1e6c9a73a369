"""The installed versions of the tools that shape each output, for doit's up-to-date checks.

Tool versions are not files, so dodo.py passes them to ``config_changed``: a new pandoc or
WeasyPrint typesets the pages again, and the colophon, which prints the versions, is assembled
again. They are read from the ``*.dist-info`` folder names on ``sys.path`` (the first found
wins, as for imports), so a no-op doit imports none of the tools.
"""

from __future__ import annotations

import os
import re
import sys

# Distributions, by their normalised names. pypandoc_binary carries the pandoc binary.
COLOPHON_TOOLS = ("pypandoc_binary", "weasyprint", "jinja2", "doit", "pyyaml")  # its table
PDF_TOOLS = ("pypandoc_binary", "weasyprint", "pydyf", "fonttools", "pyphen", "tinycss2",
             "cssselect2", "tinyhtml5", "brotli", "zopfli", "jinja2")
EPUB_TOOLS = ("pypandoc_binary", "pillow", "jinja2")
TREE_TOOLS = ("pypandoc_binary",)  # citeproc is pandoc's


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """name -> installed version of each of ``names`` found, and Python's own version."""
    wanted = {_normal(n) for n in names}
    found = {"python": sys.version.split()[0]}  # as platform.python_version()
    for folder in sys.path:
        try:
            entries = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for entry in entries:
            name, _, version = entry.removesuffix(".dist-info").partition("-")
            if entry.endswith(".dist-info") and _normal(name) in wanted:
                found.setdefault(_normal(name), version)
    return found
